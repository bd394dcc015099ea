// Backpressure: a full producer queue answers 429 with Retry-After instead of buffering without
// bound; the events that were taken are still published.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, consume, metricValue, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';

test('a full producer queue answers 429 with Retry-After', async (t) => {
  // One event may wait for Kafka at a time, and it waits 500 ms for a batch to fill.
  const { url, topic } = await startTestSidecar(t, {
    // A full queue of a sidecar without a spool (with one, the default, a batch is not refused up front).
    SPOOL_DIR: 'off',
    PRODUCER_MAX_QUEUE: '1',
    MAX_BATCH_EVENTS: '1',
    PRODUCER_LINGER_MS: '500',
  });
  const events = Array.from({ length: 4 }, () => sampleEvent('log'));
  const answers = await Promise.all(events.map((event) => call(`${url}/event`, { body: event })));
  const statuses = answers.map((a) => a.status).sort();
  assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(','));
  assert.equal(statuses.filter((s) => s === 429).length, 3, statuses.join(','));
  for (const answer of answers.filter((a) => a.status === 429)) {
    assert.ok(Number(answer.headers.get('retry-after')) >= 1);
    assert.deepEqual(answer.body, {
      errorInformation: { errorCode: '2005', errorDescription: 'Server busy - too many events waiting for Kafka' },
    });
  }
  const published = answers.findIndex((a) => a.status === 201);
  const [record] = await consume(topic, 1);
  assert.equal(record!.value.id, events[published]!.id);

  const metrics = (await call(`${url}/metrics`)).text;
  assert.equal(
    metricValue(metrics, 'event_sidecar_events_failed_total', { type: 'log', transport: 'http', code: 'OVERLOADED' }),
    3,
  );
});
