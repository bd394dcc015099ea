// Kafka goes away under two gRPC sidecars on a broker of their own: with ACK_MODE=confirmed calls
// get UNAVAILABLE with a retry-after trailer and the health service turns NOT_SERVING; with
// ACK_MODE=received the caller is answered at once (before Kafka, as the original) and a later
// failure shows in logs and metrics, never as an unhandled rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { call, consume, metricValue, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';
import { eventLoggerClient, healthClient, nextMessage, toWire, type LogAnswer } from '../helpers/grpc.js';

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await probe();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} not within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

test('broker stopped: confirmed calls UNAVAILABLE, health NOT_SERVING; received mode never rejects unhandled', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.after(() => process.off('unhandledRejection', onUnhandled));

  const broker = await dedicatedBroker(t);
  await broker.start();
  const kafkaEnv = {
    // The path without a spool: with one (the default) these calls would be answered `accepted`.
    SPOOL_DIR: 'off',
    KAFKA_BROKERS: broker.brokers.join(','),
    PUBLISH_TIMEOUT_MS: '3000',
    KAFKA_CONNECTION_TIMEOUT_MS: '1000',
    KAFKA_REQUEST_TIMEOUT_MS: '2000',
  };
  const confirmed = await startTestSidecar(t, kafkaEnv);
  // Received mode answers before Kafka has the event: shown below with the broker stopped, where the answer is
  // `accepted` and the failure only reaches the log (a lone event is sent at once, so a linger cannot show it).
  const received = await startTestSidecar(t, { ...kafkaEnv, ACK_MODE: 'received' });
  const confirmedClient = eventLoggerClient(confirmed.sidecar.grpcPort);
  const receivedClient = eventLoggerClient(received.sidecar.grpcPort);
  const health = healthClient(confirmed.sidecar.grpcPort);
  t.after(() => {
    confirmedClient.close();
    receivedClient.close();
    health.close();
  });

  // Broker up. Confirmed: accepted means on the topic.
  const first = sampleEvent('log');
  assert.deepEqual((await confirmedClient.log(toWire(first))).response, { status: 'accepted' });
  assert.equal((await health.check()).status, 'SERVING');

  // Received: accepted, and the event still arrives.
  const early = sampleEvent('audit');
  assert.deepEqual((await receivedClient.log(toWire(early))).response, { status: 'accepted' });
  const [record] = await consume(received.topic, 1, { brokers: broker.brokers });
  assert.equal(record!.value.id, early.id);

  const watch = health.watch('mojaloop.events.EventLoggerService');
  watch.on('error', () => undefined);
  await nextMessage(watch, (m) => m.status === 'SERVING');

  // Health asks the brokers too (one policy with GET /health): it may turn before the stop returns.
  const notServing = nextMessage(watch, (m) => m.status === 'NOT_SERVING', 60_000);
  await broker.stop();
  const stoppedAt = Date.now();

  // Received mode, right after the stop: the producer still believes Kafka is up, so the caller is
  // answered `accepted`; the failure comes later, to the log and the metrics.
  const lost = sampleEvent('trace');
  const lostAnswer = await receivedClient.log(toWire(lost));
  assert.deepEqual(lostAnswer.response, { status: 'accepted' }, String(lostAnswer.error));
  const failure = await until(
    'the failure of the received-mode event in the log',
    20_000,
    async () => received.logs.lines.find((l) => l.msg === 'event answered accepted on receipt was not published'),
    (line) => line !== undefined,
  );
  assert.equal(failure!.eventId, lost.id);
  assert.equal(failure!.level, 50);
  const receivedMetrics = (await call(`http://127.0.0.1:${received.sidecar.httpPort}/metrics`)).text;
  const failed = ['KAFKA_UNAVAILABLE', 'PUBLISH_TIMEOUT', 'KAFKA_ERROR'].reduce(
    (n, code) =>
      n + metricValue(receivedMetrics, 'event_sidecar_events_failed_total', { type: 'trace', transport: 'grpc', code }),
    0,
  );
  assert.equal(failed, 1, 'the lost event is counted as failed');

  // Confirmed mode: UNAVAILABLE with a retry hint (a first call may wait for the publish timeout).
  const refused = await until<LogAnswer>(
    'UNAVAILABLE',
    30_000,
    () => confirmedClient.log(toWire(sampleEvent('audit'))),
    (a) => a.error?.code === status.UNAVAILABLE,
  );
  assert.ok(Number(refused.trailers!['retry-after']) >= 1, JSON.stringify(refused.trailers));
  assert.ok(['KAFKA_UNAVAILABLE', 'PUBLISH_TIMEOUT', 'KAFKA_ERROR'].includes(refused.trailers!['error-code']!));
  await notServing;
  t.diagnostic(`health NOT_SERVING by ${Date.now() - stoppedAt} ms after the broker stopped`);
  assert.equal((await health.check()).status, 'NOT_SERVING');

  // Received mode once the producer knows Kafka is down: refused at once, no wait.
  await until(
    'received mode refusing at once',
    30_000,
    () => receivedClient.log(toWire(sampleEvent('log'))),
    (a) => a.error?.code === status.UNAVAILABLE,
  );
  watch.cancel();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(unhandled, [], 'no unhandled rejection');
});
