// Per-trace order across an outage that begins while an event waits for Kafka: the ordering logic alone, and the
// ingress with a stand-in producer whose answers the test releases by hand (no Kafka here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage } from '@event-sidecar/contract';
import { ProducerError, type PublishResult } from '@event-sidecar/producer';
import type { Publisher } from '../src/producer-views.js';
import { ingressWithSpool, testEvent } from './fixtures.js';
import { TraceOrder } from '../src/spool/trace-order.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('TraceOrder: an event bound for the spool waits for the earlier events of its trace only', async () => {
  const order = new TraceOrder();
  const a = order.enter('T');
  const other = order.enter('U');
  const b = order.enter('T');
  assert.equal(b.follows, false, 'nothing of T is bound for the spool yet');
  let bReady = false;
  void b.toSpool().then(() => (bReady = true));
  const c = order.enter('T');
  assert.equal(c.follows, true, 'b is bound for the spool: c must follow it there');
  let cReady = false;
  void c.toSpool().then(() => (cReady = true));
  let otherReady = false;
  void other.toSpool().then(() => (otherReady = true));
  await tick();
  assert.deepEqual([bReady, cReady, otherReady], [false, false, true], 'another trace does not wait');

  a.settle();
  await tick();
  assert.deepEqual([bReady, cReady], [true, false], 'c waits for b as well');
  b.settle();
  await tick();
  assert.equal(cReady, true);
  c.settle();
  other.settle();
  c.settle();
  assert.equal(order.size, 0, 'settled traces are forgotten');
  assert.equal(order.enter('T').follows, false);
});

test('TraceOrder: a later event settling first does not release an event waiting for an earlier one', async () => {
  const order = new TraceOrder();
  const a = order.enter('T');
  const b = order.enter('T');
  const c = order.enter('T');
  let cReady = false;
  void c.toSpool().then(() => (cReady = true));
  b.settle();
  await tick();
  assert.equal(cReady, false);
  a.settle();
  await tick();
  assert.equal(cReady, true);
});

/** A producer whose publishes of chosen event ids hang until released; while `down`, others fail at once. */
function heldProducer() {
  const held = new Map<string, { resolve: (r: PublishResult) => void; reject: (e: unknown) => void }>();
  const state = { down: false, hold: new Set<string>() };
  let offset = 0;
  const producer: Publisher = {
    topic: 't',
    health: () => ({ state: state.down ? 'down' : 'connected', queueDepth: 0, since: new Date() }),
    publish: (e) => {
      if (state.hold.has(e.id)) return new Promise((resolve, reject) => held.set(e.id, { resolve, reject }));
      if (state.down) return Promise.reject(new ProducerError('KAFKA_UNAVAILABLE', 'down', { canRetry: true }));
      return Promise.resolve({ topic: 't', partition: 0, offset: String(offset++) });
    },
    publishMany: () => Promise.reject(new Error('not used')),
  };
  return { producer, state, held };
}

const event = (id: string, traceId: string): EventMessage => testEvent(id, { traceId });

test('an event in flight when the outage begins is spooled before the later events of its trace', async (t) => {
  const { producer, state, held } = heldProducer();
  const { spool, ingress } = ingressWithSpool(t, producer);
  const T = 'a'.repeat(32);
  const U = 'c'.repeat(32);

  state.hold.add('A');
  const a = ingress.accept(event('A', T), 'http');
  await tick();
  assert.ok(held.has('A'), 'A waits for Kafka');
  // The outage begins: the producer refuses at once.
  state.down = true;
  const b = ingress.accept(event('B', T), 'http');
  const c = ingress.acceptMany([event('C', T), event('D', U)], 'grpc');
  // D's trace has nothing in flight: it is spooled without waiting.
  const other = await Promise.race([
    c.then(() => 'c'),
    new Promise((resolve) => setTimeout(() => resolve('late'), 50)),
  ]);
  assert.equal(other, 'late', 'C waits for A');
  assert.deepEqual(
    spool.store.peek(10).map((e) => e.event.id),
    ['D'],
  );

  held.get('A')!.reject(new ProducerError('PUBLISH_TIMEOUT', 'not confirmed in time', { canRetry: true }));
  const [outA, outB] = [await a, await b];
  assert.ok(outA.ok && outA.spooled);
  assert.ok(outB.ok && outB.spooled);
  assert.deepEqual(
    (await c).results.map((r) => r.status),
    ['spooled', 'spooled'],
  );
  assert.deepEqual(
    spool.store
      .peek(10)
      .filter((e) => e.key === T)
      .map((e) => e.event.id),
    ['A', 'B', 'C'],
    'replay follows acceptance order',
  );
});

test('an event in flight that Kafka confirms releases the spooled ones behind it; a later one follows them', async (t) => {
  const { producer, state, held } = heldProducer();
  const { spool, ingress } = ingressWithSpool(t, producer);
  const T = 'a'.repeat(32);

  state.hold.add('A');
  const a = ingress.accept(event('A', T), 'http');
  await tick();
  state.down = true;
  const b = ingress.accept(event('B', T), 'http');
  await tick();
  // Kafka is back for new events, but B is on its way to the spool: C must not overtake it.
  state.down = false;
  const c = ingress.accept(event('C', T), 'http');
  held.get('A')!.resolve({ topic: 't', partition: 0, offset: '7' });
  const [ra, rb, rc] = await Promise.all([a, b, c]);
  assert.ok(ra.ok && !ra.spooled, 'A published');
  assert.ok(rb.ok && rb.spooled);
  assert.ok(rc.ok && rc.spooled, 'C follows B onto the spool');
  assert.deepEqual(
    spool.store.peek(10).map((e) => e.event.id),
    ['B', 'C'],
  );
});

test('without anything spooling, events of one trace are published concurrently (no waiting)', async (t) => {
  const { producer, state, held } = heldProducer();
  const { spool, ingress } = ingressWithSpool(t, producer);
  const T = 'a'.repeat(32);
  state.hold.add('A');
  const a = ingress.accept(event('A', T), 'http');
  const b = await ingress.accept(event('B', T), 'http');
  assert.ok(b.ok && !b.spooled, 'B did not wait for A');
  held.get('A')!.resolve({ topic: 't', partition: 0, offset: '1' });
  assert.ok((await a).ok);
  assert.equal(spool.stats().events, 0);
});
