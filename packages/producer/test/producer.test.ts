// EventProducer behaviour that needs no broker (the rest is in the integration tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { EventProducer } from '../src/index.js';
import { makeEvent } from './fixtures.js';

const TRACE = 'bbd7b2c7bbd7b2c7bbd7b2c7bbd7b2c7';

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('publish before connect fails at once with KAFKA_UNAVAILABLE; health says connecting', async () => {
  const producer = new EventProducer({ brokers: ['127.0.0.1:9'] });
  assert.equal(producer.topic, 'topic-event');
  assert.equal(producer.health().state, 'connecting');
  assert.equal(producer.health().queueDepth, 0);
  await assert.rejects(producer.publish(makeEvent('log', TRACE)), { code: 'KAFKA_UNAVAILABLE', canRetry: true });
  const outcomes = await producer.publishMany([makeEvent('log', TRACE), makeEvent('audit', TRACE)]);
  assert.deepEqual(
    outcomes.map((o) => (o.ok ? 'ok' : o.error.code)),
    ['KAFKA_UNAVAILABLE', 'KAFKA_UNAVAILABLE'],
  );
  assert.throws(() => producer.partitionFor(makeEvent('log', TRACE)), { code: 'KAFKA_UNAVAILABLE' });
  await producer.close();
  assert.equal(producer.health().state, 'closed');
  await assert.rejects(producer.publish(makeEvent('log', TRACE)), { code: 'CLOSED', canRetry: true });
  await assert.rejects(producer.connect(), { code: 'CLOSED' });
});

test('connect to an unreachable broker fails with CONNECTION_FAILED and health says down', async (t) => {
  const port = await closedPort();
  const states: string[] = [];
  const producer = new EventProducer({
    brokers: [`127.0.0.1:${port}`],
    connectionTimeoutMs: 500,
    metrics: { connectionState: (s) => states.push(s) },
  });
  t.after(() => producer.close());
  const started = Date.now();
  await assert.rejects(producer.connect(), (e: unknown) => {
    assert.equal((e as { code?: string }).code, 'CONNECTION_FAILED');
    assert.match((e as Error).message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    return true;
  });
  assert.ok(Date.now() - started < 10_000);
  const health = producer.health();
  assert.equal(health.state, 'down');
  assert.equal(health.lastError?.code, 'CONNECTION_FAILED');
  assert.ok(health.lastError?.at instanceof Date);
  assert.deepEqual(states, ['down']);
});

test('a throwing metrics hook does not break the producer', async () => {
  const producer = new EventProducer({
    brokers: ['127.0.0.1:9'],
    metrics: {
      failed: () => {
        throw new Error('metrics broken');
      },
    },
  });
  await assert.rejects(producer.publish(makeEvent('log', TRACE)), { code: 'KAFKA_UNAVAILABLE' });
  await producer.close();
});
