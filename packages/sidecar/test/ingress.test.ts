// The transport-neutral logic of accepting events, with a stand-in publisher (no Kafka here: the
// end-to-end tests publish for real).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { validateEvent, type EventMessage } from '@event-sidecar/contract';
import { ProducerError, type PublishOutcome } from '@event-sidecar/producer';
import { createIngress } from '../src/ingress.js';
import { recordCheck } from '../src/delivery.js';
import type { Publisher } from '../src/producer-views.js';
import { createMetrics } from '../src/metrics.js';
import { resolveError } from '../src/errors.js';
import { ingressWithSpool, testEvent } from './fixtures.js';

const event = (id: string, type: 'log' | 'audit' = 'log') => testEvent(id, { type });

function publisher(fail: (e: EventMessage) => ProducerError | undefined): Publisher & { seen: EventMessage[] } {
  const seen: EventMessage[] = [];
  let offset = 0;
  const one = (e: EventMessage): PublishOutcome => {
    seen.push(e);
    const error = fail(e);
    return error ? { ok: false, error } : { ok: true, result: { topic: 't', partition: 2, offset: String(offset++) } };
  };
  return {
    seen,
    topic: 't',
    health: () => ({ state: 'connected', queueDepth: 0, since: new Date() }),
    publish: async (e) => {
      const outcome = one(e);
      if (!outcome.ok) throw outcome.error;
      return outcome.result;
    },
    publishMany: async (events) => events.map(one),
  };
}

test('accept: valid events are published, invalid ones never reach the producer', async () => {
  const registry = new Registry();
  const metrics = createMetrics(registry, { processMetrics: false });
  const producer = publisher(() => undefined);
  const ingress = createIngress({ producer, validate: validateEvent, metrics });

  const ok = await ingress.accept(event('1'), 'grpc');
  assert.deepEqual(ok.ok && !ok.spooled && ok.result, { topic: 't', partition: 2, offset: '0' });
  const bad = await ingress.accept({ ...event('2'), id: 7 }, 'grpc');
  assert.equal(bad.ok, false);
  assert.equal(producer.seen.length, 1);
  const text = await registry.metrics();
  assert.match(text, /event_sidecar_events_received_total\{type="log",transport="grpc"\} 2/);
  assert.match(text, /event_sidecar_events_published_total\{type="log",transport="grpc"\} 1/);
  assert.match(text, /event_sidecar_events_rejected_total\{type="log",transport="grpc"\} 1/);
});

test('acceptMany: results in request order, each judged alone, Retry-After from retriable failures', async () => {
  const registry = new Registry();
  const metrics = createMetrics(registry, { processMetrics: false });
  const producer = publisher((e) =>
    e.id === 'busy' ? new ProducerError('OVERLOADED', 'full', { canRetry: true, retryAfterMs: 2000 }) : undefined,
  );
  const ingress = createIngress({ producer, validate: validateEvent, metrics });
  const outcome = await ingress.acceptMany([event('a'), 'not an event', event('busy', 'audit'), event('b')], 'http');
  assert.equal(outcome.published, 2);
  assert.equal(outcome.retryAfterSeconds, 2);
  assert.deepEqual(
    outcome.results.map((r) => [r.index, r.id, r.status, r.offset, r.error?.errorCode]),
    [
      [0, 'a', 'published', '0', undefined],
      [1, undefined, 'rejected', undefined, '3101'],
      [2, 'busy', 'failed', undefined, '2005'],
      [3, 'b', 'published', '1', undefined],
    ],
  );
  assert.deepEqual(
    producer.seen.map((e) => e.id),
    ['a', 'busy', 'b'],
  );
  const text = await registry.metrics();
  assert.match(text, /event_sidecar_events_received_total\{type="unknown",transport="http"\} 1/);
  assert.match(text, /event_sidecar_events_failed_total\{type="audit",transport="http",code="OVERLOADED"\} 1/);
  assert.match(text, /event_sidecar_request_batch_events_sum\{transport="http"\} 4/);
});

/** `event(id)` in a trace of its own. */
const traced = (id: string, trace: string) => ({
  ...event(id),
  metadata: {
    ...event(id).metadata,
    trace: { service: 's', traceId: trace.repeat(32 / trace.length), spanId: 'b'.repeat(16) },
  },
});

test('with a spool: Kafka away spools, new events go behind what it holds, a full queue spools, bad events do not', async (t) => {
  let down = true;
  const producer = publisher((e) =>
    e.id === 'busy'
      ? new ProducerError('OVERLOADED', 'full', { canRetry: true })
      : down
        ? new ProducerError('KAFKA_UNAVAILABLE', 'down', { canRetry: true })
        : undefined,
  );
  const { spool, ingress, registry } = ingressWithSpool(t, producer);

  const first = await ingress.accept(event('1'), 'http');
  assert.ok(first.ok && first.spooled);
  down = false;
  // Kafka is back, but the spool still holds an event: the trace's next one goes behind it, and so does another
  // trace's, until the replay has drained the spool.
  const second = await ingress.accept(event('2'), 'http');
  assert.ok(second.ok && second.spooled);
  const behind = await ingress.accept(traced('3', 'c'), 'http');
  assert.ok(behind.ok && behind.spooled, 'another trace goes behind the spooled events');
  assert.deepEqual(
    producer.seen.map((e) => e.id),
    ['1'],
  );
  assert.deepEqual(
    spool.store.peek(10).map((e) => e.event.id),
    ['1', '2', '3'],
  );
  // What the replay does: delivered, deleted. Then events go straight to Kafka again.
  spool.store.remove(spool.store.peek(10));
  const direct = await ingress.accept(traced('4', 'c'), 'http');
  assert.ok(direct.ok && !direct.spooled, 'straight to Kafka once the spool is empty');
  const batch = await ingress.acceptMany([event('5'), traced('6', 'e')], 'http');
  assert.equal(batch.published, 2);
  // The producer's queue is full: refused, the SDK would drop it; spooled, it is delivered later.
  const full = await ingress.accept(traced('busy', 'd'), 'http');
  assert.ok(full.ok && full.spooled, 'OVERLOADED is spooled');
  const bad = await ingress.accept({ ...event('7'), id: 7 }, 'http');
  assert.equal(bad.ok, false);
  assert.deepEqual(
    spool.store.peek(10).map((e) => e.event.id),
    ['busy'],
  );
  assert.match(await registry.metrics(), /event_sidecar_events_spooled_for_load_total\{reason="overloaded"\} 1/);
  assert.match(await registry.metrics(), /event_sidecar_events_spooled_total 4/);
});

