// Poison events on a real broker, with the built CLI. An event that can never be a record is refused at the door
// (413) whatever Kafka's state: the case of a broker SIGKILLed, an ordinary event spooled, then one of 1,020,358
// bytes (once answered 202 and stuck on the spool for good). An event that Kafka refuses for good only when the
// spool replays it (larger than its topic's max.message.bytes) becomes a dead letter: named in a warning, counted,
// /health back to OK, its trace's next event answered 201; operators list, export, requeue and drop it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import type { EventMessage } from '@event-sidecar/contract';
import { createTopicsWithLeaders, uniqueName } from '../helpers/kafka.js';
import { call, consume, hex, metricValue, sampleEvent } from '../helpers/sidecar.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';
import { runCli, type CliProcess } from '../helpers/sidecar-process.js';
import { spoolCliEnv, spoolDir } from '../helpers/spool.js';

const TOPIC_MAX_MESSAGE_BYTES = 65_536;

function inTrace(trace: string, content: Record<string, unknown> = { text: 'ordinary' }): EventMessage {
  const base = sampleEvent('audit');
  return { ...base, content, metadata: { ...base.metadata, trace: { ...base.metadata.trace, traceId: trace } } };
}

/** An event whose JSON is exactly `bytes` long. */
function eventOfSize(trace: string, bytes: number): EventMessage {
  const empty = inTrace(trace, { text: '' });
  return inTrace(trace, { text: 'x'.repeat(bytes - Buffer.byteLength(JSON.stringify(empty))) });
}

/**
 * A body far below MAX_BODY_BYTES whose record is far above the producer's limit: JSON numbers written short
 * (`1e20`, 4 bytes) are written out in the record (`100000000000000000000`, 21 bytes).
 */
function growingBody(trace: string): string {
  const text = JSON.stringify(inTrace(trace, { numbers: ['N'] }));
  return text.replace('["N"]', `[${Array.from({ length: 80_000 }, () => '1e20').join(',')}]`);
}

const post = (url: string, body: unknown) =>
  call(`${url}/event`, { body, headers: { 'content-type': 'application/json' } });

async function started(t: { after(fn: () => void): void }, cli: CliProcess): Promise<string> {
  t.after(() => cli.child.kill('SIGKILL'));
  const line = await cli.waitForLog((l) => l.msg === 'event-sidecar started', 90_000);
  return `http://127.0.0.1:${line.port as number}`;
}

/** `event-sidecar dead-letters ...` on the spool directory; its stdout lines and exit code. */
async function deadLetters(env: Record<string, string>, ...args: string[]) {
  const cli = runCli(['dead-letters', ...args], env);
  const code = await cli.exited;
  return { code, lines: cli.logs, stderr: cli.stderr() };
}

