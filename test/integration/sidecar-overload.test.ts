// Backpressure: a full producer queue answers 429 with Retry-After instead of buffering without
// bound; the events that were taken are still published.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, consume, metricValue, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';

test('a full producer queue answers 429 with Retry-After', async (t) => {
  // One event may wait for Kafka at a time. An idle lane sends at once, so how many of a burst are taken depends on
  // how fast Kafka confirms: every answer must be 201 or 429, and a burst larger than Kafka's pace meets both.
  const { url, topic } = await startTestSidecar(t, {
    // A full queue of a sidecar without a spool (with one, the default, a batch is not refused up front).
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
