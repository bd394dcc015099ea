// What the spool holds, counted in memory so that an append, a health check or a scrape never reads the database:
// the committed events, their bytes and keys (a trace with spooled events holds its next ones behind them), the
// keys of appends not committed yet, and the dead letters. Recounted from the database after a rebuild or another
// process's change.
import type Database from 'better-sqlite3';
import { countDeadLetters } from './dead-letters.js';

/** Counts per key, up and down. */
class KeyCounts {
  private readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    const next = (this.counts.get(key) ?? 0) + n;
    if (next > 0) this.counts.set(key, next);
    else this.counts.delete(key);
  }
  has(key: string): boolean {
    return this.counts.has(key);
  }
  get size(): number {
    return this.counts.size;
  }
  clear(): void {
    this.counts.clear();
  }
}

export class SpoolFigures {
  events = 0;
  bytes = 0;
  deadLetters = 0;
  private readonly committedKeys = new KeyCounts();
  /** Appends not committed yet, by key. */
  readonly pendingKeys = new KeyCounts();

  /** An event committed (sign 1) or deleted (-1). */
  count(key: string, bytes: number, sign = 1): void {
    this.events += sign;
    this.bytes += sign * bytes;
    this.committedKeys.add(key, sign);
  }

  /** The committed figures from the database (the pending keys stay). */
  recount(db: Database.Database): void {
    this.committedKeys.clear();
    this.events = this.bytes = 0;
    for (const row of db.prepare('SELECT key, length(CAST(body AS BLOB)) AS bytes FROM events').iterate()) {
      const { key, bytes } = row as { key: string; bytes: number };
      this.count(key, bytes);
    }
    this.deadLetters = countDeadLetters(db);
  }

  /** Forgets the committed figures (before a damaged file is read again). */
  clear(): void {
    this.committedKeys.clear();
    this.events = this.bytes = 0;
  }

  /** True while events of this key are spooled or being spooled. */
  holds(key: string): boolean {
    return this.committedKeys.has(key) || this.pendingKeys.has(key);
  }

  get active(): boolean {
    return this.committedKeys.size > 0 || this.pendingKeys.size > 0;
  }
}
