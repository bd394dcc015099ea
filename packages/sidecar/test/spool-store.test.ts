// The spool's store: group commit, order, the size bound, and what one run leaves to the next.
import { mkdtempSync, rmSync, statSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import type { EventMessage } from '@event-sidecar/contract';
import { ProducerError } from '@event-sidecar/producer';
import { pino } from 'pino';
import { isSidecarError } from '../src/errors.js';
import { Replayer } from '../src/spool/replayer.js';
import { shouldSpool } from '../src/spool/spool.js';
import { SPOOL_FILE, SpoolStore } from '../src/spool/store.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'spool-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function event(traceId: string, n: number, pad = 0): EventMessage {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type: 'application/json',
    content: { n, pad: 'x'.repeat(pad) },
    metadata: {
      event: {
        id: `e${n}`,
        type: 'log',
        action: 'info',
        createdAt: '2026-01-01T00:00:00.000Z',
        state: { status: 'success' },
      },
      trace: { service: 's', traceId, spanId: 'a1b2c3d4e5f60718', startTimestamp: '2026-01-01T00:00:00.000Z' },
    },
  } as unknown as EventMessage;
}

const trace = (i: number) => i.toString(16).padStart(32, '0');

test('appends made together commit in one transaction and keep their order', async (t) => {
  const dir = tempDir(t);
  const store = new SpoolStore({ dir, maxBytes: 1 << 20, lingerMs: 5, maxBatch: 100 });
  t.after(() => store.close());
  let commits = 0;
  store.onCommit(() => (commits += 1));
  await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(event(trace(i % 3), i), 1000 + i)));
  assert.equal(commits, 1, 'one group, one commit');
  const rows = store.peek(100);
  assert.deepEqual(
    rows.map((r) => (r.event.content as { n: number }).n),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.equal(rows[7]!.acceptedAt, 1007);
  assert.equal(store.stats().events, 50);
  assert.equal(store.stats().oldestAcceptedAt, 1000);
  assert.ok(store.holds(trace(1)));
  assert.ok(!store.holds(trace(9)));
});

test('a full group commits at once without waiting for the linger', async (t) => {
  const dir = tempDir(t);
  const store = new SpoolStore({ dir, maxBytes: 1 << 20, lingerMs: 10_000, maxBatch: 10 });
  t.after(() => store.close());
  const started = Date.now();
  await Promise.all(Array.from({ length: 10 }, (_, i) => store.append(event(trace(1), i), i)));
  assert.ok(Date.now() - started < 5000);
  assert.equal(store.stats().events, 10);
});

test('the bound refuses with SPOOL_FULL and frees room as events are removed', async (t) => {
  const dir = tempDir(t);
  const size = Buffer.byteLength(JSON.stringify(event(trace(1), 1, 2000)));
  const store = new SpoolStore({ dir, maxBytes: size * 3 + 10, lingerMs: 0 });
  t.after(() => store.close());
  await Promise.all([0, 1, 2].map((i) => store.append(event(trace(1), i, 2000), i)));
  await assert.rejects(store.append(event(trace(1), 3, 2000), 3), (err: unknown) => {
    assert.ok(isSidecarError(err));
    assert.equal(err.code, 'SPOOL_FULL');
    assert.equal(err.canRetry, true);
    return true;
  });
  store.remove(store.peek(1));
  assert.equal(store.stats().events, 2);
  await store.append(event(trace(1), 3, 2000), 3);
  assert.equal(
    store.stats().bytes,
    store.peek(10).reduce((sum, e) => sum + e.bytes, 0),
  );
});

test('what one run spooled, the next run reads back, with the keys it holds', async (t) => {
  const dir = tempDir(t);
  const first = new SpoolStore({ dir, maxBytes: 1 << 20 });
  await Promise.all([1, 2, 3].map((i) => first.append(event(trace(i), i), i)));
  first.close();
  const second = new SpoolStore({ dir, maxBytes: 1 << 20 });
  t.after(() => second.close());
  assert.equal(second.stats().events, 3);
  assert.ok(second.holds(trace(2)));
  second.remove(second.peek(10).filter((e) => e.key === trace(2)));
  assert.ok(!second.holds(trace(2)));
  assert.equal(second.stats().unreadable, 0);
});

test('a record whose bytes were changed on disk is dropped and counted, the others survive', async (t) => {
  const dir = tempDir(t);
  const first = new SpoolStore({ dir, maxBytes: 1 << 20 });
  await Promise.all([1, 2, 3].map((i) => first.append(event(trace(i), i), i)));
  first.close();
  const db = new Database(join(dir, SPOOL_FILE));
  db.prepare('UPDATE events SET body = replace(body, \'"n":2\', \'"n":7\') WHERE seq = 2').run();
  db.close();
  const reported: number[] = [];
  const second = new SpoolStore({ dir, maxBytes: 1 << 20, onUnreadable: (n) => reported.push(n) });
  t.after(() => second.close());
  assert.deepEqual(reported, [1]);
  assert.equal(second.stats().unreadable, 1);
  assert.deepEqual(
    second.peek(10).map((e) => (e.event.content as { n: number }).n),
    [1, 3],
  );
});

