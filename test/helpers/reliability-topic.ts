// Reads a whole topic back (up to the end offsets at the time of the call) and reconciles it with
// a ledger: every acknowledged event must be there; duplicates are counted, not forgiven silently.
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { validateEvent, type ValidationIssue } from '@event-sidecar/contract';
import type { Ledger } from './reliability-load.js';
import { uniqueSuffix } from './reliability.js';

export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  /** The parsed value, or undefined when it is not JSON. */
  value: Record<string, unknown> | undefined;
  raw: string;
}

export interface TopicContents {
  records: number;
  /** Records per event id (`value.id`). */
  countById: Map<string, number>;
  /** Every record, when `keep` was asked for. */
  kept: TopicRecord[];
}

export interface ReadOptions {
  sasl?: SASLOptions;
  timeoutMs?: number;
  /** Keep every record (for validating them); otherwise only counts are kept. */
  keep?: boolean;
}

/** Reads `topic` from the beginning to the end offsets it has now. */
export async function readTopic(brokers: string[], topic: string, options: ReadOptions = {}): Promise<TopicContents> {
  const kafka = new Kafka({
    clientId: `reliability-reader-${uniqueSuffix()}`,
    brokers,
    logLevel: logLevel.NOTHING,
    ...(options.sasl ? { sasl: options.sasl } : {}),
  });
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const contents: TopicContents = { records: 0, countById: new Map(), kept: [] };
  const remaining = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  if (remaining.size === 0) return contents;

  const consumer = kafka.consumer({ groupId: `reliability-reader-${uniqueSuffix()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 120_000;
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `read ${contents.records} records of ${topic}; partitions ${[...remaining]} not finished in ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition) ?? 0n;
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= end) break;
              const raw = message.value?.toString('utf8') ?? '';
              let value: Record<string, unknown> | undefined;
              try {
                value = JSON.parse(raw) as Record<string, unknown>;
              } catch {
                value = undefined;
              }
              contents.records++;
              const id = typeof value?.id === 'string' ? value.id : '<no id>';
              contents.countById.set(id, (contents.countById.get(id) ?? 0) + 1);
              if (options.keep)
                contents.kept.push({
                  partition: batch.partition,
                  offset: message.offset,
                  key: message.key?.toString() ?? null,
                  value,
                  raw,
                });
              if (BigInt(message.offset) >= end - 1n) remaining.delete(batch.partition);
            }
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return contents;
}

export interface Reconciliation {
  /** Acknowledgements (an id acknowledged twice counts twice). */
  acked: number;
  /** Distinct acknowledged ids. */
  ackedIds: number;
  /** Acknowledged ids found on the topic. */
  found: number;
  /** Acknowledged ids missing from the topic. */
  lost: string[];
  /** Records beyond the first of each id. */
  duplicates: number;
  refused: number;
  /** Ids never acknowledged that are on the topic anyway (a timeout that Kafka did store, say). */
  storedUnacked: number;
  unanswered: number;
  records: number;
}

export function reconcile(ledger: Ledger, contents: TopicContents): Reconciliation {
  const ackedIds = ledger.ackedIds();
  const lost = ackedIds.filter((id) => !contents.countById.has(id));
  let duplicates = 0;
  for (const count of contents.countById.values()) duplicates += count - 1;
  const acked = new Set(ackedIds);
  let storedUnacked = 0;
  for (const id of contents.countById.keys()) if (ledger.byId.has(id) && !acked.has(id)) storedUnacked++;
  return {
    acked: ledger.acked,
    ackedIds: ackedIds.length,
    found: ackedIds.length - lost.length,
    lost,
    duplicates,
    refused: ledger.refused,
    storedUnacked,
    unanswered: ledger.unanswered,
    records: contents.records,
  };
}

export function formatReconciliation(r: Reconciliation): string {
  return (
    `acknowledged ${r.acked} (${r.ackedIds} ids), found ${r.found}, lost ${r.lost.length}, ` +
    `duplicates ${r.duplicates}, refused ${r.refused}, refused but stored ${r.storedUnacked}, ` +
    `unanswered ${r.unanswered}, records on the topic ${r.records}`
  );
}

/**
 * The event inside a record: the record is the event with metadata["protocol.createdAt"] added by
 * the producer (as the original sidecar did); without it, it must pass the contract.
 */
function eventOfRecord(value: Record<string, unknown>): unknown {
  const metadata = value.metadata as Record<string, unknown> | undefined;
  if (!metadata || typeof metadata !== 'object') return value;
  const rest = { ...metadata };
  delete rest['protocol.createdAt'];
  return { ...value, metadata: rest };
}

/** Records whose event does not pass the contract's validator. */
export function invalidRecords(
  contents: TopicContents,
): Array<{ record: TopicRecord; issue: ValidationIssue | string }> {
  const bad: Array<{ record: TopicRecord; issue: ValidationIssue | string }> = [];
  for (const record of contents.kept) {
    if (!record.value) {
      bad.push({ record, issue: 'value is not JSON' });
      continue;
    }
    const result = validateEvent(eventOfRecord(record.value));
    if (!result.ok) bad.push({ record, issue: result.errors[0]! });
  }
  return bad;
}
