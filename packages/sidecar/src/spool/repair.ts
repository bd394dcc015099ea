// A new spool database in place of a damaged one, made from whatever can still be read: at start from the damaged
// file itself, while running from the store's own connection, whose cached pages and WAL often still hold every
// row after the file was overwritten, deleted or replaced. The damaged files are moved aside, never deleted.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { DEAD_LETTERS_SCHEMA } from './dead-letters.js';
import { copyReadable, EVENTS_SCHEMA } from './rows.js';

export interface Rebuilt {
  /** Rows (events and dead letters) copied into the new database, and rows that could not be read. */
  readonly kept: number;
  readonly unreadable: number;
  /** Where the damaged file went (`<path>.damaged-<epoch ms>`), when there was one at its path. */
  readonly aside?: string;
}

/** Moves `path` and its WAL and shared-memory files aside; returns the new name, or undefined when none existed. */
function moveAside(path: string): string | undefined {
  const aside = `${path}.damaged-${Date.now()}`;
  let moved = false;
  for (const suffix of ['', '-wal', '-shm'])
    if (existsSync(path + suffix)) {
      renameSync(path + suffix, aside + suffix);
      moved = true;
    }
  return moved ? aside : undefined;
}

/**
 * Copies the readable rows of `from` into a new database made beside `path`, moves what is at `path` aside and puts
 * the new database there. `from` is closed once nothing can go wrong any more: until then it stays usable, so a
 * failed rebuild can be tried again from it. The new database is not opened; the caller opens it at `path`.
 */
export function rebuildFrom(from: Database.Database, path: string, dir: string): Rebuilt {
  mkdirSync(dir, { recursive: true });
  const fresh = `${path}.rebuild`;
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(fresh + suffix, { force: true, recursive: true });
  let copy: Database.Database | undefined = new Database(fresh);
  let kept = 0;
  let unreadable = 0;
  try {
    copy.exec(EVENTS_SCHEMA);
    copy.exec(DEAD_LETTERS_SCHEMA);
    for (const table of ['events', 'dead_letters'] as const) {
      const copied = copyReadable(from, copy, table);
      kept += copied.copied;
      unreadable += copied.unreadable;
    }
    copy.close();
    copy = undefined;
    const aside = moveAside(path);
    renameSync(fresh, path);
    // Only now: closing a connection deletes its WAL and shared memory by name, which are aside by now.
    try {
      from.close();
    } catch {
      // A damaged database may fail to close cleanly; everything readable is in the new one.
    }
    return { kept, unreadable, ...(aside ? { aside } : {}) };
  } finally {
    copy?.close();
    rmSync(fresh, { force: true });
  }
}
