// The spool across process deaths, with the built CLI: killed (SIGKILL) while spooling, the next run
// delivers every event the first one acknowledged, and replays them before the new events of their traces;
// a spool file damaged at its tail is opened anyway, the unreadable records counted in the log and a metric,
// the readable ones delivered.
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage } from '@event-sidecar/contract';
// internals of the sidecar, from its build: the spool's file, read as the sidecar reads it
import { SPOOL_FILE, SpoolStore } from '../../packages/sidecar/dist/spool/store.js';
import { testBrokers, uniqueName } from '../helpers/kafka.js';
import { call, consume, hex, metricValue, sampleEvent } from '../helpers/sidecar.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';
import { runCli, type CliProcess } from '../helpers/sidecar-process.js';
import { spoolCliEnv as env, consumeIds, spoolDir } from '../helpers/spool.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function started(t: { after(fn: () => void): void }, cli: CliProcess): Promise<string> {
  t.after(() => cli.child.kill('SIGKILL'));
  const line = await cli.waitForLog((l) => l.msg === 'event-sidecar started', 90_000);
  return `http://127.0.0.1:${line.port as number}`;
}

test('sidecar killed while spooling: the next run delivers every acknowledged event', async (t) => {
  const broker = await dedicatedBroker(t, {
    prefix: 'kafka-spool-cli-',
    extraProperties: 'broker.session.timeout.ms=2000;broker.heartbeat.interval.ms=500',
  });
  await broker.start();
  const topic = uniqueName('it-spool-kill');
  const dir = spoolDir(t, 'spool-cli-it-');
  const first = runCli([], env(broker.brokers, topic, dir));
  const url = await started(t, first);

  const acked: string[] = [];
  const post = async (event: EventMessage) => {
    const answer = await call(`${url}/event`, { body: event }).catch(() => undefined);
    if (answer && (answer.status === 201 || answer.status === 202)) acked.push(event.id);
    return answer?.status;
  };
  assert.equal(await post(sampleEvent('log')), 201);

  broker.kill();
  const statuses: Array<number | undefined> = [];
  for (let i = 0; i < 20; i += 1) statuses.push(await post(sampleEvent((['log', 'audit', 'trace'] as const)[i % 3])));
  assert.deepEqual([...new Set(statuses)], [202], 'spooled while Kafka is away');
  // More in flight when the process dies: those not answered are not counted.
  const inFlight = Array.from({ length: 30 }, () => post(sampleEvent('error')));
  await sleep(30);
  first.child.kill('SIGKILL');
  await Promise.all(inFlight);
  assert.equal(await first.exited, 'SIGKILL');
  t.diagnostic(`acknowledged before the kill: ${acked.length}`);

  await broker.start();
  const second = runCli([], env(broker.brokers, topic, dir));
  await started(t, second);
  const opened = await second.waitForLog((l) => l.msg === 'spool opened');
  assert.ok(Number(opened.events) >= acked.length - 1, `the spool kept the events (${String(opened.events)})`);
  await second.waitForLog((l) => l.msg === 'spool drained: every spooled event is on Kafka', 90_000);

  const wanted = new Set(acked);
  const records = await consumeIds(topic, wanted, broker.brokers);
  const seen = new Set(records.map((r) => r.value.id as string));
  for (const id of acked) assert.ok(seen.has(id), `${id} was acknowledged and is on the topic`);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);
});

function traced(trace: string, n: number): EventMessage {
  const base = sampleEvent('log');
  return {
    ...base,
    content: { n },
    metadata: { ...base.metadata, trace: { ...base.metadata.trace, traceId: trace } },
  } as EventMessage;
}

