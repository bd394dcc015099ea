// One recorder under the Span load (lib/span-load.ts), in a process of its own so that its CPU and memory are its
// own: SPAN_LOAD_RECORDER=recorder (EventSdkRecorder over EventProducer, per-type topics, whenUnavailable 'wait')
// or direct (the SDK's own direct mode: central-services-stream, node-rdkafka, Mojaloop's chart settings). Prints
// STARTED when the load runs, then, after the load, the drain and the count on the topics, `RESULT <json>`.
import { createRequire } from 'node:module';
import { EventProducer } from '@event-sidecar/producer';
import { EventSdkRecorder } from '@event-sidecar/producer/event-sdk';
import { RawKafka } from './lib/kafka-load.js';
import { percentile } from './lib/stats.js';
import {
  chartSdkKafkaConfig,
  countOnTopics,
  LoggedEvents,
  runUnits,
  type RecorderKind,
  type RecorderLoadResult,
  type SdkTracer,
  type SpanRecorder,
} from './lib/span-load.js';

const require = createRequire(import.meta.url);
const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
};
const kind = env('SPAN_LOAD_RECORDER') as RecorderKind;
const brokers = env('SPAN_LOAD_BROKERS').split(',');
const loadMs = Number(env('SPAN_LOAD_MS'));
// How long the recorder may take to deliver what waits after the load; the topics' partitions.
const drainMs = 120_000;
const partitions = 12;
const prefix = env('SPAN_LOAD_TOPIC_PREFIX');
const journal = process.env.SPAN_LOAD_JOURNAL || undefined;
const TYPES = ['log', 'audit', 'trace'] as const;
const MiB = 1024 * 1024;

async function createTopics(topics: string[]): Promise<void> {
  const kafka = new RawKafka(brokers);
  await kafka.connect();
  for (const topic of topics) await kafka.createTopic(topic, partitions);
  await kafka.close();
}

interface Subject {
  recorder: SpanRecorder;
  topics: string[];
  /** Delivers what waits, within drainMs. */
  drain(): Promise<void>;
}

async function ours(): Promise<Subject> {
  const producer = new EventProducer({
    brokers,
    clientId: `span-load-recorder-${process.pid}`,
    topicStrategy: 'per-type',
    topicTemplate: `${prefix}-{type}`,
    createTopic: { partitions },
    whenUnavailable: 'wait',
    ...(journal ? { journal } : {}),
  });
  await producer.connect();
  return {
    recorder: new EventSdkRecorder(producer, { onError: () => undefined }) as unknown as SpanRecorder,
    topics: TYPES.map((t) => producer.topics[t]),
    drain: async () => {
      const { undelivered } = await producer.close({ timeoutMs: drainMs });
      if (undelivered > 0) process.stderr.write(`recorder-load: ${undelivered} events undelivered at close\n`);
    },
  };
}

async function direct(): Promise<Subject> {
  const topics = TYPES.map((t) => `topic-event-${t}`);
  await createTopics(topics);
  const sdk = require('@mojaloop/event-sdk') as {
    DefaultSidecarRecorder: new (client: unknown) => SpanRecorder;
    EventLoggingServiceClient: new (host: string, port: number, kafka: unknown) => unknown;
  };
  const stream = require('@mojaloop/central-services-stream') as {
    Util: {
      Producer: {
        getProducer(topic: string): { _producer?: { flush(timeoutMs: number, cb: (err?: unknown) => void): void } };
        disconnect(): Promise<void>;
      };
    };
  };
  return {
    recorder: new sdk.DefaultSidecarRecorder(
      new sdk.EventLoggingServiceClient('unused', 0, chartSdkKafkaConfig(brokers, `span-load-direct-${process.pid}`)),
    ),
    topics,
    drain: async () => {
      // What the SDK's own disconnect does not: wait for librdkafka to deliver its queue (disconnect flushes 500 ms).
      const deadline = Date.now() + drainMs;
      for (const topic of topics) {
        let flush: ((timeoutMs: number, cb: (err?: unknown) => void) => void) | undefined;
        try {
          const p = stream.Util.Producer.getProducer(topic)._producer;
          flush = p?.flush.bind(p);
        } catch {
          continue; // no event of this type was produced
        }
        if (flush) await new Promise<void>((resolve) => flush(Math.max(1, deadline - Date.now()), () => resolve()));
      }
      await stream.Util.Producer.disconnect().catch(() => undefined);
    },
  };
}

async function main(): Promise<void> {
  const subject = kind === 'recorder' ? await ours() : await direct();
  const sdk = require('@mojaloop/event-sdk') as { Tracer: SdkTracer };
  const logged = new LoggedEvents();
  const recorder = logged.wrap(subject.recorder);
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 250);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  process.stdout.write('STARTED\n');
  // 8 units of work in flight, each at most one span per 10 ms.
  await runUnits(sdk.Tracer, recorder, { units: 8, spanEveryMs: 10, untilMs: started + loadMs });
  const loadSeconds = (performance.now() - started) / 1000;
  const drainStarted = performance.now();
  await subject.drain();
  const drained = performance.now() - drainStarted;
  // Over the load and the drain: what waited during an outage is sent (and costs its CPU) after the load.
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const count = await countOnTopics(brokers, subject.topics, logged);
  const result: RecorderLoadResult = {
    recorder: kind,
    journal: journal !== undefined,
    node: process.version,
    logged: logged.ids.size,
    loadSeconds,
    eventsPerSecond: logged.ids.size / loadSeconds,
    recordP50Ms: percentile(logged.latenciesMs, 50),
    recordP99Ms: percentile(logged.latenciesMs, 99),
    recordMaxMs: percentile(logged.latenciesMs, 100),
    failed: logged.failed,
    failures: Object.fromEntries(logged.failures),
    cpuUsPerEvent: (cpu.user + cpu.system) / Math.max(1, logged.ids.size),
    peakRssMiB: peakRss / MiB,
    drainMs: drained,
    ...count,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().then(
  // Exit once stdout is flushed: the direct mode's logger fills the pipe during an outage, and a write the pipe
  // could not take at once is queued, which process.exit() would drop with the RESULT line in it.
  () => process.stdout.write('', () => process.exit(0)),
  (err: unknown) => {
    process.stderr.write(
      `recorder-load (${kind}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
