// The replay's way out for events Kafka will not take: a dead letter at once for what never clears (too large),
// after SPOOL_DEAD_LETTER_AFTER_MS for what Kafka calls retriable but does not clear (an unknown topic), never for an
// outage; the trace they belonged to goes on; operators list, requeue and drop them, also under a running store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import type { EventMessage } from '@event-sidecar/contract';
import { ProducerError } from '@event-sidecar/producer';
import { pino } from 'pino';
import {
  dropDeadLetters,
  listDeadLetters,
  requeueDeadLetters,
  type DeadLetterReason,
} from '../src/spool/dead-letters.js';
import { Replayer, replayVerdict } from '../src/spool/replayer.js';
import { SPOOL_FILE, SpoolStore, type SpooledEvent } from '../src/spool/store.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'spool-dead-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const trace = (i: number) => i.toString(16).padStart(32, '0');

function event(traceId: string, n: number): EventMessage {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type: 'application/json',
    content: { n },
    metadata: {
      event: { id: `e${n}`, type: 'log', action: 'info', createdAt: '2026-01-01T00:00:00.000Z', state: {} },
      trace: { service: 's', traceId, spanId: 'a1b2c3d4e5f60718' },
    },
  } as unknown as EventMessage;
}

const n = (e: EventMessage) => (e.content as { n: number }).n;
const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 500; i += 1) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting: ${what}`);
};

/** A replayer over `store` whose producer answers with `answer(n)` (an error to refuse). */
function replay(
  t: { after(fn: () => unknown): void },
  store: SpoolStore,
  answer: (n: number) => ProducerError | undefined,
  options: { deadLetterAfterMs?: number } = {},
) {
  const delivered: number[] = [];
  const dead: Array<{ n: number; why: DeadLetterReason }> = [];
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  const replayer = new Replayer({
    store,
    logger: pino({ level: 'debug' }, stream),
    backoffMs: 5,
    maxBackoffMs: 20,
    ...options,
    producer: {
      publish(e) {
        const error = answer(n(e));
        if (error) return Promise.reject(error);
        delivered.push(n(e));
        return Promise.resolve({ topic: 't', partition: 0, offset: String(delivered.length) });
      },
    },
    onDeadLetter: (e: SpooledEvent, why) => dead.push({ n: n(e.event), why }),
  });
  replayer.start();
  t.after(() => replayer.stop());
  return { delivered, dead, lines };
}

test('what a failed replay means: Kafka away waits, a record too large is dead at once, the rest after a while', () => {
  for (const code of ['KAFKA_UNAVAILABLE', 'PUBLISH_TIMEOUT', 'OVERLOADED', 'CLOSED', 'CONNECTION_FAILED'] as const)
    assert.equal(replayVerdict(new ProducerError(code, 'x')), 'retry', code);
  assert.equal(
    replayVerdict(new ProducerError('CONNECTION_FAILED', 'authentication refused', { canRetry: false })),
    'retry',
  );
  assert.equal(replayVerdict(new ProducerError('RECORD_TOO_LARGE', 'x')), 'dead');
  assert.equal(replayVerdict(new ProducerError('INVALID_EVENT', 'x')), 'dead');
  const unknownTopic = new ProducerError('KAFKA_ERROR', 'publish failed: UNKNOWN_TOPIC_OR_PARTITION', {
    canRetry: true,
  });
  assert.equal(replayVerdict(unknownTopic), 'persistent');
  const denied = new ProducerError('KAFKA_ERROR', 'publish failed: TOPIC_AUTHORIZATION_FAILED', { canRetry: false });
  assert.equal(replayVerdict(denied), 'persistent');
  assert.equal(replayVerdict(new Error('a bug')), 'persistent');
});

test('a record Kafka refuses as too large becomes a dead letter at once; its trace is delivered and no longer held', async (t) => {
  const store = new SpoolStore({ dir: tempDir(t), maxBytes: 1 << 20, lingerMs: 0 });
  t.after(() => store.close());
  for (const i of [0, 1, 2, 3]) await store.append(event(trace(7), i), 1000 + i);
  const { delivered, dead, lines } = replay(t, store, (i) =>
    i === 1
      ? new ProducerError('RECORD_TOO_LARGE', 'the broker refused a too large record (MESSAGE_TOO_LARGE)')
      : undefined,
  );
  await until('the spool is empty', () => store.stats().events === 0);
  assert.deepEqual(delivered, [0, 2, 3], 'the rest of the trace is delivered, in order');
  assert.deepEqual(
    dead.map((d) => [d.n, d.why.code]),
    [[1, 'RECORD_TOO_LARGE']],
  );
  assert.equal(store.holds(trace(7)), false, 'the trace is free: its next event goes straight to Kafka');
  assert.equal(store.stats().deadLetters, 1);
  const reader = new Database(store.path, { readonly: true });
  t.after(() => reader.close());
  const [letter] = listDeadLetters(reader, { events: true });
  assert.equal(letter!.eventId, event(trace(7), 1).id);
  assert.equal(letter!.traceId, trace(7));
  assert.equal(letter!.code, 'RECORD_TOO_LARGE');
  assert.match(letter!.reason, /MESSAGE_TOO_LARGE/);
  assert.equal(letter!.acceptedAt, 1001);
  assert.deepEqual(letter!.event, event(trace(7), 1));
  assert.ok(!lines.some((l) => l.msg === 'replay round failed; the events stay spooled and are sent again'));
});

test('a reason Kafka calls retriable becomes a dead letter once it lasted SPOOL_DEAD_LETTER_AFTER_MS; an outage never', async (t) => {
  const store = new SpoolStore({ dir: tempDir(t), maxBytes: 1 << 20, lingerMs: 0 });
  t.after(() => store.close());
  for (const i of [0, 1, 2]) await store.append(event(trace(i), i), 1000 + i);
  const unknownTopic = new ProducerError(
    'KAFKA_ERROR',
    'publish failed: UNKNOWN_TOPIC_OR_PARTITION (This server does not host this topic-partition)',
    { canRetry: true },
  );
  let outage = true;
  const started = Date.now();
  const { delivered, dead, lines } = replay(
    t,
    store,
    (i) => (i === 2 ? (outage ? new ProducerError('KAFKA_UNAVAILABLE', 'down') : undefined) : unknownTopic),
    { deadLetterAfterMs: 300 },
  );
  await until('two dead letters', () => dead.length === 2);
  assert.ok(Date.now() - started >= 300, 'not before the reason lasted the bound');
  assert.deepEqual(
    dead.map((d) => [d.n, d.why.code]),
    [
      [0, 'KAFKA_ERROR'],
      [1, 'KAFKA_ERROR'],
    ],
  );
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(store.stats().events, 1, 'the event Kafka could not be reached for stays spooled');
  assert.deepEqual(delivered, []);
  // Failed rounds are said at warn, with the reasons, not only at debug.
  const warned = lines.filter((l) => l.msg === 'replay round failed; the events stay spooled and are sent again');
  assert.ok(warned.length >= 1 && warned.length < 10, `${warned.length} warnings`);
  assert.equal(warned[0]!.level, 40);
  assert.match(JSON.stringify(warned), /UNKNOWN_TOPIC_OR_PARTITION|down/);
  outage = false;
  await until('delivered once Kafka is back', () => store.stats().events === 0);
  assert.deepEqual(delivered, [2]);
  assert.ok(lines.some((l) => l.msg === 'replay delivering again' && l.level === 30));
});

test('dead letters are listed, requeued behind the spool and dropped from another connection while the store runs', async (t) => {
  const store = new SpoolStore({ dir: tempDir(t), maxBytes: 1 << 20, lingerMs: 0 });
  t.after(() => store.close());
  for (const i of [0, 1, 2, 3]) await store.append(event(trace(i), i), 1000 + i);
  const why = { code: 'RECORD_TOO_LARGE', reason: 'too large' };
  for (const e of store.peek(10).filter((e) => n(e.event) !== 2)) store.bury(e, why, 5000);
  assert.deepEqual(store.stats().events, 1);
  assert.equal(store.stats().deadLetters, 3);
  assert.equal(store.holds(trace(0)), false);

  // As `event-sidecar dead-letters` does it: its own connection to the file.
  const cli = new Database(store.path);
  t.after(() => cli.close());
  assert.deepEqual(
    listDeadLetters(cli).map((l) => [l.eventId, l.failedAt]),
    [0, 1, 3].map((i) => [event(trace(i), i).id, 5000]),
  );
  assert.equal(requeueDeadLetters(cli, [event(trace(3), 3).id, event(trace(0), 0).id]), 2);
  assert.equal(dropDeadLetters(cli, [event(trace(1), 1).id]), 1);
  assert.equal(dropDeadLetters(cli, 'all'), 0);

  assert.equal(store.holds(trace(0)), false, 'not seen before refresh');
  assert.equal(store.refresh(), true, 'the running store notices the requeued events');
  assert.equal(store.refresh(), false, 'once');
  assert.equal(store.stats().events, 3);
  assert.equal(store.stats().deadLetters, 0);
  assert.ok(store.holds(trace(0)) && store.holds(trace(3)));
  // Behind what was spooled, in their old order.
  assert.deepEqual(
    store.peek(10).map((e) => n(e.event)),
    [2, 0, 3],
  );
  assert.equal(
    store.stats().bytes,
    store.peek(10).reduce((sum, e) => sum + e.bytes, 0),
  );
  assert.equal(SPOOL_FILE, 'spool.db');
});
