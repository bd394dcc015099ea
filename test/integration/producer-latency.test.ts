// EventProducer at low load against a real broker: what an idle producer costs, and how long a lone event waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventMessage } from '@event-sidecar/contract';
import { EventProducer, type EventProducerOptions } from '@event-sidecar/producer';
import { testBrokers, uniqueName } from '../helpers/kafka.js';

function logEvent(seq: number, traceId = randomBytes(16).toString('hex')): EventMessage {
  return {
    id: `latency-${seq}-${randomBytes(4).toString('hex')}`,
    from: 'dfsp1',
    to: 'dfsp2',
    type: 'application/json',
    content: { seq, payload: 'p'.repeat(200) },
    metadata: {
      event: { id: randomBytes(8).toString('hex'), type: 'log', action: 'info', createdAt: new Date().toISOString() },
      trace: { service: 'it-latency', traceId, spanId: randomBytes(8).toString('hex') },
    } as EventMessage['metadata'],
  };
}

async function connectedProducer(
  t: { after(fn: () => Promise<void>): void },
  options: Partial<EventProducerOptions> = {},
): Promise<EventProducer> {
  const producer = new EventProducer({
    brokers: testBrokers(),
    topic: uniqueName('it-latency'),
    createTopic: { partitions: 4 },
    ...options,
  });
  t.after(async () => {
    await producer.close();
  });
  await producer.connect();
  return producer;
}

test('an idle producer neither re-arms timers nor wakes for them', async (t) => {
  // Every timer's id from the start, so that callbacks of intervals created earlier are recognized too.
  const timerIds = new Set<number>();
  let counting = false;
  let created = 0;
  let fired = 0;
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout') return;
      timerIds.add(id);
      if (counting) created++;
    },
    before(id) {
      if (counting && timerIds.has(id)) fired++;
    },
  }).enable();
  t.after(() => hook.disable());
  const producer = await connectedProducer(t);
  // kafkajs's timer loop starts with the first response on a connection: events answered on each lane.
  await Promise.all(Array.from({ length: 20 }, (_, i) => producer.publish(logEvent(i))));
  await sleep(300);
  counting = true;
  await sleep(1000);
  counting = false;
  // One sleep timer of this test fires; a loop makes hundreds, and per-connection intervals ten a second each.
  assert.ok(created < 10, `${created} timers created in one idle second`);
  assert.ok(fired < 10, `${fired} timer callbacks in one idle second`);
});

test('a lone event on an idle lane is sent at once, not after the linger', async (t) => {
  const lingerMs = 3000;
  let requests = 0;
  const producer = await connectedProducer(t, {
    batch: { lingerMs, lanes: 4 },
    metrics: { batchSize: () => requests++ },
  });
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await producer.publish(logEvent(i));
    const ms = performance.now() - started;
    assert.ok(ms < lingerMs / 3, `event ${i} confirmed after ${ms.toFixed(0)} ms (linger ${lingerMs} ms)`);
  }
  assert.equal(requests, 5, 'one produce request per event');
});

test('under load, the events that gather behind a request share the next one', async (t) => {
  const batches: number[] = [];
  const producer = await connectedProducer(t, {
    batch: { lingerMs: 2, lanes: 1 },
    metrics: { batchSize: (events) => batches.push(events) },
  });
  const callers = 50;
  const perCaller = 20;
  // Closed-loop callers, as services awaiting each call: up to 50 events waiting at once on one lane.
  const offsets = await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      const seen: string[] = [];
      for (let i = 0; i < perCaller; i++) {
        const result = await producer.publish(logEvent(c * perCaller + i));
        seen.push(`${result.partition}:${result.offset}`);
      }
      return seen;
    }),
  );
  const events = callers * perCaller;
  assert.equal(new Set(offsets.flat()).size, events, 'every event got its own offset');
  assert.equal(
    batches.reduce((a, b) => a + b, 0),
    events,
  );
  const perRequest = events / batches.length;
  assert.ok(perRequest > 5, `${perRequest.toFixed(1)} events per produce request (${batches.length} requests)`);
  assert.ok(Math.max(...batches) > 20, `largest batch ${Math.max(...batches)}`);
});
