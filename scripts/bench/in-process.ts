// In-process comparisons, each beside its limit in alternating rounds, a throwaway broker unless KAFKA_BROKERS is set:
//   npm run bench:producer   EventProducer.publish from many concurrent single-event callers against raw kafkajs
//                            sendBatch of 100 (goal: publish >= 0.8 x raw), with the CPU per event of each
//   npm run bench:spool      the sidecar's ingress into the spool (SQLite WAL, group commit; forced by a producer
//                            that refuses at once, as EventProducer does while Kafka is away) against the ingress into
//                            Kafka (acks=all); the `spool` phase of `npm run bench` measures the same through HTTP
// Environment: BENCH_EVENTS (20000), BENCH_ROUNDS (3), BENCH_CONCURRENCY (1000), BENCH_PARTITIONS (12); for spool
// BENCH_SPOOL_DIR (the disk to measure; default the system temp dir), SPOOL_SYNC (full), SPOOL_LINGER_MS (0).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { validateEvent, type EventMessage } from '@event-sidecar/contract';
import { EventProducer, ProducerError } from '@event-sidecar/producer';
import {
  createIngress,
  createMetrics,
  createSpool,
  type Publisher,
  type Spool,
  type SpoolSync,
} from '@event-sidecar/sidecar';
import { generateEvents } from './lib/events.js';
import { RawKafka } from './lib/kafka-load.js';
import { median } from './lib/stats.js';

// Without KAFKA_BROKERS, this script runs again under scripts/with-kafka.sh (a throwaway broker), which it exits with.
if (!process.env.KAFKA_BROKERS?.trim()) {
  const withKafka = fileURLToPath(new URL('../with-kafka.sh', import.meta.url));
  const args = [process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  process.exit(spawnSync(withKafka, args, { stdio: 'inherit' }).status ?? 1);
}
const brokers = process.env.KAFKA_BROKERS.split(',').map((b) => b.trim());
const N = Number(process.env.BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 1000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 12);
const RAW_BATCH = 100;
const logger = pino({ level: 'silent' });

interface Run {
  eventsPerSecond: number;
  /** CPU time of this process per event (user + system): steadier than wall time on a shared machine. */
  cpuUsPerEvent: number;
}
type Path = (events: EventMessage[]) => Promise<Run>;

/** The rate and CPU per event of `work`, which handles `n` events. */
async function timed(n: number, work: () => Promise<void>): Promise<Run> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { eventsPerSecond: n / ((performance.now() - started) / 1000), cpuUsPerEvent: (used.user + used.system) / n };
}

/** `send(event)` for every event from CONCURRENCY callers, one event each at a time; throws if any failed. */
async function drive(send: (e: EventMessage) => Promise<boolean>, events: EventMessage[]): Promise<Run> {
  let next = 0;
  let failed = 0;
  const caller = async () => {
    while (next < events.length) if (!(await send(events[next++]!))) failed += 1;
  };
  const run = await timed(
    events.length,
    async () => void (await Promise.all(Array.from({ length: CONCURRENCY }, caller))),
  );
  if (failed > 0) throw new Error(`${failed} events failed`);
  return run;
}

