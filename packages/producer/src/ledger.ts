// An event taken by publish() (its entry: record, size, topic and partition, deadline), and the ledger of those not
// yet settled: each settles exactly once.
import { performance } from 'node:perf_hooks';
import type { EventMessage, EventType } from '@event-sidecar/contract';
import { ProducerError } from './errors.js';
import type { ProducerMetrics } from './metrics.js';
import type { Journal, JournalRecord } from './journal.js';
import { toKafkaRecord, type KafkaRecord } from './record.js';

export interface PublishResult {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: a decimal string. */
  offset: string;
}

/** An event's Kafka record as kafkajs sends it, with the partition chosen for it. */
interface EntryMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  partition: number;
  /** Epoch ms, a decimal string. */
  timestamp: string;
}

/** One event taken by publish(): its record, where it goes, and the caller awaiting its outcome. */
export interface Entry {
  readonly topic: string;
  readonly type: EventType;
  readonly message: EntryMessage;
  /** Its partition of its topic, `partition:topic`: what keeps its order with the events around it. */
  readonly key: string;
  readonly bytes: number;
  readonly startedAt: number;
  readonly deadline: number;
  resolve: (result: PublishResult) => void;
  reject: (error: ProducerError) => void;
  done: boolean;
  /** Its place in the producer's journal, when it has one (journal.ts). */
  seq?: number;
}

// Bytes a record costs beyond its key, value and headers in a v2 record batch (lengths, varints, attributes):
// a generous estimate so that a full batch stays under the broker's message.max.bytes.
const RECORD_OVERHEAD = 64;

/**
 * Most bytes the record of an event the contract accepts takes beyond the event's own compact JSON: the key (a
 * 32-character trace id), the four headers (about 140 bytes), `protocol.createdAt` in the value (about 36) and the
 * record's overhead (64), rounded up. An event whose JSON is at most `batch.maxBytes` minus this fits in a produce
 * request; the sidecar bounds its request bodies so.
 */
export const RECORD_ENVELOPE_BYTES = 512;

export interface EntryTarget {
  topic: string;
  /** The event's partition: asked after the record is made, so that an invalid event fails as INVALID_EVENT. */
  choose: (event: EventMessage) => number;
  /** Epoch ms: `protocol.createdAt` and the record timestamp. */
  createdAt: number;
  publishTimeoutMs: number;
}

/** An event's Kafka record and the bytes it takes in a produce request. */
export interface SizedRecord {
  readonly record: KafkaRecord;
  readonly bytes: number;
}

/**
 * The record of `event` at `createdAt`, and its size; RECORD_TOO_LARGE when it could never fit in a produce request
 * of `maxBytes` (INVALID_EVENT when it cannot be made at all). It needs no broker: publish() asks it before anything
 * about Kafka's state, so that an event too large is refused alike whether Kafka is up or away (or, with 'wait',
 * refused at once rather than left to wait).
 */
export function sizedRecord(event: EventMessage, createdAt: number, maxBytes: number): SizedRecord {
  const record = toKafkaRecord(event, createdAt);
  const bytes = recordBytes(record.key, record.value, record.headers);
  if (bytes > maxBytes) {
    throw new ProducerError(
      'RECORD_TOO_LARGE',
      `the event takes ${bytes} bytes as a Kafka record; at most ${maxBytes} are accepted (batch.maxBytes)`,
    );
  }
  return { record, bytes };
}

/** The entry for `event`, from its record (sizedRecord). */
export function createEntry(event: EventMessage, sized: SizedRecord, target: EntryTarget): Entry {
  const { record, bytes } = sized;
  const partition = target.choose(event);
  return newEntry(
    target.topic,
    event.metadata.event.type,
    {
      key: record.key,
      value: record.value,
      headers: record.headers,
      partition,
      timestamp: String(target.createdAt),
    },
    bytes,
    target.publishTimeoutMs,
  );
}

/** The entry of a record an earlier run left in the journal: sent again with a deadline of its own from now. */
export function restoreEntry(record: JournalRecord, publishTimeoutMs: number): Entry {
  const { key, value, headers, partition, timestamp } = record;
  const message = { key, value, headers, partition, timestamp };
  const entry = newEntry(record.topic, record.type, message, recordBytes(key, value, headers), publishTimeoutMs);
  entry.seq = record.seq;
  return entry;
}

function recordBytes(key: string, value: Buffer, headers: Record<string, string>): number {
  let bytes = key.length + value.length + RECORD_OVERHEAD;
  for (const name in headers) bytes += name.length + headers[name]!.length + 2;
  return bytes;
}

function newEntry(
  topic: string,
  type: EventType,
  message: Entry['message'],
  bytes: number,
  publishTimeoutMs: number,
): Entry {
  const startedAt = performance.now();
  return {
    topic,
    type,
    message,
    key: `${message.partition}:${topic}`,
    bytes,
    startedAt,
    deadline: startedAt + publishTimeoutMs,
    // a restored event has no caller waiting for it
    resolve: () => {},
    reject: () => {},
    done: false,
  };
}

/** The events taken and not yet settled, over all lanes; close() waits here for them. */
export class Ledger {
  depth = 0;
  /** Bytes of their records (Entry.bytes), for batch.maxQueueBytes. */
  bytes = 0;
  /**
   * The producer's journal, if any: an event leaves it once confirmed or failed for good; one that failed because
   * the producer closed (CLOSED) stays, for the next run to send.
   */
  journal: Pick<Journal, 'forget'> | undefined;
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly metrics: ProducerMetrics,
    /** Whether a produce request is still running (its events may all be settled already). */
    private readonly anyInFlight: () => boolean,
  ) {}

  take(entry: Entry): void {
    this.depth++;
    this.bytes += entry.bytes;
  }

  confirm(entry: Entry, result: PublishResult, now: number): void {
    entry.done = true;
    this.depth--;
    this.bytes -= entry.bytes;
    if (entry.seq !== undefined) this.journal?.forget(entry.seq);
    this.metrics.publishLatency((now - entry.startedAt) / 1000);
    entry.resolve(result);
  }

  fail(entries: readonly Entry[], error: ProducerError): void {
    const counts = new Map<EventType, number>();
    for (const entry of entries) {
      if (entry.done) continue;
      entry.done = true;
      this.depth--;
      this.bytes -= entry.bytes;
      if (entry.seq !== undefined && error.code !== 'CLOSED') this.journal?.forget(entry.seq);
      counts.set(entry.type, (counts.get(entry.type) ?? 0) + 1);
      entry.reject(error);
    }
    for (const [type, count] of counts) this.metrics.failed(type, error.code, count);
  }

  /** Resolves when nothing is queued or in flight, or after `maxMs` (then `onTimeout` runs first). */
  drained(maxMs: number, onTimeout: () => void): Promise<void> {
    if (this.depth === 0 && !this.anyInFlight()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        onTimeout();
        resolve();
      }, maxMs);
      this.drainWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Wakes the drained() waiters once nothing is queued or in flight. */
  checkDrained(): void {
    if (this.depth === 0 && this.drainWaiters.length > 0 && !this.anyInFlight()) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }
}
