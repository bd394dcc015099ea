// Partition choice, as pure functions: consumers call the same functions to know which partitions carry
// which event type, and the tests pin exact partition numbers.
import type { EventMessage, EventType } from '@event-sidecar/contract';
import { EVENT_TYPES } from '@event-sidecar/contract/constants';
import { ProducerError } from './errors.js';

export type PartitionMap = Record<EventType, number[]>;

export type CustomPartitioner = (event: EventMessage, partitionCount: number) => number;
export type PartitionStrategy = 'event-type' | 'trace-id' | CustomPartitioner;

/** The partition of one event, for a topic whose partition count is known. */
export type Chooser = (event: EventMessage) => number;

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), the hash of Java's DefaultPartitioner and
 * of kafkajs's DefaultPartitioner: same keys, same partitions. Strings are hashed as their UTF-8 bytes.
 */
export function murmur2(key: string | Buffer): number {
  if (typeof key === 'string') {
    // Trace ids are ASCII: hash the characters directly instead of allocating a Buffer for each event.
    for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return murmur2Bytes(Buffer.from(key, 'utf8'));
    return murmur2Ascii(key);
  }
  return murmur2Bytes(key);
}

function murmur2Bytes(data: Buffer): number {
  const length = data.length;
  let h = SEED ^ length;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[length4 + 2]! << 16;
  if (rest >= 2) h ^= data[length4 + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[length4]!, M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

function murmur2Ascii(s: string): number {
  const length = s.length;
  let h = SEED ^ length;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= s.charCodeAt(length4 + 2) << 16;
  if (rest >= 2) h ^= s.charCodeAt(length4 + 1) << 8;
  if (rest >= 1) h = Math.imul(h ^ s.charCodeAt(length4), M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs), as Java's partitioner does. */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

function invalid(message: string): ProducerError {
  return new ProducerError('INVALID_OPTIONS', message);
}

function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * Parses `log=0-3,audit=4-5,trace=6-9,error=10-11`. Each type takes ranges (`a-b`) or single partitions,
 * joined by `+` (`error=10+11`). Every type must be given exactly once; a type's partitions are sorted and
 * must not repeat. Different types may share partitions (their consumers then filter by the event-type header).
 */
export function parsePartitionMap(spec: string): PartitionMap {
  if (typeof spec !== 'string' || spec.trim() === '') throw invalid('partition map: empty specification');
  const problems: string[] = [];
  const map: Partial<PartitionMap> = {};
  for (const rawEntry of spec.split(',')) {
    const entry = rawEntry.trim();
    const eq = entry.indexOf('=');
    if (eq < 0) {
      problems.push(`"${entry}" is not type=partitions`);
      continue;
    }
    const type = entry.slice(0, eq).trim();
    if (!isEventType(type)) {
      problems.push(`unknown event type "${type}" (expected one of ${EVENT_TYPES.join(', ')})`);
      continue;
    }
    if (map[type]) {
      problems.push(`event type "${type}" is given twice`);
      continue;
    }
    const partitions: number[] = [];
    for (const rawPart of entry.slice(eq + 1).split('+')) {
      const part = rawPart.trim();
      const range = /^(\d{1,6})(?:\s*-\s*(\d{1,6}))?$/.exec(part);
      if (!range) {
        problems.push(`"${part}" for "${type}" is not a partition or a range like 0-3`);
        continue;
      }
      const from = Number(range[1]);
      const to = range[2] === undefined ? from : Number(range[2]);
      if (to < from) {
        problems.push(`range "${part}" for "${type}" ends before it starts`);
        continue;
      }
      for (let p = from; p <= to; p++) partitions.push(p);
    }
    map[type] = partitions;
  }
  for (const type of EVENT_TYPES)
    if (!map[type] && !problems.some((p) => p.includes(`"${type}"`))) {
      problems.push(`event type "${type}" has no partitions`);
    }
  if (problems.length > 0) throw invalid(`partition map "${spec}": ${problems.join('; ')}`);
  return normalizePartitionMap(map as PartitionMap);
}

/** Checks a map given as an object (shape, integers, no repeats, no empty set) and returns a sorted, frozen copy. */
export function normalizePartitionMap(map: PartitionMap): PartitionMap {
  const problems: string[] = [];
  if (!map || typeof map !== 'object') throw invalid('partition map: expected an object { log, audit, trace, error }');
  for (const key of Object.keys(map)) if (!isEventType(key)) problems.push(`unknown event type "${key}"`);
  const out = {} as PartitionMap;
  for (const type of EVENT_TYPES) {
    const set = map[type];
    if (!Array.isArray(set) || set.length === 0) {
      problems.push(`event type "${type}" has no partitions`);
      continue;
    }
    if (!set.every((p) => Number.isInteger(p) && p >= 0)) {
      problems.push(`event type "${type}": partitions must be integers >= 0`);
      continue;
    }
    const sorted = [...set].sort((a, b) => a - b);
    if (sorted.some((p, i) => i > 0 && p === sorted[i - 1])) {
      problems.push(`event type "${type}" lists a partition twice`);
      continue;
    }
    out[type] = Object.freeze(sorted) as number[];
  }
  if (problems.length > 0) throw invalid(`partition map: ${problems.join('; ')}`);
  return Object.freeze(out);
}

/** The problems of a map against a topic with `topicPartitions` partitions (empty when it fits). */
export function partitionMapProblems(map: PartitionMap, topicPartitions: number): string[] {
  const problems: string[] = [];
  for (const type of EVENT_TYPES) {
    const beyond = map[type].filter((p) => p >= topicPartitions);
    if (beyond.length > 0) {
      problems.push(
        `event type "${type}" uses partition(s) ${beyond.join(', ')} but the topic has ${topicPartitions} (0-${topicPartitions - 1})`,
      );
    }
  }
  return problems;
}

/** Lowest partition count a map needs: one more than the highest partition it names. */
export function partitionsNeeded(map: PartitionMap): number {
  let max = -1;
  for (const type of EVENT_TYPES) for (const p of map[type]) if (p > max) max = p;
  return max + 1;
}

/**
 * The default split when no map is given:
 * - with at least 4 partitions, contiguous ranges in the order log, audit, trace, error; each type gets
 *   floor(n/4) partitions and the remainder goes one each to log, then trace, then audit (the busiest first).
 *   12 partitions: log=0-2, audit=3-5, trace=6-8, error=9-11; 6: log=0-1, audit=2, trace=3-4, error=5.
 * - with fewer, types share partitions round-robin in that order: type i goes to partition i % n.
 *   1 partition: everything on 0; 2: log and trace on 0, audit and error on 1; 3: log and error on 0.
 */
export function defaultPartitionMap(topicPartitions: number): PartitionMap {
  if (!Number.isInteger(topicPartitions) || topicPartitions < 1) {
    throw invalid(`topic partitions must be an integer >= 1, got ${String(topicPartitions)}`);
  }
  const n = topicPartitions;
  const out = {} as PartitionMap;
  if (n < EVENT_TYPES.length) {
    EVENT_TYPES.forEach((type, i) => {
      out[type] = Object.freeze([i % n]) as number[];
    });
    return Object.freeze(out);
  }
  const base = Math.floor(n / EVENT_TYPES.length);
  const extra = new Map<EventType, number>(EVENT_TYPES.map((t) => [t, base]));
  const remainderOrder: EventType[] = ['log', 'trace', 'audit'];
  for (let r = 0; r < n % EVENT_TYPES.length; r++) {
    const t = remainderOrder[r]!;
    extra.set(t, extra.get(t)! + 1);
  }
  let next = 0;
  for (const type of EVENT_TYPES) {
    const size = extra.get(type)!;
    out[type] = Object.freeze(Array.from({ length: size }, (_, i) => next + i)) as number[];
    next += size;
  }
  return Object.freeze(out);
}

/** Resolves the map for a topic: the given one (string or object, checked against the topic) or the default split. */
export function resolvePartitionMap(topicPartitions: number, map?: PartitionMap | string): PartitionMap {
  if (map === undefined) return defaultPartitionMap(topicPartitions);
  const resolved = typeof map === 'string' ? parsePartitionMap(map) : normalizePartitionMap(map);
  const problems = partitionMapProblems(resolved, topicPartitions);
  if (problems.length > 0) {
    throw new ProducerError('NOT_ENOUGH_PARTITIONS', `partition map does not fit the topic: ${problems.join('; ')}`);
  }
  return resolved;
}

/** The partitions that carry events of `type`: what a consumer of that type assigns itself. */
export function partitionsForType(type: EventType, topicPartitions: number, map?: PartitionMap | string): number[] {
  if (!isEventType(type)) throw invalid(`unknown event type "${String(type)}"`);
  return [...resolvePartitionMap(topicPartitions, map)[type]];
}

/** Picks inside a set the way Kafka's default partitioner picks among all partitions. */
function pickByKey(key: string, partitions: readonly number[]): number {
  return partitions[toPositive(murmur2(key)) % partitions.length]!;
}

/**
 * Strategy `event-type`: the event's type selects its set of partitions; murmur2(traceId) selects one inside it,
 * so the events of one trace and one type stay in order. `map` must fit the topic (see resolvePartitionMap).
 */
export function eventTypePartition(event: EventMessage, topicPartitions: number, map?: PartitionMap): number {
  return pickForType(map ?? defaultPartitionMap(topicPartitions), event);
}

function pickForType(map: PartitionMap, event: EventMessage): number {
  const set = map[event.metadata.event.type];
  if (!set) throw new ProducerError('INVALID_EVENT', `unknown event type "${String(event.metadata.event.type)}"`);
  return pickByKey(event.metadata.trace.traceId, set);
}

/** Strategy `trace-id` (the original sidecar's): Java-compatible murmur2 of the trace id over all partitions. */
export function traceIdPartition(event: EventMessage, topicPartitions: number): number {
  return toPositive(murmur2(event.metadata.trace.traceId)) % topicPartitions;
}

/**
 * The chooser of `strategy` for a topic of `topicPartitions` partitions: what publish() and partitionFor() use.
 * The map (strategy `event-type` only; default: the even split) is resolved once, here, not per event. A custom
 * partitioner's failure or out-of-range answer becomes a ProducerError, so one bad event cannot break a batch.
 */
export function createChooser(
  strategy: PartitionStrategy,
  map: PartitionMap | string | undefined,
  topicPartitions: number,
): Chooser {
  if (!Number.isInteger(topicPartitions) || topicPartitions < 1) {
    throw invalid(`topic partitions must be an integer >= 1, got ${String(topicPartitions)}`);
  }
  if (strategy === 'event-type') {
    const resolved = resolvePartitionMap(topicPartitions, map);
    return (event) => pickForType(resolved, event);
  }
  if (strategy === 'trace-id') return (event) => traceIdPartition(event, topicPartitions);
  if (typeof strategy !== 'function') throw invalid(`unknown partition strategy ${JSON.stringify(strategy)}`);
  return (event) => {
    let partition: number;
    try {
      partition = strategy(event, topicPartitions);
    } catch (e) {
      throw new ProducerError('UNKNOWN', `custom partitioner threw: ${(e as Error)?.message ?? String(e)}`, {
        cause: e,
      });
    }
    if (!Number.isInteger(partition) || partition < 0 || partition >= topicPartitions) {
      throw new ProducerError(
        'UNKNOWN',
        `custom partitioner returned ${String(partition)}; expected an integer from 0 to ${topicPartitions - 1}`,
      );
    }
    return partition;
  };
}
