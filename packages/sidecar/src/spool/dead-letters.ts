// The dead letters: spooled events Kafka will not take however often they are sent (too large for the topic, the
// topic gone, not authorized), kept in the spool's database beside the events but out of the replay's way, so that
// neither the spool nor the event's trace waits behind them. The store moves an event here; operators list, export,
// requeue and drop them with `event-sidecar dead-letters` (dead-letter-cli.ts), also while a sidecar runs on the
// spool: SQLite serializes the writes, and the running sidecar sees the change (store.refresh()).
import type Database from 'better-sqlite3';
import type { EventMessage } from '@event-sidecar/contract';
import { decode, type Row } from './rows.js';

export const DEAD_LETTERS_SCHEMA = `CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  crc INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  failed_at INTEGER NOT NULL,
  code TEXT NOT NULL,
  reason TEXT NOT NULL
)`;

/** Why Kafka would not take the event: the producer's error code and message. */
export interface DeadLetterReason {
  readonly code: string;
  readonly reason: string;
}

export interface DeadLetter extends DeadLetterReason {
  /** Its place in the spool when it failed (the order it was accepted in). */
  readonly seq: number;
  readonly eventId: string;
  readonly traceId: string;
  /** Epoch ms the sidecar accepted the event, and when it was moved here. */
  readonly acceptedAt: number;
  readonly failedAt: number;
  readonly bytes: number;
  /** The event itself (undefined when its record no longer decodes). */
  readonly event?: EventMessage;
}

interface DeadRow extends Row {
  event_id: string;
  failed_at: number;
  code: string;
  reason: string;
}

/** Which dead letters an operator means: every one, or those with these event ids. */
export type DeadLetterSelection = 'all' | readonly string[];

function where(selection: DeadLetterSelection): { sql: string; params: string[] } {
  if (selection === 'all') return { sql: '', params: [] };
  return { sql: ` WHERE event_id IN (${selection.map(() => '?').join(', ')})`, params: [...selection] };
}

/** Moves the spooled event `seq` to the dead letters (one transaction); false when it was not spooled. */
export type Bury = (seq: number, eventId: string, failedAt: number, why: DeadLetterReason) => boolean;

/** The statements the store moves an event with (prepared once per database). */
export function deadLetterStatements(db: Database.Database): { bury: Bury } {
  const insert = db.prepare(
    `INSERT INTO dead_letters (seq, key, accepted_at, body, crc, event_id, failed_at, code, reason)
     SELECT seq, key, accepted_at, body, crc, ?, ?, ?, ? FROM events WHERE seq = ?`,
  );
  const remove = db.prepare('DELETE FROM events WHERE seq = ?');
  return {
    bury: db.transaction((seq: number, eventId: string, failedAt: number, why: DeadLetterReason): boolean => {
      if (insert.run(eventId, failedAt, why.code, why.reason.slice(0, 2000), seq).changes === 0) return false;
      remove.run(seq);
      return true;
    }),
  };
}

export function countDeadLetters(db: Database.Database): number {
  return (db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
}

/** The dead letters, oldest first; with `events`, each with its event. */
export function listDeadLetters(
  db: Database.Database,
  options: { events?: boolean; selection?: DeadLetterSelection } = {},
): DeadLetter[] {
  const { sql, params } = where(options.selection ?? 'all');
  const rows = db.prepare(`SELECT * FROM dead_letters${sql} ORDER BY seq`).all(...params) as DeadRow[];
  return rows.map((row) => {
    const decoded = options.events ? decode(row) : undefined;
    return {
      seq: row.seq,
      eventId: row.event_id,
      traceId: row.key,
      acceptedAt: row.accepted_at,
      failedAt: row.failed_at,
      code: row.code,
      reason: row.reason,
      bytes: Buffer.byteLength(row.body),
      ...(decoded ? { event: decoded.event } : {}),
    };
  });
}

/**
 * Moves dead letters back onto the spool, behind every event spooled now (new sequence numbers, in their old
 * order): the replay sends them again. Returns how many moved.
 */
export function requeueDeadLetters(db: Database.Database, selection: DeadLetterSelection): number {
  const { sql, params } = where(selection);
  return db.transaction(() => {
    const moved = db
      .prepare(
        `INSERT INTO events (key, accepted_at, body, crc) SELECT key, accepted_at, body, crc FROM dead_letters${sql} ORDER BY seq`,
      )
      .run(...params).changes;
    db.prepare(`DELETE FROM dead_letters${sql}`).run(...params);
    return moved;
  })();
}

/** Deletes dead letters for good. Returns how many. */
export function dropDeadLetters(db: Database.Database, selection: DeadLetterSelection): number {
  const { sql, params } = where(selection);
  return db.prepare(`DELETE FROM dead_letters${sql}`).run(...params).changes;
}
