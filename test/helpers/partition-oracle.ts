// Where an event must land, computed from the documentation alone (the producer's README: "Partitioning"),
// never through the producer's own functions: a test that asked the producer where an event goes would pass
// with any placement, since the same code would answer both questions.
import assert from 'node:assert/strict';

type Type = 'log' | 'audit' | 'trace' | 'error';
const ORDER: readonly Type[] = ['log', 'audit', 'trace', 'error'];

/**
 * Kafka's murmur2 over the UTF-8 bytes of `key`, transcribed from org.apache.kafka.common.utils.Utils#murmur2
 * (seed 0x9747b28c, m 0x5bd1e995, r 24), in BigInt arithmetic kept to 32 bits so that it shares nothing with
 * the producer's Math.imul code.
 */
function javaMurmur2(key: string): number {
  const data = Buffer.from(key, 'utf8');
  const mask = 0xffffffffn;
  const m = 0x5bd1e995n;
  const mul = (a: bigint, b: bigint) => (a * b) & mask;
  let h = (0x9747b28cn ^ BigInt(data.length)) & mask;
  const whole = data.length - (data.length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = BigInt(data.readUInt32LE(i));
    k = mul(k, m);
    k ^= k >> 24n;
    k = mul(k, m);
    h = mul(h, m) ^ k;
  }
  const rest = data.length % 4;
  if (rest === 3) h ^= BigInt(data[whole + 2]!) << 16n;
  if (rest >= 2) h ^= BigInt(data[whole + 1]!) << 8n;
  if (rest >= 1) {
    h ^= BigInt(data[whole]!);
    h = mul(h, m);
  }
  h ^= h >> 13n;
  h = mul(h, m);
  h ^= h >> 15n;
  return Number(BigInt.asIntN(32, h));
}

/** Kafka's Utils.toPositive: the sign bit cleared. */
const toPositive = (n: number): number => Number(BigInt(n) & 0x7fffffffn);

/** Java's default partitioner (and librdkafka's murmur2_random) for a non-null key. */
export function javaDefaultPartition(key: string, partitions: number): number {
  return toPositive(javaMurmur2(key)) % partitions;
}

/**
 * The documented default split of a topic of `n` partitions among the event types: with 4 or more,
 * contiguous ranges in the order log, audit, trace, error, floor(n/4) each, the remainder one each to log,
 * then trace, then audit; with fewer, type i on partition i mod n.
 */
function documentedDefaultMap(n: number): Record<Type, number[]> {
  const map = {} as Record<Type, number[]>;
  if (n < 4) {
    ORDER.forEach((type, i) => (map[type] = [i % n]));
    return map;
  }
  const size: Record<Type, number> = { log: 0, audit: 0, trace: 0, error: 0 };
  for (const type of ORDER) size[type] = Math.floor(n / 4);
  (['log', 'trace', 'audit'] as const).slice(0, n % 4).forEach((type) => size[type]++);
  let next = 0;
  for (const type of ORDER) {
    map[type] = Array.from({ length: size[type] }, (_, i) => next + i);
    next += size[type];
  }
  return map;
}

/** Where the documented `event-type` strategy puts an event: murmur2(traceId) picks inside its type's range. */
export function documentedEventTypePartition(type: Type, traceId: string, topicPartitions: number): number {
  const set = documentedDefaultMap(topicPartitions)[type];
  return set[toPositive(javaMurmur2(traceId)) % set.length]!;
}

// The oracle itself is checked against numbers that come from elsewhere: murmur2 of these keys as
// kafka-clients 4.4.0's Utils.murmur2 computes them (the first six are Kafka's own UtilsTest vectors),
// and the splits the README spells out.
const KAFKA_VECTORS: ReadonlyArray<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
  ['4bf92f3577b34da6a3ce929d0e0e4736', 407517338],
  ['0af7651916cd43dd8448eb211c80319c', -700665169],
  ['ünïcode', -888566395],
];
for (const [key, hash] of KAFKA_VECTORS) assert.equal(javaMurmur2(key), hash, `oracle murmur2("${key}")`);
assert.deepEqual(documentedDefaultMap(12), { log: [0, 1, 2], audit: [3, 4, 5], trace: [6, 7, 8], error: [9, 10, 11] });
assert.deepEqual(documentedDefaultMap(6), { log: [0, 1], audit: [2], trace: [3, 4], error: [5] });
assert.deepEqual(documentedDefaultMap(2), { log: [0], audit: [1], trace: [0], error: [1] });
