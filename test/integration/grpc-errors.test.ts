// gRPC answers of a real sidecar on a real broker: INVALID_ARGUMENT naming the field, RESOURCE_EXHAUSTED
// for a full producer queue, UNAUTHENTICATED without the token; health SERVING; gRPC counted in the
// same /metrics as HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { call, consume, metricValue, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';
import { eventLoggerClient, healthClient, toWire } from '../helpers/grpc.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';

const LOG = 'mojaloop.events.EventLoggerService/Log';

test('invalid events: INVALID_ARGUMENT with the failing field; valid ones are on the topic', async (t) => {
  const { sidecar, topic, url, logs } = await startTestSidecar(t);
  const client = eventLoggerClient(sidecar.grpcPort);
  t.after(() => client.close());

  const good = sampleEvent('audit');
  assert.deepEqual((await client.log(toWire(good))).response, { status: 'accepted' });

  const badAction = sampleEvent('trace');
  (badAction.metadata.event as { action: string }).action = 'info';
  const { id: _id, ...noId } = sampleEvent('log');
  const badJson = { ...toWire(sampleEvent('log')), content: { type_url: 'application/json', value: Buffer.from('{') } };
  const cases: Array<[Record<string, unknown>, string]> = [
    [toWire(badAction as never), '/metadata/event/action'],
    [toWire(noId), '/id is required'],
    [badJson, '/content is not valid JSON'],
  ];
  for (const [wire, expected] of cases) {
    const { error } = await client.log(wire);
    assert.equal(error?.code, status.INVALID_ARGUMENT, String(error));
    assert.ok(error!.details.includes(expected), error!.details);
  }

  const health = healthClient(sidecar.grpcPort);
  t.after(() => health.close());
  assert.equal((await health.check()).status, 'SERVING');
  assert.equal((await health.check('mojaloop.events.EventLoggerService')).status, 'SERVING');

  // One HTTP event too: both transports in one registry.
  assert.equal((await call(`${url}/event`, { body: sampleEvent('log') })).status, 201);
  const [record] = await consume(topic, 2, { done: (r) => r.some((x) => x.value.id === good.id) });
  assert.ok(record);
  const metrics = (await call(`${url}/metrics`)).text;
  assert.equal(metricValue(metrics, 'event_sidecar_events_published_total', { type: 'audit', transport: 'grpc' }), 1);
  assert.equal(metricValue(metrics, 'event_sidecar_events_published_total', { type: 'log', transport: 'http' }), 1);
  assert.equal(metricValue(metrics, 'event_sidecar_events_rejected_total', { type: 'log', transport: 'grpc' }), 2);
  assert.equal(metricValue(metrics, 'event_sidecar_events_rejected_total', { type: 'trace', transport: 'grpc' }), 1);
  assert.equal(metricValue(metrics, 'event_sidecar_grpc_server_handled_total', { method: LOG, code: 'OK' }), 1);
  assert.equal(
    metricValue(metrics, 'event_sidecar_grpc_server_handled_total', { method: LOG, code: 'INVALID_ARGUMENT' }),
    3,
  );

  const lines = logs.lines.filter((l) => l.msg === 'grpc call');
  assert.equal(lines.length, 4, 'one line per call');
  assert.deepEqual(
    lines.map((l) => [l.level, l.code]),
    [
      [30, 'OK'],
      [40, 'INVALID_ARGUMENT'],
      [40, 'INVALID_ARGUMENT'],
      [40, 'INVALID_ARGUMENT'],
    ],
  );
  assert.equal(lines[0]!.eventId, good.id);
});

test('a full producer queue answers RESOURCE_EXHAUSTED with retry-after; the taken event is published', async (t) => {
  // One event may wait for Kafka at a time, and the broker hangs (SIGSTOP) while it waits: the queue is full for
  // the next ones however fast the machine is.
  const broker = await dedicatedBroker(t, { prefix: 'kafka-grpc-full-' });
  await broker.start();
  const { sidecar, topic } = await startTestSidecar(t, {
    KAFKA_BROKERS: broker.brokers.join(','),
    PRODUCER_MAX_QUEUE: '1',
    MAX_BATCH_EVENTS: '1',
    PUBLISH_TIMEOUT_MS: '30000',
    KAFKA_REQUEST_TIMEOUT_MS: '30000',
  });
  const client = eventLoggerClient(sidecar.grpcPort);
  t.after(() => client.close());
  const warm = sampleEvent('audit');
  assert.deepEqual((await client.log(toWire(warm))).response, { status: 'accepted' });

  broker.pause();
  const taken = sampleEvent('log');
  const first = client.log(toWire(taken));
  for (let i = 0; sidecar.producer.health().queueDepth < 1; i += 1) {
    assert.ok(i < 1000, 'the first event reaches the producer');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const refused = await Promise.all(Array.from({ length: 3 }, () => client.log(toWire(sampleEvent('log')))));
  for (const answer of refused) {
    assert.equal(answer.error?.code, status.RESOURCE_EXHAUSTED, String(answer.error));
    assert.ok(Number(answer.trailers!['retry-after']) >= 1);
    assert.equal(answer.trailers!['error-code'], 'OVERLOADED');
    assert.equal(answer.error!.details, 'Server busy - too many events waiting for Kafka');
  }
  broker.resume();
  assert.deepEqual((await first).response, { status: 'accepted' });
  const records = await consume(topic, 2, { brokers: broker.brokers });
  assert.deepEqual(records.map((r) => r.value.id).sort(), [warm.id, taken.id].sort());
});

test('AUTH_TOKEN: UNAUTHENTICATED without the bearer metadata, accepted with it', async (t) => {
  const token = 'grpc-integration-token';
  const { sidecar, topic } = await startTestSidecar(t, { AUTH_TOKEN: token });
  const client = eventLoggerClient(sidecar.grpcPort);
  t.after(() => client.close());
  const refused = await client.log(toWire(sampleEvent('log')));
  assert.equal(refused.error?.code, status.UNAUTHENTICATED);
  const wrong = await client.log(toWire(sampleEvent('log')), { authorization: 'Bearer not-the-token-at-all' });
  assert.equal(wrong.error?.code, status.UNAUTHENTICATED);
  const event = sampleEvent('error');
  const ok = await client.log(toWire(event), { authorization: `Bearer ${token}` });
  assert.deepEqual(ok.response, { status: 'accepted' });
  const [record] = await consume(topic, 1);
  assert.equal(record!.value.id, event.id);
});
