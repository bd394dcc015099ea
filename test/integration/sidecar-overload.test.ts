// Backpressure: without a spool a full producer queue answers 429 with Retry-After instead of buffering without
// bound; the events that were taken are still published. With a spool (the default) a single event is spooled
// instead (the SDK drops a refusal), and a batch is still told 429 before it is read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, consume, metricValue, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';
import { eventLoggerClient, toWire } from '../helpers/grpc.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';
import { spoolDir } from '../helpers/spool.js';

test('a full producer queue answers 429 with Retry-After', async (t) => {
  // One event may wait for Kafka at a time. An idle lane sends at once, so how many of a burst are taken depends on
  // how fast Kafka confirms: every answer must be 201 or 429, and a burst larger than Kafka's pace meets both.
  const { url, topic } = await startTestSidecar(t, {
    // A full queue of a sidecar without a spool (with one, the default, single events are spooled instead).
    SPOOL_DIR: 'off',
    PRODUCER_MAX_QUEUE: '1',
    MAX_BATCH_EVENTS: '1',
  });
  const events = Array.from({ length: 30 }, () => sampleEvent('log'));
  const answers = await Promise.all(events.map((event) => call(`${url}/event`, { body: event })));
  const statuses = answers.map((a) => a.status);
  const taken = events.filter((_e, i) => statuses[i] === 201);
  const refused = answers.filter((a) => a.status === 429);
  assert.equal(taken.length + refused.length, events.length, `only 201 and 429: ${statuses.join(',')}`);
  assert.ok(taken.length >= 1, `some events taken: ${statuses.join(',')}`);
  assert.ok(refused.length >= 1, `some events refused: ${statuses.join(',')}`);
  for (const answer of refused) {
    assert.ok(Number(answer.headers.get('retry-after')) >= 1);
    assert.deepEqual(answer.body, {
      errorInformation: { errorCode: '2005', errorDescription: 'Server busy - too many events waiting for Kafka' },
    });
  }
  // Every event answered 201 is on the topic.
  const records = await consume(topic, taken.length);
  assert.deepEqual(new Set(records.map((r) => r.value.id)), new Set(taken.map((e) => e.id)));

  const metrics = (await call(`${url}/metrics`)).text;
  assert.equal(
    metricValue(metrics, 'event_sidecar_events_failed_total', { type: 'log', transport: 'http', code: 'OVERLOADED' }),
    refused.length,
  );
});

test('with a spool, a full producer queue spools single events and refuses a batch unread', async (t) => {
  // One event may wait for Kafka at a time, and the broker hangs (SIGSTOP) while it waits: the queue stays full.
  const broker = await dedicatedBroker(t, { prefix: 'kafka-overload-spool-' });
  await broker.start();
  const { sidecar, url, topic } = await startTestSidecar(t, {
    KAFKA_BROKERS: broker.brokers.join(','),
    SPOOL_DIR: spoolDir(t, 'spool-overload-it-'),
    PRODUCER_MAX_QUEUE: '1',
    MAX_BATCH_EVENTS: '1',
    PUBLISH_TIMEOUT_MS: '30000',
    KAFKA_REQUEST_TIMEOUT_MS: '30000',
  });
  const client = eventLoggerClient(sidecar.grpcPort);
  t.after(() => client.close());
  assert.equal((await call(`${url}/event`, { body: sampleEvent('audit') })).status, 201);

  broker.pause();
  const waiting = sampleEvent('log');
  const first = call(`${url}/event`, { body: waiting });
  for (let i = 0; sidecar.producer.health().queueDepth < 1; i += 1) {
    assert.ok(i < 1000, 'the first event reaches the producer');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const single = sampleEvent('trace');
  const spooled = await call(`${url}/event`, { body: single });
  assert.equal(spooled.status, 202, spooled.text);
  const sdk = sampleEvent('audit');
  assert.deepEqual((await client.log(toWire(sdk))).response, { status: 'accepted' });
  const batch = await call(`${url}/events`, { body: [sampleEvent('log')] });
  assert.equal(batch.status, 429, batch.text);
  assert.ok(Number(batch.headers.get('retry-after')) >= 1);
  const metrics = (await call(`${url}/metrics`)).text;
  // Both for the full queue: events spooled for load make no backlog that the next one would queue behind.
  assert.equal(metricValue(metrics, 'event_sidecar_events_spooled_for_load_total', { reason: 'overloaded' }), 2);

  broker.resume();
  assert.equal((await first).status, 201);
  const ids = new Set([waiting.id, single.id, sdk.id]);
  const records = await consume(topic, 4, {
    brokers: broker.brokers,
    timeoutMs: 60_000,
    done: (rs) => [...ids].every((id) => rs.some((r) => r.value.id === id)),
  });
  for (const id of ids)
    assert.ok(
      records.some((r) => r.value.id === id),
      `${id} is on the topic`,
    );
});
