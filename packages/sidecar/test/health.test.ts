// The health policy's inputs: Kafka's state from the producer and the broker probe, and the probe itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createBrokerProbe, splitBroker } from '../src/broker-probe.js';
import { decideHealth, kafkaHealth, spoolHealth, type HealthInputs } from '../src/health-policy.js';

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

const producerIn = (state: 'connected' | 'degraded' | 'connecting' | 'down' | 'closed') => ({
  state,
  queueDepth: 0,
  since: at,
});
const spoolOf = (fields: Partial<NonNullable<HealthInputs['spool']>> = {}) => ({
  events: 0,
  bytes: 0,
  unreadable: 0,
  deadLetters: 0,
  ...fields,
});
/** The policy's answer without its services: status, HTTP status, and gRPC serving. */
const verdict = (inputs: HealthInputs) => {
  const { status, http, serving } = decideHealth(inputs);
  return { status, http, serving };
};

test('the spool entry: depth, dead letters when any, and damage as its last error', () => {
  assert.deepEqual(spoolHealth(spoolOf()), { name: 'spool', status: 'OK', depth: 0 });
  assert.deepEqual(spoolHealth(spoolOf({ events: 7, bytes: 700, oldestAcceptedAt: 1 })), {
    name: 'spool',
    status: 'DEGRADED',
    depth: 7,
  });
  assert.deepEqual(spoolHealth(spoolOf({ deadLetters: 2 })), { name: 'spool', status: 'OK', depth: 0, deadLetters: 2 });
  const fault = { message: 'spool.db is gone', at: at.getTime(), repaired: false };
  assert.deepEqual(spoolHealth(spoolOf({ events: 3, fault })), {
    name: 'spool',
    status: 'DOWN',
    depth: 3,
    lastError: 'SPOOL_FAILED: spool.db is gone',
    lastErrorAt: at.toISOString(),
  });
  assert.equal(spoolHealth(spoolOf({ fault: { ...fault, repaired: true } })).status, 'OK');
});

test('with a spool the sidecar is DEGRADED (200), never DOWN, while Kafka is away or events wait', () => {
  const down = { reachable: false, error: 'refused', at };
  assert.deepEqual(verdict({ producer: producerIn('connected'), spool: spoolOf() }), {
    status: 'OK',
    http: 200,
    serving: true,
  });
  assert.deepEqual(verdict({ producer: producerIn('connected'), spool: spoolOf({ events: 7 }) }), {
    status: 'DEGRADED',
    http: 200,
    serving: true,
  });
  for (const state of ['down', 'connecting'] as const)
    assert.deepEqual(verdict({ producer: producerIn(state), spool: spoolOf() }), {
      status: 'DEGRADED',
      http: 200,
      serving: true,
    });
  assert.deepEqual(verdict({ producer: producerIn('connected'), probe: down, spool: spoolOf() }), {
    status: 'DEGRADED',
    http: 200,
    serving: true,
  });
  assert.deepEqual(verdict({ producer: producerIn('degraded') }), { status: 'DEGRADED', http: 200, serving: true });
  // Dead letters are parked, not waiting: they do not hold the status down.
  assert.equal(decideHealth({ producer: producerIn('connected'), spool: spoolOf({ deadLetters: 3 }) }).status, 'OK');
});

test('the cases where HTTP and gRPC health used to disagree now have one answer', () => {
  const down = { reachable: false, error: '127.0.0.1:9: connect ECONNREFUSED', at };
  // SPOOL_DIR=off, an idle producer that has not noticed the outage: /health said DOWN, gRPC SERVING.
  assert.deepEqual(verdict({ producer: producerIn('connected'), probe: down }), {
    status: 'DOWN',
    http: 502,
    serving: false,
  });
  // A damaged spool while Kafka is away: nothing can take an event, on either transport.
  const fault = { message: 'spool.db is gone; it cannot be rebuilt yet', at: at.getTime(), repaired: false };
  assert.deepEqual(verdict({ producer: producerIn('down'), spool: spoolOf({ fault }) }), {
    status: 'DOWN',
    http: 502,
    serving: false,
  });
  // The same damage while Kafka takes events: degraded, still serving.
  assert.deepEqual(verdict({ producer: producerIn('connected'), spool: spoolOf({ fault }) }), {
    status: 'DEGRADED',
    http: 200,
    serving: true,
  });
});
