// Connecting to Kafka in the background after start: the backoff, and stopping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { connectDelayMs, keepConnecting } from '../src/kafka-connect.js';

const backoff = { firstMs: 1000, maxMs: 30_000 };

/** keepConnecting's timer does not hold the process (a server does, in a sidecar): a test holds it. */
function holdProcess(t: { after(fn: () => void): void }): void {
  const hold = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(hold));
}

test('connectDelayMs doubles from firstMs up to maxMs, spread by ±20%', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 100].map((n) => connectDelayMs(n, backoff, 0.5)),
    [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000],
  );
  assert.equal(connectDelayMs(1, backoff, 0), 800);
  assert.equal(connectDelayMs(6, backoff, 0.999_999), 36_000);
  assert.equal(connectDelayMs(0, backoff, 0.5), 1000);
});

test('keepConnecting retries until connected, then calls onConnected once', async (t) => {
  holdProcess(t);
  let attempts = 0;
  let connected = 0;
  const r = keepConnecting({
    connect: () => {
      attempts += 1;
      return attempts < 3 ? Promise.reject(new Error('refused')) : Promise.resolve();
    },
    stopped: () => false,
    onConnected: () => (connected += 1),
    logger: pino({ enabled: false }),
    backoff: { firstMs: 1, maxMs: 4 },
  });
  await r.done;
  assert.equal(attempts, 3);
  assert.equal(connected, 1);
});

test('keepConnecting ends without connecting once stopped', async (t) => {
  holdProcess(t);
  let attempts = 0;
  let stopped = false;
  const r = keepConnecting({
    connect: () => {
      attempts += 1;
      stopped = true;
      return Promise.reject(new Error('refused'));
    },
    stopped: () => stopped,
    onConnected: () => assert.fail('not after a stop'),
    logger: pino({ enabled: false }),
    backoff: { firstMs: 1, maxMs: 1 },
  });
  await r.done;
  assert.equal(attempts, 1);

  const idle = keepConnecting({
    connect: () => assert.fail('stopped before the first attempt'),
    stopped: () => false,
    onConnected: () => assert.fail('never connected'),
    logger: pino({ enabled: false }),
    backoff: { firstMs: 60_000, maxMs: 60_000 },
  });
  idle.stop();
  await idle.done;
});