test('a database file garbled at its tail opens: readable records kept, the rest counted', async (t) => {
  const dir = tempDir(t);
  const first = new SpoolStore({ dir, maxBytes: 1 << 24, lingerMs: 0 });
  for (let i = 0; i < 200; i += 1) await first.append(event(trace(i % 5), i, 300), i);
  first.close();
  const file = join(dir, SPOOL_FILE);
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(3000, 0xa5), 0, 3000, size - 3000);
  closeSync(fd);
  const reported: number[] = [];
  const second = new SpoolStore({ dir, maxBytes: 1 << 24, onUnreadable: (n) => reported.push(n) });
  t.after(() => second.close());
  const left = second.stats().events;
  assert.ok(reported.length > 0 && second.stats().unreadable > 0, 'damage is reported');
  assert.ok(left > 100 && left < 200, `most records survive (${left})`);
  const ns = second.peek(1000).map((e) => (e.event.content as { n: number }).n);
  assert.deepEqual(
    ns,
    [...ns].sort((a, b) => a - b),
    'order kept',
  );
});

test('the replayer delivers oldest first, deletes only what Kafka acknowledged, and retries the rest', async (t) => {
  const dir = tempDir(t);
  const store = new SpoolStore({ dir, maxBytes: 1 << 20, lingerMs: 0 });
  t.after(() => store.close());
  // Appended out of numeric order: the spool's order is the order of the appends, not of the numbers.
  const appended = [3, 0, 5, 1, 4, 2];
  for (const [i, n] of appended.entries()) await store.append(event(trace(n % 2), n), 5000 + i);
  const attempts: number[] = [];
  const sent: Array<{ n: number; createdAt?: number }> = [];
  let failNext = 2;
  const replayer = new Replayer({
    store,
    logger: pino({ level: 'silent' }),
    backoffMs: 5,
    producer: {
      publish(e, options) {
        const n = (e.content as { n: number }).n;
        attempts.push(n);
        if (failNext > 0) {
          failNext -= 1;
          return Promise.reject(new ProducerError('KAFKA_UNAVAILABLE', 'down'));
        }
        sent.push({ n, ...(options?.createdAt ? { createdAt: options.createdAt } : {}) });
        return Promise.resolve({ topic: 't', partition: 0, offset: String(sent.length) });
      },
    },
  });
  replayer.start();
  t.after(() => replayer.stop());
  for (let i = 0; i < 200 && store.stats().events > 0; i += 1) await new Promise((r) => setTimeout(r, 10));
  assert.equal(store.stats().events, 0);
  // Round 1 sends all six in the order they were spooled; the two oldest fail and are sent again, in order.
  assert.deepEqual(attempts, [...appended, 3, 0]);
  assert.deepEqual(
    sent.map((s) => s.n),
    [5, 1, 4, 2, 3, 0],
  );
  const first = sent.find((s) => s.n === 3)!;
  assert.equal(first.createdAt, 5000, 'the accepted time travels as protocol.createdAt');
});

test('only outage failures are spooled', () => {
  assert.ok(shouldSpool(new ProducerError('KAFKA_UNAVAILABLE', 'x')));
  assert.ok(shouldSpool(new ProducerError('PUBLISH_TIMEOUT', 'x')));
  assert.ok(shouldSpool(new ProducerError('CONNECTION_FAILED', 'brokers unreachable')));
  assert.ok(!shouldSpool(new ProducerError('CONNECTION_FAILED', 'authentication refused', { canRetry: false })));
  assert.ok(!shouldSpool(new ProducerError('OVERLOADED', 'x')));
  assert.ok(!shouldSpool(new ProducerError('CLOSED', 'x')));
  assert.ok(!shouldSpool(new ProducerError('RECORD_TOO_LARGE', 'x')));
  assert.ok(!shouldSpool(new Error('x')));
});

test('while Kafka is away the replay waits out its backoff, whatever is spooled meanwhile, and skips rounds while down', async (t) => {
  const dir = tempDir(t);
  const store = new SpoolStore({ dir, maxBytes: 1 << 20, lingerMs: 0 });
  t.after(() => store.close());
  await store.append(event(trace(1), 0), 0);
  let calls = 0;
  let down = false;
  const replayer = new Replayer({
    store,
    logger: pino({ level: 'silent' }),
    backoffMs: 400,
    maxBackoffMs: 400,
    kafkaDown: () => down,
    producer: {
      publish() {
        calls += 1;
        return Promise.reject(new ProducerError('KAFKA_UNAVAILABLE', 'down'));
      },
    },
  });
  replayer.start();
  t.after(() => replayer.stop());
  for (let i = 0; i < 100 && calls === 0; i += 1) await new Promise((r) => setTimeout(r, 5));
  assert.equal(calls, 1, 'the first round');
  // The spool's busiest time: a commit after another. None of them cuts the backoff short.
  for (let i = 1; i <= 20; i += 1) await store.append(event(trace(1), i), i);
  assert.equal(calls, 1, 'no round per commit');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(calls, 22, 'one round of all 21 events after the backoff');
  // While the producer knows Kafka is down, no round at all.
  down = true;
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(calls <= 43, `at most the round already started (${calls})`);
  const before = calls;
  await new Promise((r) => setTimeout(r, 900));
  assert.equal(calls, before, 'none while down');
  down = false;
  for (let i = 0; i < 200 && calls === before; i += 1) await new Promise((r) => setTimeout(r, 5));
  assert.equal(calls, before + 21, 'a round once it is back');
});
