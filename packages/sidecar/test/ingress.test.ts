// The transport-neutral logic of accepting events, with a stand-in publisher (no Kafka here: the
// end-to-end tests publish for real).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { validateEvent, type EventMessage } from '@event-sidecar/contract';
import { ProducerError, type PublishOutcome } from '@event-sidecar/producer';
import { createIngress, type Publisher } from '../src/ingress.js';
import { createMetrics } from '../src/metrics.js';

const event = (id: string, type: 'log' | 'audit' = 'log') => ({
  id,
  type: 'application/json',
  content: { n: 1 },
  metadata: {
    event: {
      id: `e-${id}`,
      type,
      action: type === 'log' ? 'info' : 'start',
      createdAt: '2026-01-01T00:00:00Z',
      state: { status: 'success' },
    },
    trace: { service: 's', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) },
  },
});

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
  assert.deepEqual(ok.ok && ok.result, { topic: 't', partition: 2, offset: '0' });
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
