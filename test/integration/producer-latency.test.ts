// EventProducer at low load against a real broker: what an idle producer costs, and how long a lone event waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
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
  t.after(() => producer.close());
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
