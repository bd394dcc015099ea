// One sidecar per spool directory. Two sidecars on one spool would each replay the other's events and delete
// rows the other is sending: duplicates at best, and a trace's order lost. The claim is an exclusive lock on a
// small SQLite file of the directory, taken with a write at open (locking_mode=EXCLUSIVE keeps it until the
// connection closes). SQLite takes it with fcntl, so the kernel drops it when the process dies, however it
// dies: a SIGKILLed sidecar never leaves a stale claim behind, as a pid file would. The lock lives apart from
// spool.db so that the store may move a damaged database aside and make a new one while the claim holds.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../errors.js';

const LOCK_FILE = 'spool.lock';

export interface SpoolLock {
  readonly dir: string;
  /** Gives the directory up (at shutdown; the process's death does it too). Idempotent. */
  release(): void;
}

/** True for SQLite's "another connection holds the lock". */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** The error that stops the start when SPOOL_DIR cannot be used: one line naming it, why, and what to do. */
export const spoolUnusable = (dir: string, why: string): ConfigError =>
  new ConfigError([
    `SPOOL_DIR=${dir} cannot be used: ${why}. Set SPOOL_DIR to a directory this sidecar alone can write, or SPOOL_DIR=off to run without a spool (events are then refused while Kafka is away)`,
  ]);

/**
 * Creates `dir` when missing, checks that it is a writable directory and claims it for this process.
 * Throws a ConfigError naming SPOOL_DIR when it cannot be created or written, or another process holds it.
 */
export function lockSpoolDir(dir: string): SpoolLock {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw spoolUnusable(dir, `it cannot be created (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    if (!statSync(dir).isDirectory()) throw spoolUnusable(dir, 'it is not a directory');
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw spoolUnusable(dir, `it is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let db: Database.Database | undefined;
  try {
    // No busy wait: a held lock is an answer, not a reason to wait.
    db = new Database(join(dir, LOCK_FILE), { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since INTEGER NOT NULL)');
    db.transaction(() => {
      db!.exec('DELETE FROM holder');
      db!.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, Date.now());
    })();
  } catch (err) {
    db?.close();
    if (isBusy(err)) throw spoolUnusable(dir, 'another event-sidecar is using it (its lock file spool.lock is held)');
    throw spoolUnusable(dir, `it is not writable (${(err as Error).message})`);
  }
  const held = db;
  let released = false;
  return {
    dir,
    release() {
      if (released) return;
      released = true;
      held.close();
    },
  };
}
