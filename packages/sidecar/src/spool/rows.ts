// The spool's rows as stored (an event's JSON with its crc32) and the walk that copies the readable rows of a
// damaged database into a new one: one row at a time by sequence number, so that a damaged page costs the rows
// on it and not the rest.
import { crc32 } from 'node:zlib';
import type Database from 'better-sqlite3';
import type { EventMessage } from '@event-sidecar/contract';

/** A row of `events` (and the first columns of `dead_letters`). */
export interface Row {
  seq: number;
  key: string;
  accepted_at: number;
  body: string;
  crc: number;
}

export interface SpooledEvent {
  readonly seq: number;
  readonly key: string;
  /** Epoch ms the sidecar accepted the event. */
  readonly acceptedAt: number;
  readonly event: EventMessage;
  readonly bytes: number;
}

export const EVENTS_SCHEMA = `CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  crc INTEGER NOT NULL
)`;

export const checksum = (body: string): number => crc32(body);

/** Decodes a row; undefined when its checksum or JSON does not hold. */
export function decode(row: Row): SpooledEvent | undefined {
  if (typeof row.body !== 'string' || crc32(row.body) !== row.crc) return undefined;
  try {
    return {
      seq: row.seq,
      key: row.key,
      acceptedAt: row.accepted_at,
      event: JSON.parse(row.body) as EventMessage,
      bytes: Buffer.byteLength(row.body),
    };
  } catch {
    return undefined;
  }
}

/** True for SQLite's "the file is damaged" errors. */
export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code);
}

/**
 * Copies every row of `table` that can still be read and whose checksum holds from `from` into the same table of
 * `to` (same sequence numbers, in one transaction); returns how many were copied and how many were not. Gives up
 * on a file damaged beyond use after 10,000 failed reads.
 */
export function copyReadable(
  from: Database.Database,
  to: Database.Database,
  table: 'events' | 'dead_letters',
): { copied: number; unreadable: number } {
  let unreadable = 0;
  let top: number;
  try {
    top = (from.prepare(`SELECT max(seq) AS top FROM ${table}`).get() as { top: number | null }).top ?? 0;
  } catch {
    top = Number.MAX_SAFE_INTEGER;
  }
  let next: Database.Statement;
  try {
    next = from.prepare(`SELECT * FROM ${table} WHERE seq > ? ORDER BY seq LIMIT 1`);
  } catch (err) {
    // No such table (a spool of an earlier version has no dead letters) costs nothing; a schema beyond reading
    // costs whatever it held, counted as one.
    return { copied: 0, unreadable: /no such table/.test((err as Error).message) ? 0 : 1 };
  }
  let put: Database.Statement | undefined;
  let rows: Array<Record<string, unknown>> = [];
  let copied = 0;
  // Written a thousand at a time: a large spool is never held in memory whole.
  const write = () => {
    if (rows.length === 0) return;
    if (!put) {
      const columns = Object.keys(rows[0]!);
      put = to.prepare(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
      );
    }
    const statement = put;
    const chunk = rows;
    to.transaction(() => chunk.forEach((row) => statement.run(row)))();
    copied += chunk.length;
    rows = [];
  };
  let after = 0;
  let failures = 0;
  while (after < top && failures < 10_000) {
    try {
      const row = next.get(after) as (Row & Record<string, unknown>) | undefined;
      if (!row) break;
      after = row.seq;
      if (typeof row.body === 'string' && crc32(row.body) === row.crc) rows.push(row);
      else unreadable += 1;
    } catch {
      after += 1;
      unreadable += 1;
      failures += 1;
    }
    if (rows.length >= 1000) write();
  }
  write();
  return { copied, unreadable };
}
