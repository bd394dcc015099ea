// A sidecar started while its Kafka is down, with the built CLI: with a spool it starts anyway, takes events
// over HTTP and gRPC (202 / `accepted`), says DEGRADED with the spool's depth, and once a broker comes up on
// the configured address it connects by itself and delivers every acknowledged event, each trace in order.
// Stopped (SIGTERM) before Kafka ever answered, it exits 0 in bounded time. Without a spool it still refuses
// to start.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage } from '@event-sidecar/contract';
import { uniqueName } from '../helpers/kafka.js';
import { freePort } from '../helpers/ports.js';
import { call, hex, sampleEvent } from '../helpers/sidecar.js';
import { consumeIds, spoolCliEnv, spoolDir } from '../helpers/spool.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';
import { eventLoggerClient, toWire } from '../helpers/grpc.js';
import { runCli, type CliProcess } from '../helpers/sidecar-process.js';

const env = (brokers: string[], topic: string, dir?: string) =>
  spoolCliEnv(brokers, topic, dir, { SHUTDOWN_TIMEOUT_MS: '5000' });

function traced(trace: string, n: number, type: 'log' | 'audit'): EventMessage {
  const base = sampleEvent(type);
  return {
    ...base,
    content: { n },
    metadata: { ...base.metadata, trace: { ...base.metadata.trace, traceId: trace } },
  } as EventMessage;
}

async function started(t: TestContext, cli: CliProcess) {
  t.after(() => cli.child.kill('SIGKILL'));
  const line = await cli.waitForLog((l) => l.msg === 'event-sidecar started', 90_000);
  const grpc = await cli.waitForLog((l) => l.msg === 'gRPC server listening');
  return { url: `http://127.0.0.1:${line.port as number}`, grpcPort: grpc.port as number, line };
}

test('started while Kafka is down: spools over HTTP and gRPC, then delivers every event in trace order', async (t) => {
  const broker = await dedicatedBroker(t, { prefix: 'kafka-spool-start-' });
  const topic = uniqueName('it-spool-start');
  const cli = runCli([], env(broker.brokers, topic, spoolDir(t)));
  const { url, grpcPort, line } = await started(t, cli);
  assert.equal(line.kafka, 'connecting');
  assert.ok(
    cli.logs.some((l) => l.msg === 'Kafka is unavailable: starting without it; events are spooled until it connects'),
  );

  // Each trace's events are sent one after another; two event types, so two partitions per trace.
  const traces = [hex(16), hex(16), hex(16)];
  const acked: EventMessage[] = [];
  for (let n = 0; n < 30; n += 1) {
    const event = traced(traces[n % 3]!, n, n % 2 === 0 ? 'log' : 'audit');
    const answer = await call(`${url}/event`, { body: event });
    assert.equal(answer.status, 202, answer.text);
    assert.equal((answer.body as { status: string }).status, 'spooled');
    acked.push(event);
  }
  const batch = [traced(traces[0]!, 30, 'log'), traced(traces[1]!, 31, 'audit')];
  const many = await call(`${url}/events`, { body: batch });
  assert.equal(many.status, 200, many.text);
  const results = (many.body as { results: Array<{ status: string }> }).results;
  assert.deepEqual(
    results.map((r) => r.status),
    ['spooled', 'spooled'],
  );
  acked.push(...batch);

  const grpcClient = eventLoggerClient(grpcPort);
  t.after(() => grpcClient.close());
  const viaGrpc = traced(traces[2]!, 32, 'log');
  const logged = await grpcClient.log(toWire(viaGrpc as unknown as Record<string, unknown>));
  assert.equal(logged.response?.status, 'accepted', logged.error?.message);
  acked.push(viaGrpc);

  const health = await call(`${url}/health`);
  assert.equal(health.status, 200, health.text);
  const body = health.body as { status: string; services: Array<{ name: string; status: string; depth?: number }> };
  assert.equal(body.status, 'DEGRADED');
  assert.equal(body.services.find((s) => s.name === 'kafka')?.status, 'DOWN');
  assert.deepEqual(
    body.services.find((s) => s.name === 'spool'),
    { name: 'spool', status: 'DEGRADED', depth: 33 },
  );

  // The background attempts are logged; then a broker comes up where the sidecar looks for one.
  await cli.waitForLog((l) => l.msg === 'Kafka still unavailable; events are spooled meanwhile', 30_000);
  await broker.start();
  await cli.waitForLog((l) => l.msg === 'connected to Kafka; delivering the spool', 90_000);
  await cli.waitForLog((l) => l.msg === 'spool drained: every spooled event is on Kafka', 90_000);

  // Connected and drained: the next event of a trace goes straight to Kafka, behind the replayed ones.
  const direct = traced(traces[0]!, 33, 'log');
  const after = await call(`${url}/event`, { body: direct });
  assert.equal(after.status, 201, after.text);
  acked.push(direct);

  const wanted = new Set(acked.map((e) => e.id));
  const records = await consumeIds(topic, wanted, broker.brokers);
  const seen = new Set(records.map((r) => r.value.id as string));
  for (const e of acked) assert.ok(seen.has(e.id), `${e.id} was acknowledged and is on the topic`);

  // Per trace and type (one partition): first appearances in offset order follow n.
  for (const trace of traces) {
    for (const type of ['log', 'audit']) {
      const ids = new Set<string>();
      const order = records
        .filter((r) => r.key === trace && (r.value.metadata as { event: { type: string } }).event.type === type)
        .sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1))
        .filter((r) => !ids.has(r.value.id as string) && ids.add(r.value.id as string))
        .map((r) => (r.value.content as { n: number }).n);
      assert.ok(order.length > 0);
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        `order of trace ${trace} (${type})`,
      );
    }
  }

  const ok = await call(`${url}/health`);
  assert.equal((ok.body as { status: string }).status, 'OK', ok.text);
  cli.child.kill('SIGTERM');
  assert.equal(await cli.exited, 0);
});

test('stopped before Kafka ever answered: SIGTERM exits 0 in bounded time', async (t) => {
  const port = await freePort();
  const cli = runCli([], env([`127.0.0.1:${port}`], uniqueName('it-spool-start-stop'), spoolDir(t)));
  const { url } = await started(t, cli);
  assert.equal((await call(`${url}/event`, { body: sampleEvent('log') })).status, 202);
  await cli.waitForLog((l) => l.msg === 'Kafka still unavailable; events are spooled meanwhile', 30_000);
  const at = Date.now();
  cli.child.kill('SIGTERM');
  assert.equal(await cli.exited, 0, cli.stderr());
  const took = Date.now() - at;
  t.diagnostic(`exited in ${took} ms`);
  assert.ok(took < 5000 + 2000, `bounded by SHUTDOWN_TIMEOUT_MS (${took} ms)`);
});

test('without a spool, a Kafka that is down still fails the start', async (t) => {
  const port = await freePort();
  const cli = runCli([], env([`127.0.0.1:${port}`], uniqueName('it-spool-start-none'), 'off'));
  t.after(() => cli.child.kill('SIGKILL'));
  assert.equal(await cli.exited, 1);
  const fatal = cli.logs.find((l) => l.msg === 'start failed');
  assert.ok(fatal, JSON.stringify(cli.logs));
  assert.match(JSON.stringify(fatal.err), /cannot connect to Kafka/);
});
