// Many services at once: 20 event-sdk clients (one channel each) × 50 events in flight together.
// Every event answered `accepted` is on the topic. Then a graceful stop with calls in flight (held there by a
// broker that hangs): they finish, are on the topic, and new calls are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { EventLoggingServiceClient } from '@mojaloop/event-sdk';
import { consume, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';
import { eventLoggerClient, toWire } from '../helpers/grpc.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';

const TYPES = ['log', 'audit', 'trace', 'error'] as const;
// event-sdk's own proto has no `error` event type (protobufjs would send it as UNDEFINED).
const SDK_TYPES = ['log', 'audit', 'trace'] as const;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

test('20 clients × 50 events: every accepted event is on the topic', async (t) => {
  // Delivery is the subject here, not load shedding (sidecar-overload.test.ts): on a busy machine the event loop
  // can lag past MAX_EVENT_LOOP_DELAY_MS while 1,000 calls arrive at once, and a shed call is not a lost one.
  const { sidecar, topic } = await startTestSidecar(t, { GRPC_HOST: '127.0.0.1', MAX_EVENT_LOOP_DELAY_MS: '0' });
  const clients = Array.from({ length: 20 }, () => new EventLoggingServiceClient('127.0.0.1', sidecar.grpcPort));
  t.after(() => {
    for (const c of clients) (c as unknown as { grpcClient: { close(): void } }).grpcClient.close();
  });

  const accepted = new Set<string>();
  const failures: string[] = [];
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    clients.map((client, c) =>
      Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const event = sampleEvent(SDK_TYPES[(c + i) % SDK_TYPES.length]);
          const begin = performance.now();
          try {
            const answer = await client.log(event as never);
            latencies.push(performance.now() - begin);
            if ((answer as { status?: string }).status === 'accepted') accepted.add(event.id);
            else failures.push(JSON.stringify(answer));
          } catch (err) {
            failures.push(String(err));
          }
        }),
      ),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  t.diagnostic(
    `1000 gRPC events from 20 clients in ${seconds.toFixed(2)} s (${Math.round(1000 / seconds)}/s); ` +
      `latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
  );
  assert.deepEqual(failures, []);
  assert.equal(accepted.size, 1000);

  const seen = new Set<string>();
  await consume(topic, accepted.size, {
    timeoutMs: 60_000,
    done: (records) => {
      for (const r of records.slice(seen.size)) seen.add(r.value.id as string);
      return [...accepted].every((id) => seen.has(id));
    },
  });
  const missing = [...accepted].filter((id) => !seen.has(id));
  assert.deepEqual(missing, [], 'no accepted event is missing');
});

test('graceful stop: calls in flight finish and are on the topic; new calls are refused', async (t) => {
  // The broker hangs (SIGSTOP): the calls are in flight, waiting for Kafka, when the stop begins, however fast
  // the machine is; then it answers them.
  const broker = await dedicatedBroker(t, { prefix: 'kafka-grpc-stop-' });
  await broker.start();
  const { sidecar, topic } = await startTestSidecar(t, {
    KAFKA_BROKERS: broker.brokers.join(','),
    SHUTDOWN_TIMEOUT_MS: '30000',
    PUBLISH_TIMEOUT_MS: '30000',
    KAFKA_REQUEST_TIMEOUT_MS: '30000',
  });
  const client = eventLoggerClient(sidecar.grpcPort);
  t.after(() => client.close());
  const before = sampleEvent('log');
  assert.deepEqual((await client.log(toWire(before))).response, { status: 'accepted' });

  broker.pause();
  const events = Array.from({ length: 30 }, (_, i) => sampleEvent(TYPES[i % TYPES.length]));
  const answers = Promise.all(events.map((event) => client.log(toWire(event))));
  for (let i = 0; sidecar.producer.health().queueDepth < events.length; i += 1) {
    assert.ok(i < 1000, `the calls reach the producer (${sidecar.producer.health().queueDepth} of ${events.length})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const closing = sidecar.close();
  const late = await client.log(toWire(sampleEvent('log')), {}, 3000);
  assert.ok(late.error, 'a call after the stop began is refused');
  // Past the shutdown's drain (at most a quarter of SHUTDOWN_TIMEOUT_MS, 1 s): the server is closing, and must still
  // let these calls finish.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  assert.equal(sidecar.producer.health().queueDepth, events.length, 'the calls still wait for Kafka');
  broker.resume();

  const results = await answers;
  assert.deepEqual(
    results.map((a) => a.response?.status ?? String(a.error)),
    events.map(() => 'accepted'),
  );
  await closing;
  const ids = new Set([before, ...events].map((e) => e.id));
  const records = await consume(topic, ids.size, { brokers: broker.brokers });
  assert.deepEqual(new Set(records.map((r) => r.value.id)), ids);
});
