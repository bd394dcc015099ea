// Spooled ingestion against the Kafka path, through the sidecar's ingress (validation, metrics and all):
//   npm run bench:spool            (starts a throwaway broker unless KAFKA_BROKERS is set)
// (a) ingress -> EventProducer -> Kafka (acks=all); (b) ingress -> spool (SQLite WAL, group commit), forced by a
// producer that is known to be down (it refuses at once, as EventProducer does while Kafka is away).
// Environment: BENCH_EVENTS (default 20000), BENCH_ROUNDS (3), BENCH_CONCURRENCY (1000), BENCH_PARTITIONS (12),
// BENCH_SPOOL_DIR (a directory on the disk to measure; default the system temp dir), SPOOL_SYNC (full),
// SPOOL_LINGER_MS (0).
// Not a test: it prints events/s of both, their medians and the ratio (goal: spool >= 0.5 x Kafka). The main run
// (`npm run bench`, phase `spool`) measures the same through HTTP, with a sidecar process whose Kafka is away.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { validateEvent, type EventMessage } from '@event-sidecar/contract';
import { EventProducer, ProducerError } from '@event-sidecar/producer';
import { createIngress, createMetrics, createSpool, type Publisher, type SpoolSync } from '@event-sidecar/sidecar';
import { benchBrokers } from './lib/broker.js';
import { generateEvents } from './lib/events.js';

const brokers = benchBrokers(import.meta.url);
const N = Number(process.env.BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 1000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 12);
const SYNC = (process.env.SPOOL_SYNC ?? 'full') as SpoolSync;
const LINGER_MS = Number(process.env.SPOOL_LINGER_MS ?? 0);
const SPOOL_BASE = process.env.BENCH_SPOOL_DIR ?? tmpdir();
const logger = pino({ level: 'silent' });

/** Sends every event through `ingress.accept` from CONCURRENCY callers; returns events/s. */
async function drive(accept: (e: EventMessage) => Promise<boolean>, events: EventMessage[]): Promise<number> {
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < events.length) {
        const event = events[next++]!;
        if (!(await accept(event))) failed += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (failed > 0) throw new Error(`${failed} events failed`);
  return events.length / seconds;
}

async function kafkaPath(topic: string, events: EventMessage[]): Promise<number> {
  const registry = new Registry();
  const metrics = createMetrics(registry, { processMetrics: false });
  const producer = new EventProducer({ brokers, topic, createTopic: { partitions: PARTITIONS }, logger });
  await producer.connect();
  try {
    const ingress = createIngress({ producer, validate: validateEvent, metrics });
    return await drive(async (e) => {
      const outcome = await ingress.accept(e, 'http');
      return outcome.ok && !outcome.spooled;
    }, events);
  } finally {
    await producer.close();
  }
}

/** A producer that is down: it refuses at once, so every event goes to the spool. */
const downProducer: Publisher = {
  topic: 'down',
  publish: () => Promise.reject(new ProducerError('KAFKA_UNAVAILABLE', 'Kafka is away', { retryAfterMs: 1000 })),
  publishMany: () => Promise.reject(new ProducerError('KAFKA_UNAVAILABLE', 'Kafka is away')),
  health: () => ({ state: 'down', queueDepth: 0, since: new Date() }),
};

async function spoolPath(events: EventMessage[]): Promise<number> {
  const dir = mkdtempSync(join(SPOOL_BASE, 'bench-spool-'));
  const registry = new Registry();
  const metrics = createMetrics(registry, { processMetrics: false });
  const spool = createSpool(
    { dir, maxBytes: 8 * 1024 ** 3, lingerMs: LINGER_MS, sync: SYNC },
    { producer: downProducer, logger, registry },
  );
  try {
    const ingress = createIngress({ producer: downProducer, validate: validateEvent, metrics, spool });
    return await drive(async (e) => {
      const outcome = await ingress.accept(e, 'http');
      return outcome.ok && outcome.spooled;
    }, events);
  } finally {
    await spool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const topic = `bench-spool-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  console.log(`${N} events x ${ROUNDS} rounds, ${CONCURRENCY} concurrent callers, spool sync=${SYNC} in ${SPOOL_BASE}`);
  await kafkaPath(topic, generateEvents(Math.min(2000, N))); // warm-up: topic, connections, JIT
  await spoolPath(generateEvents(Math.min(2000, N)));
  const kafka: number[] = [];
  const spooled: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const events = generateEvents(N);
    kafka.push(await kafkaPath(topic, events));
    spooled.push(await spoolPath(events));
    console.log(
      `round ${round}: kafka ${kafka.at(-1)!.toFixed(0)} events/s, spool ${spooled.at(-1)!.toFixed(0)} events/s`,
    );
  }
  const a = median(kafka);
  const b = median(spooled);
  console.log(
    `median: (a) kafka ${a.toFixed(0)} events/s, (b) spool ${b.toFixed(0)} events/s, ratio b/a ${(b / a).toFixed(2)}`,
  );
}

await main();
