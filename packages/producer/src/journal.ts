// The journal of a producer with whenUnavailable 'wait' and the `journal` option: each event's Kafka record is
// appended to a SQLite file (node:sqlite, WAL, synchronous NORMAL: it survives the crash of the process, not of the
// machine) before it is queued, and deleted once Kafka confirmed it or it failed for good; what a process that died
// left there is sent first by the next connect(). node:sqlite is built into Node.js 22.13+ and 24 (no native
// module); Node.js 20 lacks it, and the option is then refused with an error saying so.
import type { EventType } from '@event-sidecar/contract';
import { restoreEntry, type Entry } from './ledger.js';
import { ProducerError } from './errors.js';

/** The part of node:sqlite used here (its types are not in @types/node 20). */
interface Statement {
  run(...params: unknown[]): { lastInsertRowid: number | bigint };
  all(...params: unknown[]): unknown[];
}
interface Database {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}
interface SqliteModule {
  DatabaseSync: new (path: string) => Database;
}

/** One event as the journal keeps it: its record, where it goes, and its place in the order of publishing. */
export interface JournalRecord {
  seq: number;
  topic: string;
  partition: number;
  type: EventType;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  /** The record timestamp (epoch ms, a decimal string), as first published. */
  timestamp: string;
}

/** node:sqlite, or the reason it cannot be had on this Node.js. */
export function loadSqlite(): SqliteModule | string {
  const sqlite = process.getBuiltinModule?.('node:sqlite') as SqliteModule | undefined;
  if (sqlite?.DatabaseSync) return sqlite;
  return `the journal needs node:sqlite, built into Node.js 22.13 or newer; this is Node.js ${process.version}`;
}

export class Journal {
  private readonly insert: Statement;
  private readonly remove: Statement;
  private forgotten: number[] = [];
  private flushing: NodeJS.Immediate | undefined;

  private constructor(private readonly db: Database) {
    this.insert = db.prepare(
      'INSERT INTO events (topic, partition, type, key, value, headers, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.remove = db.prepare('DELETE FROM events WHERE seq = ?');
  }

  /** Opens (or creates) the journal at `path`, held by this process alone until close(). */
  static open(path: string): Journal {
    const sqlite = loadSqlite();
    if (typeof sqlite === 'string') throw new ProducerError('INVALID_OPTIONS', sqlite);
    let db: Database | undefined;
    try {
      db = new sqlite.DatabaseSync(path);
      // EXCLUSIVE: a second process on the same file fails here (the lock dies with the process, even by SIGKILL);
      // two would send each other's events.
      db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
      db.exec(
        'CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, ' +
          'partition INTEGER NOT NULL, type TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, ' +
          'headers TEXT NOT NULL, timestamp TEXT NOT NULL)',
      );
      return new Journal(db);
    } catch (e) {
      db?.close();
      throw new ProducerError('INVALID_OPTIONS', `cannot open the journal ${path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /**
   * Appends the entry's record and notes its place in `entry.seq`. One commit each (a write to the WAL, no fsync):
   * what publish() took is in the file when it returns.
   */
  append(entry: Entry): void {
    const { topic, type, message } = entry;
    const { key, value, headers, partition, timestamp } = message;
    const { lastInsertRowid } = this.insert.run(topic, partition, type, key, value, JSON.stringify(headers), timestamp);
    entry.seq = Number(lastInsertRowid);
  }

  /**
   * The entries of what an earlier run left, in the order it was published, each with a deadline from now; those
   * for a topic or partition `partitions` (per topic) no longer has are forgotten and counted as dropped.
   */
  restore(partitions: ReadonlyMap<string, number>, publishTimeoutMs: number): { entries: Entry[]; dropped: number } {
    const entries: Entry[] = [];
    let dropped = 0;
    for (const record of this.records()) {
      if (record.partition < (partitions.get(record.topic) ?? 0)) {
        entries.push(restoreEntry(record, publishTimeoutMs));
      } else {
        dropped++;
        this.forget(record.seq);
      }
    }
    return { entries, dropped };
  }

  /**
   * Deletes a record, with the others of this turn of the event loop in one transaction: a delete lost in a crash
   * only sends the event once more (at least once), so it need not be on disk at once.
   */
  forget(seq: number): void {
    this.forgotten.push(seq);
    this.flushing ??= setImmediate(() => this.flush());
  }

  /** Every record, in the order they were appended. */
  records(): JournalRecord[] {
    return this.db
      .prepare('SELECT * FROM events ORDER BY seq')
      .all()
      .map((row) => {
        const r = row as Omit<JournalRecord, 'headers' | 'value'> & { headers: string; value: Uint8Array };
        return { ...r, value: Buffer.from(r.value), headers: JSON.parse(r.headers) as Record<string, string> };
      });
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  private flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    if (this.forgotten.length === 0) return;
    const seqs = this.forgotten;
    this.forgotten = [];
    this.db.exec('BEGIN');
    for (const seq of seqs) this.remove.run(seq);
    this.db.exec('COMMIT');
  }
}
