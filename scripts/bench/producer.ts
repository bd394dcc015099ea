// Throughput of EventProducer.publish (many concurrent single-event callers) against raw kafkajs sendBatch.
//   npx tsx scripts/bench/producer.ts            (starts a throwaway broker unless KAFKA_BROKERS is set)
// Environment: BENCH_EVENTS (default 20000), BENCH_ROUNDS (3), BENCH_CONCURRENCY (1000), BENCH_PARTITIONS (12).
// Not a test: it prints events/s of both, their medians and the ratio (goal: publish >= 0.8 x raw).
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import type { EventMessage } from '@event-sidecar/contract';
import { EventProducer } from '@event-sidecar/producer';
import { benchBrokers } from './lib/broker.js';
import { generateEvents } from './lib/events.js';

const brokers = benchBrokers(import.meta.url);
const N = Number(process.env.BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 1000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 12);
const RAW_BATCH = 100;

interface Run {
  eventsPerSecond: number;
  /** CPU time of this process per event (user + system): steadier than wall time on a shared machine. */
  cpuMicrosPerEvent: number;
}

function measured(n: number, started: number, cpu: NodeJS.CpuUsage): Run {
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { eventsPerSecond: n / seconds, cpuMicrosPerEvent: (used.user + used.system) / n };
}

/** (a) kafkajs directly: idempotent, acks -1, sendBatch of 100 events at a time, one after the other. */
async function rawKafkajs(kafka: Kafka, topic: string, events: EventMessage[]): Promise<Run> {
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < events.length; i += RAW_BATCH) {
    const messages: Message[] = events.slice(i, i + RAW_BATCH).map((e) => ({
      key: e.metadata.trace.traceId,
      value: JSON.stringify(e),
      headers: {
        'event-type': e.metadata.event.type,
        'event-action': e.metadata.event.action,
        'content-type': e.type,
      },
    }));
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
  }
  const run = measured(events.length, started, cpu);
  await producer.disconnect();
  return run;
}

/** (b) EventProducer.publish called by CONCURRENCY callers, one event each at a time. */
async function eventProducer(topic: string, events: EventMessage[]): Promise<Run> {
  const producer = new EventProducer({ brokers, topic, batch: { maxQueue: CONCURRENCY * 2 } });
  await producer.connect();
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < events.length) await producer.publish(events[next++]!);
    }),
  );
  const run = measured(events.length, started, cpu);
  await producer.close();
  return run;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function main(): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-producer', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-producer-${Date.now().toString(36)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  const events = generateEvents(N);
  const avgBytes = Math.round(events.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0) / N);
  console.log(
    `bench: ${N} events of ~${avgBytes} bytes, ${PARTITIONS} partitions, ${ROUNDS} rounds, ` +
      `raw batches of ${RAW_BATCH}, ${CONCURRENCY} concurrent publish() callers`,
  );
  // Warm-up (JIT, connections, topic metadata) outside the measurement.
  await rawKafkajs(kafka, topic, events.slice(0, 2000));
  await eventProducer(topic, events.slice(0, 2000));

  const raw: Run[] = [];
  const ours: Run[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate which goes first, so that neither always runs on a warmer (or more loaded) broker.
    if (round % 2) {
      raw.push(await rawKafkajs(kafka, topic, events));
      ours.push(await eventProducer(topic, events));
    } else {
      ours.push(await eventProducer(topic, events));
      raw.push(await rawKafkajs(kafka, topic, events));
    }
    const [r, o] = [raw.at(-1)!, ours.at(-1)!];
    console.log(
      `round ${round}: raw kafkajs sendBatch ${r.eventsPerSecond.toFixed(0)} events/s ` +
        `(${r.cpuMicrosPerEvent.toFixed(1)} us CPU/event), EventProducer.publish ${o.eventsPerSecond.toFixed(0)} events/s ` +
        `(${o.cpuMicrosPerEvent.toFixed(1)} us CPU/event)`,
    );
  }
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  const a = median(raw.map((r) => r.eventsPerSecond));
  const b = median(ours.map((r) => r.eventsPerSecond));
  const ca = median(raw.map((r) => r.cpuMicrosPerEvent));
  const cb = median(ours.map((r) => r.cpuMicrosPerEvent));
  console.log(
    `median: raw ${a.toFixed(0)} events/s, EventProducer ${b.toFixed(0)} events/s, ratio ${(b / a).toFixed(2)} ` +
      `(goal >= 0.8); CPU per event: raw ${ca.toFixed(1)} us, EventProducer ${cb.toFixed(1)} us`,
  );
}

await main();
