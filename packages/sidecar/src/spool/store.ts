// The spool's storage: one SQLite database in WAL mode holding validated events Kafka could not take
// yet. Writes are group-committed: the appends of one turn of the event loop (or made within `lingerMs`; at
// most `maxBatch`) go into one transaction, and each caller is answered only once that transaction committed. With
// `synchronous=FULL` a commit is fsynced, so an acknowledged event survives a crash of the machine,
// not only of the process; the group commit pays that fsync once per group instead of once per event.
// After each commit the file is checked (file-check.ts) before anyone is answered; a file found damaged,
// deleted or replaced is rebuilt in place from what the store can still read (repair.ts), without a restart.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventMessage } from '@event-sidecar/contract';
import { SidecarError } from '../errors.js';
import {
  countDeadLetters,
  DEAD_LETTERS_SCHEMA,
  deadLetterStatements,
  type Bury,
  type DeadLetterReason,
} from './dead-letters.js';
import { SpoolFigures } from './figures.js';
import { fileProblem, identify, type FileIdentity } from './file-check.js';
import { spoolUnusable } from './lock.js';
import { rebuildFrom } from './repair.js';
import { checksum, decode, EVENTS_SCHEMA, isCorruption, type Row, type SpooledEvent } from './rows.js';

export type { SpooledEvent } from './rows.js';
export type SpoolSync = 'full' | 'normal';

export interface SpoolStoreOptions {
  /** Directory of the database (created by the caller or the image). */
  dir: string;
  /** Most bytes of spooled events (JSON text); an append beyond it fails with SPOOL_FULL. */
  maxBytes: number;
  /** How long the first append of a group waits for company; 0 (default): the appends of one turn of the loop. */
  lingerMs?: number;
  /** Most events in one transaction; default 500. */
  maxBatch?: number;
  /** `full` (default): fsync every commit; `normal`: survives a process crash, not a power cut. */
  sync?: SpoolSync;
  /** Least time between two attempts to rebuild a damaged spool; default 1000 ms. */
  repairBackoffMs?: number;
  /** Called when records could not be read back (damaged file). */
  onUnreadable?: (count: number, reason: string) => void;
  /** Called when the file was found damaged while running, once rebuilt or once the rebuild failed. */
  onDamaged?: (fault: SpoolFault) => void;
}

/** The last damage found while running: what it was, when, and whether the spool was rebuilt since. */
export interface SpoolFault {
  readonly message: string;
  readonly at: number;
  readonly repaired: boolean;
}

export interface SpoolStats {
  readonly events: number;
  readonly bytes: number;
  /** Epoch ms of the oldest spooled event, when any. */
  readonly oldestAcceptedAt?: number;
  /** Records found damaged and dropped. */
  readonly unreadable: number;
  /** Events moved out of the replay for good (dead-letters.ts). */
  readonly deadLetters: number;
  /** The last damage found while running, when any. */
  readonly fault?: SpoolFault;
}

interface Pending {
  key: string;
  acceptedAt: number;
  body: string;
  crc: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export const SPOOL_FILE = 'spool.db';

/** SQLite errors that say the file is damaged or gone from under the connection: a rebuild may cure them. */
function isDamage(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return isCorruption(err) || (typeof code === 'string' && /^SQLITE_(IOERR|CANTOPEN|READONLY)/.test(code));
}

const describe = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  return `${typeof code === 'string' ? `${code}: ` : ''}${(err as Error)?.message ?? String(err)}`;
};

export class SpoolStore {
  readonly path: string;
  private db!: Database.Database;
  private identity!: FileIdentity;
  private dataVersion = 0;
  private insert!: Database.Statement;
  private flushTx!: (rows: Pending[]) => number[];
  private buryTx!: Bury;
  private readonly opts: Required<Omit<SpoolStoreOptions, 'onUnreadable' | 'onDamaged'>> &
    Pick<SpoolStoreOptions, 'onUnreadable' | 'onDamaged'>;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly figures = new SpoolFigures();
  private unreadable = 0;
  private fault: SpoolFault | undefined;
  /** What made the spool unusable, while it is (the fault's message adds why the rebuild failed). */
  private faultCause: string | undefined;
  private nextRepairAt = 0;
  private closed = false;
  private listeners: Array<() => void> = [];

