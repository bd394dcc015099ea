// Which lane an event joins (lane-balancing.ts): the few events of one moment share one request, whatever their
// partitions' lanes; under load the lanes share the work; a partition is in one request at a time, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage } from '@event-sidecar/contract';
import type { EventProducer } from '../src/index.js';
import { connected, FakeKafka } from './fake-kafka.js';
import { makeEvent } from './fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const requests = (fake: FakeKafka) => fake.producers.reduce((n, p) => n + p.sends.length, 0);

/** Events on many partitions (ids e0, e1, ...). */
function pool(n: number, from = 0): EventMessage[] {
  const types = ['log', 'audit', 'trace', 'error'] as const;
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return makeEvent(types[i % 4]!, (i % 97).toString(16).padStart(32, 'c'), { id: `e${i}` });
  });
}

/** One event for each partition p of `partitions`, in that order. */
function onePer(producer: EventProducer, partitions: readonly number[]): EventMessage[] {
  const byPartition = new Map<number, EventMessage>();
  for (const event of pool(2000)) {
    const p = producer.partitionFor(event);
    if (!byPartition.has(p)) byPartition.set(p, event);
  }
  return partitions.map((p) => byPartition.get(p)!);
}

test('the events of one moment share one request, whatever the lanes of their partitions', async () => {
  const fake = new FakeKafka(12);
  const producer = await connected(fake, { batch: { lanes: 4, lingerMs: 1000 } });
  // Partitions 0..3: one of each lane's share.
  const four = onePer(producer, [0, 1, 2, 3]);
  await Promise.all(four.map((e) => producer.publish(e)));
  assert.equal(requests(fake), 1);
  assert.equal(fake.producers.flatMap((p) => p.sends)[0]!.length, 4);

  // Four callers that each await their event, as a service with four calls in flight: they keep sharing.
  const before = requests(fake);
  await Promise.all(
    four.map(async (event) => {
      for (let i = 0; i < 25; i++) await producer.publish(event);
    }),
  );
  const sent = requests(fake) - before;
  assert.ok(sent <= 30, `${sent} requests for 100 events of 4 callers`);
  await producer.close();
});

test('under load a lane hands the partitions of the other lanes back, and the lanes send in parallel', async () => {
  const fake = new FakeKafka(12);
  // The partitions of each producer's request in flight: no partition may be in two at once.
  const sending = new Map<number, Set<number>>();
  let overlaps = 0;
  // The first request waits until the test lets it go; the others take 15 ms, so that those sent together overlap.
  let release!: () => void;
  const firstHeld = new Promise<void>((resolve) => (release = resolve));
  let sends = 0;
  fake.onSend = async (p, messages) => {
    const mine = new Set(messages.map((m) => m.partition!));
    for (const [id, theirs] of sending) if (id !== p.id) for (const x of mine) if (theirs.has(x)) overlaps++;
    sending.set(p.id, mine);
    await (sends++ === 0 ? firstHeld : sleep(15));
    sending.delete(p.id);
    return fake.store(messages);
  };
  const producer = await connected(fake, { batch: { lanes: 4, lingerMs: 0, maxEvents: 500 } });
  // One moment with every partition: one lane takes them all, in one request.
  const first = onePer(producer, [...Array(12).keys()]);
  const firstDone = Promise.all(first.map((e) => producer.publish(e)));
  while (fake.inFlight === 0) await sleep(1);
  assert.equal(fake.inFlight, 1);
  // While it is in flight, 400 more: every partition is held by that lane, so they all wait there.
  const rest = pool(400, 2000);
  const restDone = Promise.all(rest.map((e) => producer.publish(e)));
  await sleep(5);
  assert.equal(fake.inFlight, 1);
  release();
  const results = await restDone;
  await firstDone;
  assert.equal(fake.producers.flatMap((p) => p.sends)[0]!.length, 12);
  // Then the lane kept its own partitions and handed the others back: four requests in flight at once.
  assert.equal(fake.maxInFlight, 4);
  assert.equal(overlaps, 0);
  // Each partition holds its events in publish order.
  const expected = new Map<number, string[]>();
  for (const e of [...first, ...rest]) {
    const p = producer.partitionFor(e);
    expected.set(p, [...(expected.get(p) ?? []), e.id]);
  }
  for (const [p, ids] of expected) {
    assert.deepEqual(
      fake.logs.get(p)!.map((m) => (JSON.parse(m.value!.toString()) as { id: string }).id),
      ids,
    );
  }
  assert.equal(results.length, 400);
  await producer.close();
});
