// Per-trace order across a broker crash, one event per produce request (PRODUCER_BATCH_MAX_EVENTS=1): each
// trace's events reach the topic in the order its client sent them, whether they went straight to Kafka or
// through the spool, and none is lost. One request per event is where the order was once lost: an event that
// failed went to the spool while the events behind it on its partition were sent, and delivered, first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage } from '@event-sidecar/contract';
import { call, hex, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';
import { consumeIds, spoolDir } from '../helpers/spool.js';

const FAST_RESTART = 'broker.session.timeout.ms=2000;broker.heartbeat.interval.ms=500';
const TRACES = 12;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('broker killed and restarted, one event per request: every trace on the topic in the order it was sent', async (t) => {
  const broker = await dedicatedBroker(t, { prefix: 'kafka-spool-order-it-', extraProperties: FAST_RESTART });
  await broker.start();
  const { url, topic, sidecar } = await startTestSidecar(t, {
    KAFKA_BROKERS: broker.brokers.join(','),
    KAFKA_CREATE_TOPIC_PARTITIONS: '4',
    PUBLISH_TIMEOUT_MS: '3000',
    KAFKA_CONNECTION_TIMEOUT_MS: '1000',
    KAFKA_REQUEST_TIMEOUT_MS: '2000',
    PRODUCER_BATCH_MAX_EVENTS: '1',
    SPOOL_DIR: spoolDir(t),
  });

  // One client per trace, sending its events one after another with a sequence number, as a service does.
  // A trace keeps one event type, so its events share one partition, where Kafka keeps their order.
  const sent = new Map<string, { trace: string; n: number; status: number }>();
  let sending = true;
  const senders = Array.from({ length: TRACES }, async (_, i) => {
    const trace = hex(16);
    for (let n = 0; sending; n += 1) {
      const base = sampleEvent((['log', 'audit'] as const)[i % 2]);
      const event = {
        ...base,
        content: { n },
        metadata: { ...base.metadata, trace: { ...base.metadata.trace, traceId: trace } },
      } as EventMessage;
      const answer = await call(`${url}/event`, { body: event });
      sent.set(event.id, { trace, n, status: answer.status });
      await sleep(5);
    }
  });

  await sleep(1500);
  broker.kill();
  t.diagnostic('broker killed');
  await sleep(4000);
  await broker.start();
  t.diagnostic('broker restarted');
  // The spool replays while the clients go on sending.
  await sleep(4000);
  sending = false;
  await Promise.all(senders);

  for (let i = 0; i < 240 && sidecar.spool!.stats().events > 0; i += 1) await sleep(250);
  assert.equal(sidecar.spool!.stats().events, 0, 'the spool drained');

  const statuses = new Map<number, number>();
  for (const { status } of sent.values()) statuses.set(status, (statuses.get(status) ?? 0) + 1);
  t.diagnostic(`answers: ${JSON.stringify([...statuses])}`);
  assert.deepEqual(
    [...statuses.keys()].filter((s) => s !== 201 && s !== 202),
    [],
    'only 201 and 202',
  );
  assert.ok((statuses.get(202) ?? 0) > 0, 'some events were spooled');

  // Every event a client sent is on the topic (duplicates allowed).
  const records = await consumeIds(topic, sent.keys(), broker.brokers);
  t.diagnostic(`${sent.size} sent, ${records.length} records`);

  // Per trace, the first appearance of each event in offset order: 0, 1, 2, ... as sent, none missing.
  const firsts = new Map<string, number[]>();
  const seen = new Set<string>();
  for (const r of [...records].sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1))) {
    const id = r.value.id as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const { trace, n } = sent.get(id)!;
    firsts.set(trace, [...(firsts.get(trace) ?? []), n]);
  }
  assert.equal(firsts.size, TRACES);
  for (const [trace, order] of firsts) {
    const expected = Array.from({ length: order.length }, (_, n) => n);
    assert.deepEqual(order, expected, `order of trace ${trace}`);
  }
});
