// The spool's storage: one SQLite database in WAL mode holding validated events Kafka could not take
// yet. Writes are group-committed: every append made within `lingerMs` (or until `maxBatch` events)
// goes into one transaction, and each caller is answered only once that transaction committed. With
// `synchronous=FULL` a commit is fsynced, so an acknowledged event survives a crash of the machine,
// not only of the process; the group commit pays that fsync once per group instead of once per event.
import { renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import Database from 'better-sqlite3';
import type { EventMessage } from '@event-sidecar/contract';
import { SidecarError } from '../errors.js';

export type SpoolSync = 'full' | 'normal';

export interface SpoolStoreOptions {
  /** Directory of the database (created by the caller or the image). */
  dir: string;
  /** Most bytes of spooled events (JSON text); an append beyond it fails with SPOOL_FULL. */
  maxBytes: number;
  /** How long the first append of a group waits for company; default 2 ms. */
  lingerMs?: number;
  /** Most events in one transaction; default 500. */
  maxBatch?: number;
  /** `full` (default): fsync every commit; `normal`: survives a process crash, not a power cut. */
  sync?: SpoolSync;
  /** Called when records could not be read back at open (damaged file). */
  onUnreadable?: (count: number, reason: string) => void;
}

export interface SpooledEvent {
  readonly seq: number;
  readonly key: string;
  /** Epoch ms the sidecar accepted the event. */
  readonly acceptedAt: number;
  readonly event: EventMessage;
  readonly bytes: number;
}

export interface SpoolStats {
  readonly events: number;
  readonly bytes: number;
  /** Epoch ms of the oldest spooled event, when any. */
  readonly oldestAcceptedAt?: number;
  /** Records found damaged and dropped when the spool was opened. */
  readonly unreadable: number;
}

interface Pending {
  key: string;
  acceptedAt: number;
  body: string;
  crc: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Row {
  seq: number;
  key: string;
  accepted_at: number;
  body: string;
  crc: number;
}

export const SPOOL_FILE = 'spool.db';

const SCHEMA = `CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  crc INTEGER NOT NULL
)`;

const keyOf = (event: EventMessage): string => event.metadata.trace.traceId;

/** True for SQLite's "the file is damaged" errors. */
function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code);
}