/** kafkajs directly: idempotent, acks -1, sendBatch of 100 events at a time, one after the other. */
const rawKafkajs =
  (topic: string): Path =>
  async (events) => {
    const kafka = new Kafka({ clientId: 'bench-in-process', brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // Serialized as they are sent, as EventProducer does.
    const message = (e: EventMessage) => ({
      key: e.metadata.trace.traceId,
      value: JSON.stringify(e),
      headers: { 'event-type': e.metadata.event.type, 'event-action': e.metadata.event.action, 'content-type': e.type },
    });
    const run = await timed(events.length, async () => {
      for (let i = 0; i < events.length; i += RAW_BATCH) {
        const messages = events.slice(i, i + RAW_BATCH).map(message);
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
      }
    });
    await producer.disconnect();
    return run;
  };

const eventProducer =
  (topic: string): Path =>
  async (events) => {
    const producer = new EventProducer({ brokers, topic, batch: { maxQueue: CONCURRENCY * 2 } });
    await producer.connect();
    const run = await drive(async (e) => Boolean(await producer.publish(e)), events);
    await producer.close();
    return run;
  };

/** Every event through the sidecar's ingress, each expected to end on Kafka or, with a spool, spooled. */
function throughIngress(producer: Publisher, events: EventMessage[], spool?: Spool): Promise<Run> {
  const metrics = createMetrics(new Registry(), { processMetrics: false });
  const ingress = createIngress({ producer, validate: validateEvent, metrics, ...(spool ? { spool } : {}) });
  return drive(async (e) => {
    const outcome = await ingress.accept(e, 'http');
    return outcome.ok && outcome.spooled === (spool !== undefined);
  }, events);
}

const ingressToKafka =
  (topic: string): Path =>
  async (events) => {
    const producer = new EventProducer({ brokers, topic, createTopic: { partitions: PARTITIONS }, logger });
    await producer.connect();
    return throughIngress(producer, events).finally(() => producer.close());
  };

/** A producer that is down: it refuses at once, so every event goes to the spool. */
const downProducer: Publisher = {
  topic: 'down',
  publish: () => Promise.reject(new ProducerError('KAFKA_UNAVAILABLE', 'Kafka is away', { retryAfterMs: 1000 })),
  publishMany: () => Promise.reject(new ProducerError('KAFKA_UNAVAILABLE', 'Kafka is away')),
  health: () => ({ state: 'down', queueDepth: 0, since: new Date() }),
};

const ingressToSpool: Path = async (events) => {
  const dir = mkdtempSync(join(process.env.BENCH_SPOOL_DIR ?? tmpdir(), 'bench-spool-'));
  const sync = (process.env.SPOOL_SYNC ?? 'full') as SpoolSync;
  const lingerMs = Number(process.env.SPOOL_LINGER_MS ?? 0);
  const settings = { dir, maxBytes: 8 * 1024 ** 3, lingerMs, sync };
  const spool = createSpool(settings, { producer: downProducer, logger, registry: new Registry() });
  return throughIngress(downProducer, events, spool).finally(async () => {
    await spool.close();
    rmSync(dir, { recursive: true, force: true });
  });
};

/** Warms both up, then `ROUNDS` rounds alternating which goes first; prints each round and the medians. */
async function compare(names: [string, string], paths: [Path, Path], goal: string): Promise<void> {
  const events = generateEvents(N);
  for (const path of paths) await path(events.slice(0, Math.min(2000, N))); // JIT, connections, topic metadata
  const runs: [Run[], Run[]] = [[], []];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? [0, 1] : [1, 0];
    for (const i of order) runs[i]!.push(await paths[i]!(events));
    const line = [0, 1].map((i) => `${names[i]} ${runs[i]!.at(-1)!.eventsPerSecond.toFixed(0)} events/s`);
    console.log(`round ${round}: ${line.join(', ')}`);
  }
  const [a, b] = runs.map((r) => median(r.map((x) => x.eventsPerSecond))) as [number, number];
  const [ca, cb] = runs.map((r) => median(r.map((x) => x.cpuUsPerEvent))) as [number, number];
  console.log(
    `median: ${names[0]} ${a.toFixed(0)} events/s (${ca.toFixed(1)} µs CPU/event), ${names[1]} ${b.toFixed(0)} ` +
      `events/s (${cb.toFixed(1)} µs CPU/event), ratio ${(b / a).toFixed(2)} (${goal})`,
  );
}

async function main(what: string | undefined): Promise<void> {
  const kafka = new RawKafka(brokers);
  await kafka.connect();
  const topic = `bench-${what}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  await kafka.createTopic(topic, PARTITIONS);
  console.log(`${N} events x ${ROUNDS} rounds, ${CONCURRENCY} concurrent callers, ${PARTITIONS} partitions`);
  try {
    if (what === 'producer') {
      const names: [string, string] = ['raw kafkajs sendBatch', 'EventProducer.publish'];
      await compare(names, [rawKafkajs(topic), eventProducer(topic)], 'goal >= 0.8');
    } else if (what === 'spool') {
      await compare(['ingress -> Kafka', 'ingress -> spool'], [ingressToKafka(topic), ingressToSpool], 'goal >= 0.5');
    } else throw new Error('usage: tsx scripts/bench/in-process.ts producer|spool');
  } finally {
    await kafka.deleteTopics([topic]).catch(() => undefined);
    await kafka.close();
  }
}

await main(process.argv[2]);