test('with a spool, a busy sidecar spools what it would shed: never asks Kafka, never refuses while there is room', async (t) => {
  const producer = publisher(() => undefined);
  let overloaded = true;
  const { spool, ingress, registry } = ingressWithSpool(t, producer, 4096, { admission: { busy: () => overloaded } });
  const one = await ingress.accept(traced('1', 'e'), 'grpc');
  assert.ok(one.ok && one.spooled, 'spooled, not refused BUSY');
  const batch = await ingress.acceptMany([traced('2', 'f'), traced('3', 'a')], 'http');
  assert.deepEqual(
    batch.results.map((r) => r.status),
    ['spooled', 'spooled'],
  );
  assert.equal(producer.seen.length, 0, 'Kafka was not asked');
  assert.equal(spool.stats().events, 3);
  // Events spooled for load make no backlog: each later one is judged for load again, not queued behind them.
  assert.match(await registry.metrics(), /event_sidecar_events_spooled_for_load_total\{reason="busy"\} 3/);
  // Only a full spool refuses: then 503 SPOOL_FULL.
  const outcomes = [];
  for (let i = 0; i < 12; i += 1)
    outcomes.push(
      await ingress.accept(
        traced(
          `x${i}`,
          String(i % 10)
            .padStart(2, '0')
            .repeat(16),
        ),
        'grpc',
      ),
    );
  const refused = outcomes.find((o) => !o.ok);
  assert.ok(refused && !refused.ok, 'the spool filled up');
  assert.equal(resolveError(refused.error).code, 'SPOOL_FULL');
  overloaded = false;
  const calm = await ingress.accept(traced('calm', 'a9'), 'grpc');
  assert.ok(calm.ok && !calm.spooled, 'published once the load is gone');
});

test('with a spool, an event too large for a record is refused 413 even when it would be spooled unasked', async (t) => {
  const producer = publisher((e) => (e.id === '1' ? new ProducerError('KAFKA_UNAVAILABLE', 'down') : undefined));
  const { ingress, spool } = ingressWithSpool(t, producer, 1 << 22, { recordCheck: recordCheck(4096) });
  assert.ok((await ingress.accept(event('1'), 'http')).ok);
  // Its trace holds a spooled event, so it would go behind it without the producer's size check.
  const big = { ...event('big'), content: { text: 'x'.repeat(5000) } };
  const refused = await ingress.accept(big, 'http');
  assert.equal(refused.ok, false);
  const resolved = resolveError(!refused.ok && refused.error);
  assert.deepEqual([resolved.code, resolved.http], ['RECORD_TOO_LARGE', 413]);
  assert.deepEqual(
    spool.store.peek(10).map((e) => e.event.id),
    ['1'],
  );
  assert.ok((await ingress.accept({ ...event('small'), content: { text: 'x'.repeat(3000) } }, 'http')).ok);
});

test('a full spool fails with SPOOL_FULL: 503 with Retry-After', async (t) => {
  const producer = publisher(() => new ProducerError('PUBLISH_TIMEOUT', 'late', { canRetry: true }));
  const { ingress } = ingressWithSpool(t, producer, 1024);
  const outcomes = [];
  for (let i = 0; i < 4; i += 1) outcomes.push(await ingress.accept(event(String(i)), 'http'));
  const refused = outcomes.find((o) => !o.ok);
  assert.ok(refused && !refused.ok);
  const resolved = resolveError(refused.error);
  assert.equal(resolved.code, 'SPOOL_FULL');
  assert.equal(resolved.http, 503);
  assert.equal(resolved.grpc, 'UNAVAILABLE');
  assert.equal(resolved.mojaloopCode, '2003');
  assert.equal(resolved.retryAfterSeconds, 5);
  assert.match(resolved.description, /spool is full/);
});

test('without a spool, while admission says busy, events are refused BUSY (503, Retry-After) unseen by Kafka', async () => {
  const registry = new Registry();
  const metrics = createMetrics(registry, { processMetrics: false });
  const producer = publisher(() => undefined);
  let overloaded = true;
  const admission = { busy: () => overloaded };
  const ingress = createIngress({ producer, validate: validateEvent, metrics, admission });

  const refused = await ingress.accept(event('1'), 'grpc');
  assert.equal(refused.ok, false);
  const resolved = resolveError(!refused.ok && refused.error);
  assert.deepEqual([resolved.http, resolved.grpc, resolved.retryAfterSeconds], [503, 'UNAVAILABLE', 1]);
  assert.equal(producer.seen.length, 0);
  overloaded = false;
  assert.equal((await ingress.accept(event('2'), 'grpc')).ok, true);
  assert.match(
    await registry.metrics(),
    /event_sidecar_events_failed_total\{type="log",transport="grpc",code="BUSY"\} 1/,
  );
});
