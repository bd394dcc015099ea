// A service process for event-sdk-await.test.ts: the SDK's Span API (its await choices read once, from
// EVENT_SDK_ASYNC_OVERRIDE_EVENTS, when the SDK loads: hence a process per choice) through EventSdkRecorder, with a
// short publishTimeoutMs and a small batch.maxQueue. Connects, prints READY, and on SIGUSR2 (its broker stopped
// meanwhile) logs two spans: every event fails, by the deadline or the bound. Prints `RESULT <json>`: the unhandled
// rejections, how long each Span call took, and the failures onError saw by code.
import { createRequire } from 'node:module';
import { Kafka, logLevel } from 'kafkajs';
import { EventProducer } from '@event-sidecar/producer';
import { EventSdkRecorder } from '@event-sidecar/producer/event-sdk';
import { createTopicsWithLeaders } from './kafka.js';

const require = createRequire(import.meta.url);
const brokers = process.env.KAFKA_BROKERS!.split(',');
const prefix = process.env.AWAIT_TOPIC_PREFIX!;
const publishTimeoutMs = Number(process.env.AWAIT_PUBLISH_TIMEOUT_MS);

interface Span {
  audit(message: object): Promise<unknown>;
  info(message: string): Promise<unknown>;
  getChild(service: string): Span;
  finish(): Promise<unknown>;
}
const { Tracer } = require('@mojaloop/event-sdk') as {
  Tracer: { createSpan(service: string, tags: object, recorders: object): Span };
};

const admin = new Kafka({ clientId: `${prefix}-admin`, brokers, logLevel: logLevel.NOTHING }).admin();
await admin.connect();
await createTopicsWithLeaders(
  admin,
  ['log', 'audit', 'trace', 'error'].map((type) => ({ topic: `${prefix}-${type}`, numPartitions: 1 })),
);
await admin.disconnect();

const producer = new EventProducer({
  brokers,
  clientId: prefix,
  topicStrategy: 'per-type',
  topicTemplate: `${prefix}-{type}`,
  whenUnavailable: 'wait',
  publishTimeoutMs,
  batch: { maxQueue: 3 },
});
await producer.connect();
const failures: Record<string, number> = {};
const recorder = new EventSdkRecorder(producer, {
  onError: (error) => {
    failures[error.code] = (failures[error.code] ?? 0) + 1;
  },
});

process.stdout.write('READY\n');
// A signal handler alone keeps no process alive.
const alive = setInterval(() => undefined, 1000);
await new Promise((resolve) => process.once('SIGUSR2', resolve));
clearInterval(alive);

// Counted from here, where Span's calls begin: a failure of the set-up above must end the process, not be counted.
const unhandled: string[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(String((reason as Error)?.message ?? reason)));

const awaitedMs: number[] = [];
const timed = async (call: () => Promise<unknown>) => {
  const started = performance.now();
  await call();
  awaitedMs.push(performance.now() - started);
};
for (let i = 0; i < 2; i++) {
  const span = Tracer.createSpan('await-child', { i: String(i) }, { defaultRecorder: recorder });
  await timed(() => span.audit({ step: i }));
  await timed(() => span.info('working'));
  const child = span.getChild('await-child-child');
  await timed(() => child.info('child working'));
  await timed(() => child.finish());
  await timed(() => span.finish());
}
// The calls Span did not await fail by their deadline too: wait for them.
await new Promise((resolve) => setTimeout(resolve, publishTimeoutMs + 1500));
await producer.close({ timeoutMs: 0 });
process.stdout.write(`RESULT ${JSON.stringify({ unhandled, awaitedMs, failures })}\n`);