  constructor(options: SpoolStoreOptions) {
    this.opts = { lingerMs: 0, maxBatch: 500, sync: 'full', repairBackoffMs: 1000, ...options };
    this.path = join(options.dir, SPOOL_FILE);
    this.open();
  }

  // ---------------------------------------------------------------- opening and recovery

  /** Makes `db` the store's connection: WAL, the schema, the statements, the file's identity. */
  private attach(db: Database.Database): void {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${this.opts.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.exec(EVENTS_SCHEMA);
    db.exec(DEAD_LETTERS_SCHEMA);
    this.db = db;
    this.identity = identify(this.path);
    this.dataVersion = db.pragma('data_version', { simple: true }) as number;
    this.insert = db.prepare('INSERT INTO events (key, accepted_at, body, crc) VALUES (?, ?, ?, ?)');
    this.flushTx = db.transaction((rows: Pending[]) =>
      rows.map((r) => Number(this.insert.run(r.key, r.acceptedAt, r.body, r.crc).lastInsertRowid)),
    );
    this.buryTx = deadLetterStatements(db).bury;
  }

  /**
   * Opens the database and reads every record once: checksums catch a damaged payload, SQLite's errors a
   * damaged structure. A damaged file is moved aside and what can still be read is copied into a new one,
   * so a bad tail costs the records in it, never the start of the sidecar. Anything else that keeps the file
   * from opening (a directory in its place, no permission) stops the start, naming SPOOL_DIR.
   */
  private open(): void {
    let db: Database.Database | undefined;
    try {
      db = new Database(this.path);
      this.attach(db);
      const bad: number[] = [];
      for (const row of db.prepare('SELECT seq, key, accepted_at, body, crc FROM events ORDER BY seq').iterate()) {
        const decoded = decode(row as Row);
        if (decoded) this.figures.count(decoded.key, decoded.bytes);
        else bad.push((row as Row).seq);
      }
      if (bad.length > 0) {
        const del = db.prepare('DELETE FROM events WHERE seq = ?');
        db.transaction(() => bad.forEach((seq) => del.run(seq)))();
        this.reportUnreadable(bad.length, 'checksum or JSON mismatch');
      }
      this.figures.deadLetters = countDeadLetters(db);
    } catch (err) {
      try {
        db?.close();
      } catch {
        // A damaged file may fail to close cleanly; it is moved aside next.
      }
      if (!isCorruption(err)) throw spoolUnusable(this.opts.dir, `${this.path} cannot be opened (${describe(err)})`);
      this.salvage(err as Error);
    }
  }

  /** At start: the damaged file is read on its own (read-only) and rebuilt. */
  private salvage(cause: Error): void {
    this.figures.clear();
    let damaged: Database.Database;
    try {
      damaged = new Database(this.path, { readonly: true, fileMustExist: true });
    } catch {
      // Nothing readable at all (the header itself is gone): start empty.
      damaged = new Database(':memory:');
      this.reportUnreadable(1, `damaged file: ${cause.message}`);
    }
    const rebuilt = rebuildFrom(damaged, this.path, this.opts.dir);
    this.attach(new Database(this.path));
    this.figures.recount(this.db);
    this.reportUnreadable(
      rebuilt.unreadable,
      `damaged file${rebuilt.aside ? ` moved to ${rebuilt.aside}` : ''}: ${cause.message}`,
    );
  }

  /**
   * While running: rebuilds the spool from the store's connection after `cause` (a damaged, deleted or replaced
   * file). At most once per `repairBackoffMs`; until it succeeds the spool refuses appends (SPOOL_FAILED).
   */
  private repair(cause: string): boolean {
    const now = Date.now();
    if (now < this.nextRepairAt) {
      if (this.fault === undefined || this.fault.repaired) this.fault = { message: cause, at: now, repaired: false };
      this.faultCause = cause;
      return false;
    }
    this.nextRepairAt = now + this.opts.repairBackoffMs;
    this.faultCause = cause;
    try {
      const rebuilt = rebuildFrom(this.db, this.path, this.opts.dir);
      this.attach(new Database(this.path));
      this.figures.recount(this.db);
      this.reportUnreadable(rebuilt.unreadable, `damaged file: ${cause}`);
      this.fault = {
        message: `${cause}; rebuilt with ${rebuilt.kept} records kept, ${rebuilt.unreadable} unreadable${rebuilt.aside ? `, the damaged file moved to ${rebuilt.aside}` : ''}`,
        at: now,
        repaired: true,
      };
    } catch (err) {
      this.fault = { message: `${cause}; it cannot be rebuilt yet: ${describe(err)}`, at: now, repaired: false };
    }
    this.opts.onDamaged?.(this.fault);
    return this.fault.repaired;
  }

  /** The spool is damaged and not rebuilt yet: a rebuild is tried (at most once per backoff). */
  private get broken(): boolean {
    if (this.fault === undefined || this.fault.repaired) return false;
    return !this.repair(this.faultCause ?? this.fault.message);
  }

  private reportUnreadable(count: number, reason: string): void {
    if (count === 0) return;
    this.unreadable += count;
    this.opts.onUnreadable?.(count, reason);
  }

  /**
   * Picks up what another process changed in the database (`event-sidecar dead-letters requeue` or `drop` while
   * this sidecar runs), and tries again to rebuild a damaged spool. Returns true when events were added.
   */
  refresh(): boolean {
    if (this.closed || this.broken) return false;
    try {
      const version = this.db.pragma('data_version', { simple: true }) as number;
      if (version === this.dataVersion) return false;
      this.dataVersion = version;
      const before = this.figures.events;
      this.figures.recount(this.db);
      return this.figures.events > before;
    } catch (err) {
      if (isDamage(err)) this.repair(`reading ${SPOOL_FILE} failed: ${describe(err)}`);
      return false;
    }
  }

  // ---------------------------------------------------------------- writing

  /** True while events of this key are spooled: a new one must be spooled behind them to keep the order. */
  holds(key: string): boolean {
    return this.figures.holds(key);
  }

  /** True when anything is spooled or being spooled. */
  get active(): boolean {
    return this.figures.active;
  }

  /** Resolves once the event is committed to disk; rejects with SPOOL_FULL or SPOOL_FAILED. */
  append(event: EventMessage, acceptedAt: number): Promise<void> {
    if (this.closed) return Promise.reject(new SidecarError('SPOOL_FAILED', 'the spool is closed'));
    if (this.broken) return Promise.reject(new SidecarError('SPOOL_FAILED', this.fault!.message));
    const body = JSON.stringify(event);
    const bytes = Buffer.byteLength(body);
    if (this.figures.bytes + this.pendingBytes + bytes > this.opts.maxBytes) {
      return Promise.reject(
        new SidecarError('SPOOL_FULL', `the spool holds ${this.figures.bytes + this.pendingBytes} bytes`),
      );
    }
    const key = event.metadata.trace.traceId;
    this.figures.pendingKeys.add(key);
    this.pendingBytes += bytes;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ key, acceptedAt, body, crc: checksum(body), resolve, reject });
      if (this.pending.length >= this.opts.maxBatch) this.flush();
      // Without a linger, the appends of one turn of the event loop share a commit (at its end). A commit blocks the
      // loop for its fsync, and what arrives meanwhile is read in one turn after it: groups grow with the load.
      else
        this.timer ??=
          this.opts.lingerMs > 0
            ? setTimeout(() => this.flush(), this.opts.lingerMs)
            : setImmediate(() => this.flush());
    });
  }

  /** Commits every pending append in one transaction. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
    }
    this.timer = undefined;
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    const failure = this.commit(group);
    for (const p of group) this.figures.pendingKeys.add(p.key, -1);
    if (failure) {
      for (const p of group) p.reject(failure);
      return;
    }
    for (const p of group) p.resolve();
    for (const listener of this.listeners) listener();
  }

  /**
   * Writes `group` and checks that the file holding it is the spool's, undamaged; on damage rebuilds the spool
   * and, if the group is not in the rebuilt one yet, writes it again. Counts what it committed; returns the
   * failure when the group is not safely on disk.
   */
  private commit(group: Pending[]): SidecarError | undefined {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      let seqs: number[];
      try {
        seqs = this.flushTx(group);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'SQLITE_FULL')
          return new SidecarError('SPOOL_FULL', 'the disk of the spool is full', { cause: err });
        const failure = new SidecarError('SPOOL_FAILED', `spool write failed: ${describe(err)}`, { cause: err });
        if (attempt > 0 || !isDamage(err) || !this.repair(`writing ${SPOOL_FILE} failed: ${describe(err)}`))
          return failure;
        continue;
      }
      const problem = fileProblem(this.path, this.identity);
      if (problem === undefined) {
        for (const p of group) this.figures.count(p.key, Buffer.byteLength(p.body));
        return undefined;
      }
      // The group is in the connection's view, not in the file at the spool's path. The rebuild copies that
      // view, the group included, and is counted from the new file.
      if (this.repair(problem)) {
        if (fileProblem(this.path, this.identity) === undefined) return undefined;
        continue;
      }
      // Refused: taken out again, so that a later rebuild does not deliver what its callers were told failed.
      try {
        const del = this.db.prepare('DELETE FROM events WHERE seq = ?');
        this.db.transaction(() => seqs.forEach((seq) => del.run(seq)))();
      } catch {
        // Unreadable as well: a later rebuild may still find and deliver them (at least once).
      }
      return new SidecarError('SPOOL_FAILED', this.fault!.message);
    }
    return new SidecarError('SPOOL_FAILED', this.fault?.message ?? 'the spool could not be written');
  }

  /** Called after each commit (the replayer wakes up on it). */
  onCommit(listener: () => void): void {
    this.listeners.push(listener);
  }

  // ---------------------------------------------------------------- reading

  /** The oldest `limit` events, oldest first. A record that no longer decodes is dropped and counted. */
  peek(limit: number): SpooledEvent[] {
    if (this.broken) return [];
    try {
      const rows = this.db
        .prepare('SELECT seq, key, accepted_at, body, crc FROM events ORDER BY seq LIMIT ?')
        .all(limit) as Row[];
      const out: SpooledEvent[] = [];
      for (const row of rows) {
        const decoded = decode(row);
        if (decoded) out.push(decoded);
        else {
          this.db.prepare('DELETE FROM events WHERE seq = ?').run(row.seq);
          this.figures.count(row.key, Buffer.byteLength(String(row.body)), -1);
          this.reportUnreadable(1, 'checksum or JSON mismatch');
        }
      }
      return out;
    } catch (err) {
      if (!isDamage(err)) throw err;
      this.repair(`reading ${SPOOL_FILE} failed: ${describe(err)}`);
      return [];
    }
  }

  /** Deletes delivered events (one transaction). */
  remove(events: readonly SpooledEvent[]): void {
    if (events.length === 0) return;
    const del = this.db.prepare('DELETE FROM events WHERE seq = ?');
    this.guarded(() =>
      this.db.transaction(() => {
        for (const e of events) del.run(e.seq);
      })(),
    );
    for (const e of events) this.figures.count(e.key, e.bytes, -1);
  }

  /** Moves a spooled event to the dead letters: it leaves the replay, and no longer holds its trace. */
  bury(event: SpooledEvent, why: DeadLetterReason, at = Date.now()): void {
    const moved = this.guarded(() => this.buryTx(event.seq, event.event.id, at, why));
    if (!moved) return;
    this.figures.count(event.key, event.bytes, -1);
    this.figures.deadLetters += 1;
  }

  /** Runs a write of the replay; damage starts a rebuild (the write is then done again by the next round). */
  private guarded<T>(write: () => T): T {
    try {
      return write();
    } catch (err) {
      if (isDamage(err)) this.repair(`writing ${SPOOL_FILE} failed: ${describe(err)}`);
      throw err;
    }
  }

  stats(): SpoolStats {
    let oldestAcceptedAt: number | undefined;
    if (this.figures.events > 0 && !this.closed) {
      try {
        const row = this.db.prepare('SELECT accepted_at FROM events ORDER BY seq LIMIT 1').get() as
          { accepted_at: number } | undefined;
        oldestAcceptedAt = row?.accepted_at;
      } catch {
        // A damaged file: the fault says so; the age is unknown meanwhile.
      }
    }
    return {
      events: this.figures.events,
      bytes: this.figures.bytes,
      ...(oldestAcceptedAt === undefined ? {} : { oldestAcceptedAt }),
      unreadable: this.unreadable,
      deadLetters: this.figures.deadLetters,
      ...(this.fault ? { fault: this.fault } : {}),
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
    try {
      this.db.close();
    } catch {
      // A damaged file may fail to close cleanly; what could be saved was saved by the rebuild.
    }
  }
}