test('a spool left by a killed run is replayed before the new events of its traces', async (t) => {
  const broker = await dedicatedBroker(t, {
    prefix: 'kafka-spool-cli-',
    extraProperties: 'broker.session.timeout.ms=2000;broker.heartbeat.interval.ms=500',
  });
  await broker.start();
  const topic = uniqueName('it-spool-replay-order');
  const dir = spoolDir(t, 'spool-cli-it-');
  const first = runCli([], env(broker.brokers, topic, dir));
  const firstUrl = await started(t, first);

  // One event type, so each trace's events share one partition: their offsets are their order on Kafka.
  const traces = [hex(16), hex(16), hex(16)];
  const next = new Map(traces.map((trace) => [trace, 0]));
  const take = (trace: string) => {
    const n = next.get(trace)!;
    next.set(trace, n + 1);
    return traced(trace, n);
  };
  const acked: EventMessage[] = [];
  let spooled = 0;
  broker.kill();
  // Until the sidecar knows Kafka is gone, its events are sent: a produce request still in flight when the
  // broker died may be stored while an earlier one is not, an order this test is not about. A probe of its own
  // trace waits that out, then every event goes to the spool at once, in the order it was sent.
  const probe = sampleEvent('audit');
  assert.equal((await call(`${firstUrl}/event`, { body: probe })).status, 202);
  acked.push(probe);
  spooled += 1;
  for (let i = 0; ; i += 1) {
    const health = (await call(`${firstUrl}/health`)).body as { services: Array<{ name: string; status: string }> };
    if (health.services.find((s) => s.name === 'kafka')?.status === 'DOWN') break;
    assert.ok(i < 120, 'the sidecar sees Kafka down within 30 s');
    await sleep(250);
  }
  for (let round = 0; round < 6; round += 1) {
    const batch = Array.from({ length: 300 }, (_v, i) => take(traces[i % traces.length]!));
    const answer = await call(`${firstUrl}/events`, { body: batch });
    assert.equal(answer.status, 200, answer.text);
    const results = (answer.body as { results: Array<{ status: string }> }).results;
    batch.forEach((event, i) => {
      if (results[i]!.status === 'spooled' || results[i]!.status === 'published') acked.push(event);
      if (results[i]!.status === 'spooled') spooled += 1;
    });
  }
  first.child.kill('SIGKILL');
  assert.equal(await first.exited, 'SIGKILL');
  t.diagnostic(`acknowledged by the killed run: ${acked.length}`);

  // Kafka is back before the next run: it replays at once, one event per produce request (each partition's
  // requests go one after another), so the old events are still spooled when the new ones arrive.
  await broker.start();
  const second = runCli([], env(broker.brokers, topic, dir, { PRODUCER_BATCH_MAX_EVENTS: '1' }));
  const url = await started(t, second);
  const opened = await second.waitForLog((l) => l.msg === 'spool opened');
  assert.equal(opened.events, spooled, 'the killed run left every spooled event');
  assert.ok(spooled > 1000, `most events were spooled (${spooled})`);
  const fresh: EventMessage[] = [];
  for (let i = 0; i < 4; i += 1)
    for (const trace of traces) {
      const event = take(trace);
      const answer = await call(`${url}/event`, { body: event });
      assert.equal(answer.status, 202, answer.text);
      assert.equal((answer.body as { status: string }).status, 'spooled', 'queued behind the old events of its trace');
      fresh.push(event);
    }
  await second.waitForLog((l) => l.msg === 'spool drained: every spooled event is on Kafka', 120_000);

  const all = [...acked, ...fresh];
  const records = await consumeIds(
    topic,
    all.map((e) => e.id),
    broker.brokers,
  );
  const seen = new Set(records.map((r) => r.value.id as string));
  for (const e of all) assert.ok(seen.has(e.id), `${e.id} was acknowledged and is on the topic`);
  // Per trace, first appearances in offset order: every event of the killed run before every new one.
  const old = new Set(acked.map((e) => e.id));
  for (const trace of traces) {
    const ids = new Set<string>();
    const order = records
      .filter((r) => r.key === trace)
      .sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1))
      .filter((r) => !ids.has(r.value.id as string) && ids.add(r.value.id as string))
      .map((r) => (old.has(r.value.id as string) ? 'old' : 'new'));
    assert.equal(order.length, next.get(trace));
    const firstNew = order.indexOf('new');
    assert.ok(firstNew > 0, `trace ${trace} has new events, after old ones`);
    assert.equal(order.lastIndexOf('old'), firstNew - 1, `trace ${trace}: a new event before an old one`);
  }
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);
});

test('a spool damaged at its tail: opened, unreadable records reported, readable ones delivered', async (t) => {
  const topic = uniqueName('it-spool-damaged');
  const dir = spoolDir(t, 'spool-cli-it-');
  const store = new SpoolStore({ dir, maxBytes: 1 << 26, lingerMs: 0 });
  const events = Array.from({ length: 120 }, () => sampleEvent('audit'));
  for (const [i, event] of events.entries()) await store.append(event, Date.now() - 1000 + i);
  store.close();
  const file = join(dir, SPOOL_FILE);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(2500, 0x5a), 0, 2500, statSync(file).size - 2500);
  closeSync(fd);

  const cli = runCli([], env(testBrokers(), topic, dir));
  const url = await started(t, cli);
  const report = await cli.waitForLog((l) => l.msg === 'spool records could not be read and were dropped');
  const unreadable = Number(report.unreadable);
  assert.ok(unreadable > 0, JSON.stringify(report));
  const opened = await cli.waitForLog((l) => l.msg === 'spool opened');
  const readable = Number(opened.events);
  t.diagnostic(`unreadable ${unreadable}, readable ${readable} of ${events.length}`);
  assert.ok(readable > 0 && readable < events.length);
  const metrics = (await call(`${url}/metrics`)).text;
  assert.equal(metricValue(metrics, 'event_sidecar_spool_unreadable_total'), unreadable);

  const records = await consume(topic, readable, { timeoutMs: 60_000 });
  assert.ok(records.length >= readable);
  cli.child.kill('SIGTERM');
  assert.equal(await cli.exited, 0);
});