/** Decodes a row; undefined when its checksum or JSON does not hold. */
function decode(row: Row): SpooledEvent | undefined {
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

export class SpoolStore {
  readonly path: string;
  private db: Database.Database;
  private readonly opts: Required<Omit<SpoolStoreOptions, 'onUnreadable'>> & Pick<SpoolStoreOptions, 'onUnreadable'>;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private committedBytes = 0;
  private committedEvents = 0;
  private unreadable = 0;
  /** Spooled (pending or committed) events per key: new events of such a key must queue behind them. */
  private readonly keys = new Map<string, number>();
  private closed = false;
  private listeners: Array<() => void> = [];
  private insert!: Database.Statement;
  private readonly flushTx: (rows: Pending[]) => void;

  constructor(options: SpoolStoreOptions) {
    this.opts = { lingerMs: 2, maxBatch: 500, sync: 'full', ...options };
    this.path = join(options.dir, SPOOL_FILE);
    this.db = this.open();
    this.flushTx = this.db.transaction((rows: Pending[]) => {
      for (const r of rows) this.insert.run(r.key, r.acceptedAt, r.body, r.crc);
    });
  }

  // ---------------------------------------------------------------- opening and recovery

  private configure(db: Database.Database): void {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${this.opts.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.exec(SCHEMA);
    this.insert = db.prepare('INSERT INTO events (key, accepted_at, body, crc) VALUES (?, ?, ?, ?)');
  }

  /**
   * Opens the database and reads every record once: checksums catch a damaged payload, SQLite's errors a
   * damaged structure. A damaged file is moved aside and what can still be read is copied into a new one,
   * so a bad tail costs the records in it, never the start of the sidecar.
   */
  private open(): Database.Database {
    let db: Database.Database | undefined;
    try {
      db = new Database(this.path);
      this.configure(db);
      const bad: number[] = [];
      for (const row of db.prepare('SELECT seq, key, accepted_at, body, crc FROM events ORDER BY seq').iterate()) {
        const decoded = decode(row as Row);
        if (decoded) this.count(decoded.key, decoded.bytes);
        else bad.push((row as Row).seq);
      }
      if (bad.length > 0) {
        const del = db.prepare('DELETE FROM events WHERE seq = ?');
        db.transaction(() => bad.forEach((seq) => del.run(seq)))();
        this.reportUnreadable(bad.length, 'checksum or JSON mismatch');
      }
      return db;
    } catch (err) {
      if (!isCorruption(err)) {
        db?.close();
        throw new SidecarError('SPOOL_FAILED', `cannot open the spool at ${this.path}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      try {
        db?.close();
      } catch {
        // A damaged file may fail to close cleanly; it is moved aside next.
      }
      return this.salvage(err as Error);
    }
  }

  private salvage(cause: Error): Database.Database {
    const aside = `${this.path}.damaged-${Date.now()}`;
    for (const suffix of ['', '-wal', '-shm'])
      if (existsSync(this.path + suffix)) renameSync(this.path + suffix, aside + suffix);
    this.keys.clear();
    this.committedBytes = this.committedEvents = 0;
    const db = new Database(this.path);
    this.configure(db);
    let unreadable = 0;
    let old: Database.Database | undefined;
    try {
      old = new Database(aside, { readonly: true, fileMustExist: true });
      const next = old.prepare(
        'SELECT seq, key, accepted_at, body, crc FROM events WHERE seq > ? ORDER BY seq LIMIT 1',
      );
      let top = 0;
      try {
        top = (old.prepare('SELECT max(seq) AS top FROM events').get() as { top: number | null }).top ?? 0;
      } catch {
        top = Number.MAX_SAFE_INTEGER;
      }
      // Walk the rows one by one: a read that fails skips one sequence number, so one damaged page
      // costs the rows on it. Bounded, so a file damaged beyond use is given up on.
      let after = 0;
      let failures = 0;
      const rows: Row[] = [];
      while (after < top && failures < 10_000) {
        try {
          const row = next.get(after) as Row | undefined;
          if (!row) break;
          after = row.seq;
          if (decode(row)) rows.push(row);
          else unreadable += 1;
        } catch {
          after += 1;
          unreadable += 1;
          failures += 1;
        }
      }
      db.transaction(() => {
        const put = db.prepare('INSERT INTO events (seq, key, accepted_at, body, crc) VALUES (?, ?, ?, ?, ?)');
        for (const r of rows) {
          put.run(r.seq, r.key, r.accepted_at, r.body, r.crc);
          this.count(r.key, Buffer.byteLength(r.body));
        }
      })();
    } catch {
      // Nothing readable at all (the header itself is gone): start empty.
      unreadable = Math.max(unreadable, 1);
    } finally {
      old?.close();
    }
    this.reportUnreadable(unreadable, `damaged file moved to ${aside}: ${cause.message}`);
    return db;
  }

  private reportUnreadable(count: number, reason: string): void {
    if (count === 0) return;
    this.unreadable += count;
    this.opts.onUnreadable?.(count, reason);
  }

  private count(key: string, bytes: number, sign = 1): void {
    this.committedEvents += sign;
    this.committedBytes += sign * bytes;
    const n = (this.keys.get(key) ?? 0) + sign;
    if (n > 0) this.keys.set(key, n);
    else this.keys.delete(key);
  }

  // ---------------------------------------------------------------- writing

  /** True while events of this key are spooled: a new one must be spooled behind them to keep the order. */
  holds(key: string): boolean {
    return this.keys.has(key);
  }

  /** True when anything is spooled or being spooled. */
  get active(): boolean {
    return this.keys.size > 0;
  }

  /** Resolves once the event is committed to disk; rejects with SPOOL_FULL or SPOOL_FAILED. */
  append(event: EventMessage, acceptedAt: number): Promise<void> {
    if (this.closed) return Promise.reject(new SidecarError('SPOOL_FAILED', 'the spool is closed'));
    const body = JSON.stringify(event);
    const bytes = Buffer.byteLength(body);
    if (this.committedBytes + this.pendingBytes + bytes > this.opts.maxBytes) {
      return Promise.reject(
        new SidecarError('SPOOL_FULL', `the spool holds ${this.committedBytes + this.pendingBytes} bytes`),
      );
    }
    const key = keyOf(event);
    this.keys.set(key, (this.keys.get(key) ?? 0) + 1);
    this.pendingBytes += bytes;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ key, acceptedAt, body, crc: crc32(body), resolve, reject });
      if (this.pending.length >= this.opts.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.opts.lingerMs);
    });
  }

  /** Commits every pending append in one transaction. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      this.flushTx(group);
    } catch (err) {
      for (const p of group) {
        const n = (this.keys.get(p.key) ?? 1) - 1;
        if (n > 0) this.keys.set(p.key, n);
        else this.keys.delete(p.key);
      }
      const code = (err as { code?: string }).code;
      const failure =
        code === 'SQLITE_FULL'
          ? new SidecarError('SPOOL_FULL', 'the disk of the spool is full', { cause: err })
          : new SidecarError('SPOOL_FAILED', `spool write failed: ${(err as Error).message}`, { cause: err });
      for (const p of group) p.reject(failure);
      return;
    }
    for (const p of group) {
      this.committedEvents += 1;
      this.committedBytes += Buffer.byteLength(p.body);
      p.resolve();
    }
    for (const listener of this.listeners) listener();
  }

  /** Called after each commit (the replayer wakes up on it). */
  onCommit(listener: () => void): void {
    this.listeners.push(listener);
  }

  // ---------------------------------------------------------------- reading

  /** The oldest `limit` events, oldest first. A record that no longer decodes is dropped and counted. */
  peek(limit: number): SpooledEvent[] {
    const rows = this.db
      .prepare('SELECT seq, key, accepted_at, body, crc FROM events ORDER BY seq LIMIT ?')
      .all(limit) as Row[];
    const out: SpooledEvent[] = [];
    for (const row of rows) {
      const decoded = decode(row);
      if (decoded) out.push(decoded);
      else {
        this.db.prepare('DELETE FROM events WHERE seq = ?').run(row.seq);
        this.count(row.key, Buffer.byteLength(String(row.body)), -1);
        this.reportUnreadable(1, 'checksum or JSON mismatch');
      }
    }
    return out;
  }

  /** Deletes delivered events (one transaction). */
  remove(events: readonly SpooledEvent[]): void {
    if (events.length === 0) return;
    const del = this.db.prepare('DELETE FROM events WHERE seq = ?');
    this.db.transaction(() => {
      for (const e of events) del.run(e.seq);
    })();
    for (const e of events) this.count(e.key, e.bytes, -1);
  }

  stats(): SpoolStats {
    let oldestAcceptedAt: number | undefined;
    if (this.committedEvents > 0) {
      const row = this.db.prepare('SELECT accepted_at FROM events ORDER BY seq LIMIT 1').get() as
        { accepted_at: number } | undefined;
      oldestAcceptedAt = row?.accepted_at;
    }
    return {
      events: this.committedEvents,
      bytes: this.committedBytes,
      ...(oldestAcceptedAt === undefined ? {} : { oldestAcceptedAt }),
      unreadable: this.unreadable,
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Commits what is pending, checkpoints the WAL and closes. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }
}
