// The spool under a broker crash: Kafka is killed (SIGKILL) while clients keep sending. With a spool no
// client sees a 503; once the broker is back every event answered 201 or 202 is on the topic, and the
// events of each trace are in the order they were sent. A tiny spool fills up and answers 503 again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage } from '@event-sidecar/contract';
import { call, hex, metricValue, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';
import { eventLoggerClient, toWire } from '../helpers/grpc.js';
import { consumeIds, spoolDir } from '../helpers/spool.js';

const FAST_RESTART = 'broker.session.timeout.ms=2000;broker.heartbeat.interval.ms=500';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('broker killed under load: no 503, every 201/202 delivered, per-trace order kept', async (t) => {
  const broker = await dedicatedBroker(t, { prefix: 'kafka-spool-it-', extraProperties: FAST_RESTART });
  await broker.start();
  const env = {
    KAFKA_BROKERS: broker.brokers.join(','),
    KAFKA_CREATE_TOPIC_PARTITIONS: '4',
    PUBLISH_TIMEOUT_MS: '3000',
    KAFKA_CONNECTION_TIMEOUT_MS: '1000',
    KAFKA_REQUEST_TIMEOUT_MS: '2000',
  };
  const { url, topic, sidecar } = await startTestSidecar(t, { ...env, SPOOL_DIR: spoolDir(t) });
  const tiny = await startTestSidecar(t, { ...env, SPOOL_DIR: spoolDir(t), SPOOL_MAX_BYTES: '1500' });

  // Each sender owns traces and sends their events one after another, as a service does.
  const answers: Array<{ status: number; event: EventMessage; trace: string; n: number }> = [];
  let sending = true;
  const senders = Array.from({ length: 8 }, async () => {
    const traces = [hex(16), hex(16)];
    let n = 0;
    while (sending) {
      const trace = traces[n % 2]!;
      const base = sampleEvent((['log', 'audit'] as const)[n % 2]);
      const event = {
        ...base,
        content: { n },
        metadata: { ...base.metadata, trace: { ...base.metadata.trace, traceId: trace } },
      } as EventMessage;
      const answer = await call(`${url}/event`, { body: event });
      answers.push({ status: answer.status, event, trace, n });
      n += 1;
      await sleep(20);
    }
  });

  await sleep(1500);
  broker.kill();
  t.diagnostic('broker killed');
  await sleep(4000);

  // While Kafka is away the tiny spool takes an event or two, then answers 503 with Retry-After.
  const one = await call(`${tiny.url}/event`, { body: sampleEvent('log') });
  assert.equal(one.status, 202, one.text);
  assert.equal((one.body as { status: string }).status, 'spooled');
  let full = one;
  for (let i = 0; i < 5 && full.status === 202; i += 1)
    full = await call(`${tiny.url}/event`, { body: sampleEvent('log') });
  assert.equal(full.status, 503, full.text);
  assert.ok(Number(full.headers.get('retry-after')) >= 1);
  assert.match(full.text, /spool is full/);

  const health = await call(`${url}/health`);
  assert.equal(health.status, 200, health.text);
  const body = health.body as { status: string; services: Array<{ name: string; status: string; depth?: number }> };
  assert.equal(body.status, 'DEGRADED');
  const spoolEntry = body.services.find((s) => s.name === 'spool');
  assert.ok(spoolEntry && spoolEntry.depth! > 0, JSON.stringify(body));

  // gRPC takes the event as well: `accepted` means on the spool.
  const grpcClient = eventLoggerClient(sidecar.grpcPort);
  t.after(() => grpcClient.close());
  const viaGrpc = sampleEvent('trace');
  const logged = await grpcClient.log(toWire(viaGrpc as unknown as Record<string, unknown>));
  assert.equal(logged.response?.status, 'accepted', logged.error?.message);

  const restartAt = Date.now();
  await broker.start();
  t.diagnostic(`broker restarted in ${Date.now() - restartAt} ms`);
  await sleep(2000);
  sending = false;
  await Promise.all(senders);

  for (let i = 0; i < 240 && sidecar.spool!.stats().events > 0; i += 1) await sleep(250);
  assert.equal(sidecar.spool!.stats().events, 0, 'the spool drained');

  const statuses = new Map<number, number>();
  for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  t.diagnostic(`answers: ${JSON.stringify([...statuses])}`);
  assert.deepEqual(
    [...statuses.keys()].filter((s) => s !== 201 && s !== 202),
    [],
    'only 201 and 202',
  );
  assert.ok((statuses.get(202) ?? 0) > 0, 'some events were spooled');

  const acked = answers.filter((a) => a.status === 201 || a.status === 202);
  const wanted = new Set([...acked.map((a) => a.event.id), viaGrpc.id]);
  const records = await consumeIds(topic, wanted, broker.brokers);
  t.diagnostic(`${wanted.size} acknowledged, ${records.length} records (duplicates allowed)`);

  // Per trace (one key, one type, so one partition): first appearances in offset order follow n.
  const byTrace = new Map<string, Array<{ offset: bigint; n: number; id: string }>>();
  for (const r of records) {
    const list = byTrace.get(r.key!) ?? [];
    list.push({ offset: BigInt(r.offset), n: (r.value.content as { n: number }).n, id: r.value.id as string });
    byTrace.set(r.key!, list);
  }
  for (const [trace, list] of byTrace) {
    for (const type of [0, 1]) {
      const seen = new Set<string>();
      const order = list
        .filter((e) => e.n % 2 === type)
        .sort((a, b) => (a.offset < b.offset ? -1 : 1))
        .filter((e) => !seen.has(e.id) && seen.add(e.id))
        .map((e) => e.n);
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        `order of trace ${trace}`,
      );
    }
  }

  const spooledRecord = records.find((r) => r.value.id === acked.find((a) => a.status === 202)!.event.id)!;
  const createdAt = (spooledRecord.value.metadata as Record<string, unknown>)['protocol.createdAt'] as number;
  assert.ok(createdAt < restartAt, 'a spooled event carries the time it was accepted, not the replay time');

  const metrics = (await call(`${url}/metrics`)).text;
  assert.equal(metricValue(metrics, 'event_sidecar_spool_events'), 0);
  assert.ok(metricValue(metrics, 'event_sidecar_spool_replayed_total') >= statuses.get(202)!);
});
