import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createBrokerProbe, splitBroker } from '../src/broker-probe.js';
import { kafkaHealth, spoolHealth } from '../src/http/app.js';
import { overallHealth } from '../src/transport.js';

const at = new Date('2026-01-02T03:04:05.000Z');

test('kafka health follows the producer state', () => {
  const base = { queueDepth: 0, since: at };
  assert.deepEqual(kafkaHealth({ ...base, state: 'connected' }), { name: 'kafka', status: 'OK' });
  assert.deepEqual(
    kafkaHealth({ ...base, state: 'degraded', lastError: { code: 'PUBLISH_TIMEOUT', message: 'late', at } }),
    { name: 'kafka', status: 'DEGRADED', lastError: 'PUBLISH_TIMEOUT: late', lastErrorAt: at.toISOString() },
  );
  for (const state of ['connecting', 'down', 'closed'] as const)
    assert.equal(kafkaHealth({ ...base, state }).status, 'DOWN', state);
});

test('an unreachable broker makes Kafka DOWN whatever the producer believes', () => {
  assert.deepEqual(
    kafkaHealth({ state: 'connected', queueDepth: 0, since: at }, { reachable: false, error: 'refused', at }),
    { name: 'kafka', status: 'DOWN', lastError: 'KAFKA_UNAVAILABLE: refused', lastErrorAt: at.toISOString() },
  );
  assert.equal(kafkaHealth({ state: 'connected', queueDepth: 0, since: at }, { reachable: true, at }).status, 'OK');
});

test('splitBroker reads host:port and [v6]:port', () => {
  assert.deepEqual(splitBroker('kafka:9092'), { host: 'kafka', port: 9092 });
  assert.deepEqual(splitBroker('[::1]:9093'), { host: '::1', port: 9093 });
});

test('the broker probe connects, caches, and reports refusals', async (t) => {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;

  const up = createBrokerProbe(['127.0.0.1:1', `127.0.0.1:${port}`], { timeoutMs: 1000, cacheMs: 60_000 });
  const first = await up.check();
  assert.equal(first.reachable, true);
  assert.equal(await up.check(), first, 'cached');

  const down = createBrokerProbe(['127.0.0.1:1'], { timeoutMs: 1000, cacheMs: 0 });
  const result = await down.check();
  assert.equal(result.reachable, false);
  assert.match(result.error ?? '', /^127\.0\.0\.1:1: .*ECONNREFUSED/);
});

test('with a spool the sidecar is DEGRADED (200), never DOWN, while Kafka is away or events wait', () => {
  const kafka = (status: 'OK' | 'DOWN' | 'DEGRADED') => ({ name: 'kafka', status });
  const empty = spoolHealth({ events: 0, bytes: 0, unreadable: 0 });
  const holding = spoolHealth({ events: 7, bytes: 700, oldestAcceptedAt: 1, unreadable: 0 });
  assert.deepEqual(empty, { name: 'spool', status: 'OK', depth: 0 });
  assert.deepEqual(holding, { name: 'spool', status: 'DEGRADED', depth: 7 });
  assert.deepEqual(overallHealth(kafka('OK'), empty), { status: 'OK', http: 200 });
  assert.deepEqual(overallHealth(kafka('OK'), holding), { status: 'DEGRADED', http: 200 });
  assert.deepEqual(overallHealth(kafka('DOWN'), empty), { status: 'DEGRADED', http: 200 });
  assert.deepEqual(overallHealth(kafka('DOWN')), { status: 'DOWN', http: 502 });
  assert.deepEqual(overallHealth(kafka('DEGRADED')), { status: 'DEGRADED', http: 200 });
});
