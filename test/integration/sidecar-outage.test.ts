// Kafka goes away and comes back: /health turns 502 within seconds and POST /event answers 503
// with Retry-After; after the broker restarts both recover without restarting the sidecar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, consume, sampleEvent, startTestSidecar, type Answer, type ConsumedRecord } from '../helpers/sidecar.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';

/** Repeats `probe` until `done` accepts its answer. */
async function until(
  what: string,
  timeoutMs: number,
  probe: () => Promise<Answer>,
  done: (answer: Answer) => boolean,
): Promise<Answer> {
  const end = Date.now() + timeoutMs;
  let last: Answer | undefined;
  while (Date.now() < end) {
    last = await probe().catch(() => undefined);
    if (last && done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} not within ${timeoutMs} ms; last answer: ${last?.text}`);
}

test('broker stopped: 502 health and 503 publish; broker back: both recover', async (t) => {
  const broker = await dedicatedBroker(t);
  await broker.start();
  const { url, topic, logs } = await startTestSidecar(t, {
    // The path without a spool (with one, the default, these events would be answered 202: spool-outage.test.ts).
    SPOOL_DIR: 'off',
    KAFKA_BROKERS: broker.brokers.join(','),
    PUBLISH_TIMEOUT_MS: '3000',
    KAFKA_CONNECTION_TIMEOUT_MS: '1000',
    KAFKA_REQUEST_TIMEOUT_MS: '2000',
  });
  const first = sampleEvent('log');
  assert.equal((await call(`${url}/event`, { body: first })).status, 201);
  assert.equal((await call(`${url}/health`)).status, 200);

  await broker.stop();
  const stoppedAt = Date.now();
  const down = await until(
    '/health 502',
    15_000,
    () => call(`${url}/health`),
    (a) => a.status === 502,
  );
  const detectedMs = Date.now() - stoppedAt;
  t.diagnostic(`health turned 502 ${detectedMs} ms after the broker stopped`);
  assert.ok(detectedMs < 10_000, `health noticed within 10 s (${detectedMs} ms)`);
  const health = down.body as { status: string; services: Array<{ name: string; status: string; lastError?: string }> };
  assert.equal(health.status, 'DOWN');
  assert.equal(health.services[0]!.name, 'kafka');
  assert.equal(health.services[0]!.status, 'DOWN');

  const refused = await call(`${url}/event`, {
    body: sampleEvent('audit'),
    headers: { 'x-request-id': 'during-outage' },
  });
  assert.equal(refused.status, 503, refused.text);
  assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'Retry-After');
  const info = (refused.body as { errorInformation: { errorCode: string; errorDescription: string } }).errorInformation;
  assert.equal(info.errorCode, '2003');
  assert.ok(
    [
      'Service currently unavailable - Kafka is unavailable',
      'Service currently unavailable - Kafka did not confirm the event in time; it may have been stored',
    ].includes(info.errorDescription),
    info.errorDescription,
  );

  // 5xx at error level, with the producer's error for the operator (never for the client).
  const line = logs.lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'during-outage');
  assert.equal(line?.level, 50);
  assert.ok(line?.err, 'the cause is logged');

  await broker.start();
  await until(
    '/health 200',
    60_000,
    () => call(`${url}/health`),
    (a) => a.status === 200,
  );
  const again = sampleEvent('trace');
  const accepted = await until(
    'POST /event 201',
    30_000,
    () => call(`${url}/event`, { body: again }),
    (a) => a.status === 201,
  );
  assert.equal((accepted.body as { id: string }).id, again.id);

  // Retried posts of `again` may have been stored more than once: wait for both ids.
  const hasBoth = (records: ConsumedRecord[]) => {
    const ids = records.map((r) => r.value.id);
    return ids.includes(first.id) && ids.includes(again.id);
  };
  assert.ok(hasBoth(await consume(topic, 2, { brokers: broker.brokers, done: hasBoth })));
});
