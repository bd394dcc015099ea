// `event-sidecar dead-letters list|export|requeue|drop`: what an operator does with the events Kafka would not take.
// It works on the spool of SPOOL_DIR, read as the sidecar reads it, through a connection of its own, also while a
// sidecar runs there: SQLite serializes the writes, and the running sidecar picks up what was requeued or dropped
// within seconds (store.refresh()). It takes no lock and repairs nothing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from './config.js';
import { ConfigError } from './errors.js';
import {
  DEAD_LETTERS_SCHEMA,
  dropDeadLetters,
  listDeadLetters,
  requeueDeadLetters,
  type DeadLetter,
  type DeadLetterSelection,
} from './spool/dead-letters.js';
import { SPOOL_FILE } from './spool/store.js';

const DEAD_LETTERS_USAGE = `Usage: event-sidecar dead-letters list|export|requeue|drop [EVENT_ID ...] [--all]

Events Kafka would not take however often they were sent (too large for the topic, the topic
gone, not authorized) leave the spool's replay for its dead letters, with a warning naming each.
This works on the spool of SPOOL_DIR, also while a sidecar runs on it:
  list      one JSON line per dead letter: event id, trace id, when it was accepted and moved, why
  export    the same with each event, one JSON line a dead letter
  requeue   moves them back onto the spool, behind what it holds: the sidecar sends them again
            (a running one within seconds); they reach Kafka after the later events of their trace
  drop      deletes them for good
list and export take every dead letter unless given event ids; requeue and drop need event ids, or --all.
`;

export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

const iso = (ms: number) => new Date(ms).toISOString();

function line(letter: DeadLetter, withEvent: boolean): string {
  return JSON.stringify({
    eventId: letter.eventId,
    traceId: letter.traceId,
    acceptedAt: iso(letter.acceptedAt),
    failedAt: iso(letter.failedAt),
    code: letter.code,
    reason: letter.reason,
    bytes: letter.bytes,
    ...(withEvent ? { event: letter.event ?? null } : {}),
  });
}

/** Runs the subcommand with `args` (after `dead-letters`); returns the exit code. */
export function deadLetterCommand(args: readonly string[], env: NodeJS.ProcessEnv, io: CommandIo): number {
  const [action, ...rest] = args;
  if (action === undefined || action === '--help' || action === '-h') {
    io.out(DEAD_LETTERS_USAGE);
    return action === undefined ? 2 : 0;
  }
  if (!['list', 'export', 'requeue', 'drop'].includes(action)) {
    io.err(`event-sidecar: unknown dead-letters command "${action}"\n\n${DEAD_LETTERS_USAGE}`);
    return 2;
  }
  const all = rest.includes('--all');
  const ids = rest.filter((a) => a !== '--all');
  const unknown = ids.find((a) => a.startsWith('-'));
  if (unknown !== undefined) {
    io.err(`event-sidecar: unknown option "${unknown}"\n\n${DEAD_LETTERS_USAGE}`);
    return 2;
  }
  const writes = action === 'requeue' || action === 'drop';
  if (writes && !all && ids.length === 0) {
    io.err(`event-sidecar: dead-letters ${action} needs event ids, or --all\n`);
    return 2;
  }
  let dir: string;
  try {
    const spool = loadConfig(env).spool;
    if (!spool) {
      io.err('event-sidecar: dead letters live in the spool, and SPOOL_DIR is off\n');
      return 1;
    }
    dir = spool.dir;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`event-sidecar: ${err.message}\n`);
    return 1;
  }
  const path = join(dir, SPOOL_FILE);
  if (!existsSync(path)) {
    io.err(`event-sidecar: no spool at SPOOL_DIR=${dir} (no ${SPOOL_FILE}): nothing was ever spooled there\n`);
    return 1;
  }
  // A running sidecar may hold the write lock for a commit: wait for it rather than fail.
  const db = new Database(path, { fileMustExist: true, timeout: 10_000 });
  try {
    db.exec(DEAD_LETTERS_SCHEMA);
    const selection: DeadLetterSelection = all || ids.length === 0 ? 'all' : ids;
    const found = listDeadLetters(db, { events: action === 'export', selection });
    const missing = selection === 'all' ? [] : ids.filter((id) => !found.some((l) => l.eventId === id));
    for (const id of missing) io.err(`event-sidecar: ${id} is not a dead letter\n`);
    if (!writes) {
      for (const letter of found) io.out(`${line(letter, action === 'export')}\n`);
      return missing.length > 0 ? 1 : 0;
    }
    if (missing.length > 0) return 1;
    const count = action === 'requeue' ? requeueDeadLetters(db, selection) : dropDeadLetters(db, selection);
    io.out(
      action === 'requeue'
        ? `requeued ${count} dead letter(s) onto the spool of ${dir}: the sidecar sends them again\n`
        : `dropped ${count} dead letter(s) from the spool of ${dir}\n`,
    );
    return 0;
  } finally {
    db.close();
  }
}