test('a poison event: refused at the door whatever the state of Kafka, or parked as a dead letter', async (t) => {
  const broker = await dedicatedBroker(t, {
    prefix: 'kafka-dead-letters-',
    extraProperties: 'broker.session.timeout.ms=2000;broker.heartbeat.interval.ms=500',
  });
  await broker.start();
  const topic = uniqueName('it-dead-letters');
  const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await createTopicsWithLeaders(admin, [
    {
      topic,
      numPartitions: 4,
      configEntries: [{ name: 'max.message.bytes', value: String(TOPIC_MAX_MESSAGE_BYTES) }],
    },
  ]);
  await admin.disconnect();
  const dir = spoolDir(t, 'spool-dead-it-');
  const env = spoolCliEnv(broker.brokers, topic, dir);
  const cli = runCli([], env);
  const url = await started(t, cli);

  const trace = hex(16);
  const a = inTrace(trace);
  assert.equal((await post(url, a)).status, 201);
  const poison = eventOfSize(trace, 1_020_358);
  // Under the original's 1 MiB body limit, over what a record of the producer may take.
  assert.equal(Buffer.byteLength(JSON.stringify(poison)), 1_020_358);
  assert.equal((await post(url, poison)).status, 413, 'with Kafka up');
  assert.equal((await post(url, growingBody(hex(16)))).status, 413, 'with Kafka up');

  broker.kill();
  const b = inTrace(trace);
  const spooled = await post(url, b);
  assert.equal(spooled.status, 202, spooled.text);
  const refused = await post(url, poison);
  assert.equal(refused.status, 413, `with Kafka away: ${refused.text}`);
  // A record too large for the producer, with Kafka away: asked of the producer (a trace of its own), and of a
  // trace whose events wait on the spool (checked before it is spooled behind them).
  for (const traceOf of [hex(16), trace]) {
    const grown = await post(url, growingBody(traceOf));
    assert.equal(grown.status, 413, `with Kafka away: ${grown.text}`);
    assert.match(grown.text, /larger than Kafka accepts/);
  }

  // Fits the producer, not the topic: nothing can tell before Kafka refuses it, on replay.
  const c = inTrace(trace, { text: 'c'.repeat(100_000) });
  const d = inTrace(trace);
  assert.equal((await post(url, c)).status, 202);
  assert.equal((await post(url, d)).status, 202);

  await broker.start();
  const warning = await cli.waitForLog(
    (l) => typeof l.msg === 'string' && l.msg.startsWith('spooled event moved to the dead letters'),
    120_000,
  );
  assert.equal(warning.level, 40);
  assert.equal(warning.eventId, c.id);
  assert.equal(warning.traceId, trace);
  assert.equal(warning.code, 'RECORD_TOO_LARGE');
  assert.match(String(warning.reason), /MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/);
  const drained = await cli.waitForLog((l) => String(l.msg).startsWith('spool drained'), 120_000);
  assert.equal(drained.deadLetters, 1);

  const health = await call(`${url}/health`);
  assert.equal(health.status, 200);
  const body = health.body as { status: string; services: Array<Record<string, unknown>> };
  assert.equal(body.status, 'OK', health.text);
  assert.deepEqual(
    body.services.find((s) => s.name === 'spool'),
    { name: 'spool', status: 'OK', depth: 0, deadLetters: 1 },
  );
  const e = inTrace(trace);
  const next = await post(url, e);
  assert.equal(next.status, 201, `the trace's next event goes straight to Kafka: ${next.text}`);

  // The rest of the trace is on Kafka in its order; the dead letter is not.
  const records = await consume(topic, 4, {
    brokers: broker.brokers,
    timeoutMs: 60_000,
    done: (rs) => rs.some((r) => r.value.id === e.id),
  });
  const order = records
    .filter((r) => r.key === trace)
    .sort((x, y) => (BigInt(x.offset) < BigInt(y.offset) ? -1 : 1))
    .map((r) => r.value.id);
  assert.deepEqual([...new Set(order)], [a.id, b.id, d.id, e.id]);
  const metrics = (await call(`${url}/metrics`)).text;
  assert.equal(metricValue(metrics, 'event_sidecar_spool_dead_letters_total', { code: 'RECORD_TOO_LARGE' }), 1);
  assert.equal(metricValue(metrics, 'event_sidecar_spool_dead_letters'), 1);

  // What an operator sees and does, while the sidecar runs.
  const listed = await deadLetters(env, 'list');
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(listed.lines.length, 1);
  assert.equal(listed.lines[0]!.eventId, c.id);
  assert.equal(listed.lines[0]!.traceId, trace);
  assert.equal(listed.lines[0]!.code, 'RECORD_TOO_LARGE');
  const exported = await deadLetters(env, 'export');
  assert.deepEqual(exported.lines[0]!.event, c);
  // Requeued, the running sidecar sends it again within seconds: Kafka refuses it again, and it is parked again.
  const requeued = await deadLetters(env, 'requeue', c.id);
  assert.equal(requeued.code, 0, requeued.stderr);
  await cli.waitForLog(
    (l) => l.eventId === c.id && l !== warning && String(l.msg).startsWith('spooled event moved to the dead letters'),
    30_000,
  );
  assert.equal((await deadLetters(env, 'drop')).code, 2, 'drop needs ids or --all');
  assert.equal((await deadLetters(env, 'drop', 'no-such-id')).code, 1);
  const dropped = await deadLetters(env, 'drop', '--all');
  assert.equal(dropped.code, 0, dropped.stderr);
  assert.match(String(dropped.lines[0]?.text), /^dropped 1 dead letter/);
  assert.deepEqual((await deadLetters(env, 'list')).lines, []);

  cli.child.kill('SIGTERM');
  assert.equal(await cli.exited, 0, cli.stderr());
});
