// The gRPC layer on its own: statuses, trailers, auth, ack modes, logs, metrics, health and
// shutdown, with the sidecar's real ingress in front of a producer stand-in whose answers the test
// controls. The same paths against a real broker are in test/integration/grpc-*.test.ts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { status } from '@grpc/grpc-js';
import { EventLoggingServiceClient, EventMessage as SdkEventMessage } from '@mojaloop/event-sdk';
import type { EventMessage } from '@event-sidecar/contract';
import { ProducerError, type ProducerHealth, type ProducerState, type PublishResult } from '@event-sidecar/producer';
import { Registry } from 'prom-client';
import { eventLoggerClient, healthClient, nextMessage, toWire } from '../../../test/helpers/grpc.js';
import { startGrpcServer, type GrpcServerOptions, type RunningGrpcServer } from '../src/grpc/server.js';
import { createHealthPolicy } from '../src/health-policy.js';
import { createIngress } from '../src/ingress.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';

const TOKEN = 'a-token-of-16-chars';
const hex = (n: number) => randomUUID().replace(/-/g, '').repeat(2).slice(0, n);

function event(type: 'log' | 'audit' | 'trace' | 'error' = 'log'): Record<string, unknown> {
  const action = { log: 'info', audit: 'default', trace: 'span', error: 'internal' }[type];
  return {
    id: randomUUID(),
    type: 'application/json',
    content: { hello: 'world' },
    metadata: {
      event: { id: randomUUID(), type, action, createdAt: new Date().toISOString(), state: { status: 'success' } },
      trace: { service: 'unit', traceId: hex(32), spanId: hex(16) },
    },
  };
}

interface Deferred {
  event: EventMessage;
  resolve: (result: PublishResult) => void;
  reject: (error: unknown) => void;
}

/** Stands in for EventProducer: every publish waits until the test settles it (or `answer` decides). */
class ProducerStandIn {
  state: ProducerState = 'connected';
  readonly topic = 'topic-event';
  readonly pending: Deferred[] = [];
  answer: ((event: EventMessage) => Promise<PublishResult>) | undefined;
  private waiters: Array<() => void> = [];

  publish(event: EventMessage): Promise<PublishResult> {
    if (this.answer) return this.answer(event);
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      for (const w of this.waiters.splice(0)) w();
    });
  }
  publishMany(): never {
    throw new Error('not used by gRPC');
  }
  health(): ProducerHealth {
    return { state: this.state, queueDepth: this.pending.length, since: new Date() };
  }
  /** The next publish taken. */
  async taken(): Promise<Deferred> {
    while (this.pending.length === 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.pending.shift()!;
  }
}

interface Harness {
  server: RunningGrpcServer;
  producer: ProducerStandIn;
  registry: Registry;
  logs: Array<Record<string, unknown>>;
  client: ReturnType<typeof eventLoggerClient>;
}

async function start(t: TestContext, options: Partial<GrpcServerOptions> = {}): Promise<Harness> {
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger('debug', stream);
  const registry = new Registry();
  const metrics = createMetrics(registry, { processMetrics: false });
  const producer = new ProducerStandIn();
  const ingress = createIngress({
    producer: producer as never,
    validate: (await import('@event-sidecar/contract')).validateEvent,
    metrics,
  });
  const server = await startGrpcServer({
    options: { host: '127.0.0.1', port: 0, healthPollMs: 50, ...options },
    ingress,
    health: createHealthPolicy({ producer }),
    metrics,
    logger,
  });
  const client = eventLoggerClient(server.port);
  t.after(async () => {
    client.close();
    for (const d of producer.pending.splice(0)) d.reject(new Error('test over'));
    await server.close(1000);
  });
  return { server, producer, registry, logs, client };
}

const callLines = (logs: Array<Record<string, unknown>>) => logs.filter((l) => l.msg === 'grpc call');

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (found?.values as Array<{ labels: Record<string, unknown>; value: number }> | undefined)?.find((v) =>
    Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return value?.value ?? 0;
}

test('confirmed: accepted only after the producer confirmed, with one info log line', async (t) => {
  const { producer, client, logs, registry } = await start(t);
  const sent = event('audit');
  let answered = false;
  const answer = client.log(toWire(sent)).then((a) => ((answered = true), a));
  const taken = await producer.taken();
  assert.deepEqual(taken.event, sent);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(answered, false, 'no answer before Kafka confirmed');
  taken.resolve({ topic: 'topic-event', partition: 3, offset: '7' });
  const { response, error } = await answer;
  assert.equal(error, undefined);
  assert.deepEqual(response, { status: 'accepted' });

  const [line] = callLines(logs);
  assert.equal(line!.level, 30);
  assert.equal(line!.component, 'grpc');
  assert.equal(line!.method, 'mojaloop.events.EventLoggerService/Log');
  assert.equal(line!.code, 'OK');
  assert.equal(line!.eventId, sent.id);
  assert.equal(line!.type, 'audit');
  assert.equal(typeof line!.durationMs, 'number');
  assert.equal(await metric(registry, 'event_sidecar_events_published_total', { type: 'audit', transport: 'grpc' }), 1);
  assert.equal(
    await metric(registry, 'event_sidecar_grpc_server_handled_total', {
      method: 'mojaloop.events.EventLoggerService/Log',
      code: 'OK',
    }),
    1,
  );
});

test('an invalid event is INVALID_ARGUMENT naming the field, logged at warn, never published', async (t) => {
  const { producer, client, logs, registry } = await start(t);
  const badTrace = event();
  (badTrace.metadata as { trace: { traceId: string } }).trace.traceId = 'not-hex';
  const { id: _id, ...noId } = event();
  const cases: Array<[Record<string, unknown>, RegExp, string]> = [
    [toWire(badTrace), /\/metadata\/trace\/traceId must be 32 lowercase hex characters/, '/metadata/trace/traceId'],
    [toWire(noId), /\/id is required/, '/id'],
    [
      { ...toWire(event()), content: { type_url: 'application/json', value: Buffer.from('{oops') } },
      /\/content is not valid JSON/,
      '/content',
    ],
  ];
  for (const [wire, message, field] of cases) {
    const { error, trailers } = await client.log(wire);
    assert.equal(error?.code, status.INVALID_ARGUMENT, String(error));
    assert.match(error!.details, message);
    assert.equal(trailers!['retry-after'], undefined);
    const line = callLines(logs).at(-1)!;
    assert.equal(line.level, 40);
    assert.equal(line.code, 'INVALID_ARGUMENT');
    assert.equal(line.field, field);
  }
  assert.equal(producer.pending.length, 0);
  assert.equal(await metric(registry, 'event_sidecar_events_rejected_total', { type: 'log', transport: 'grpc' }), 3);
});

test('producer failures map to gRPC statuses with retry hints in the trailers', async (t) => {
  const { producer, client, logs } = await start(t);
  const cases: Array<[ProducerError, number, string | undefined, number]> = [
    [new ProducerError('OVERLOADED', 'full', { retryAfterMs: 1500 }), status.RESOURCE_EXHAUSTED, '2', 40],
    [new ProducerError('KAFKA_UNAVAILABLE', 'down', { retryAfterMs: 250 }), status.UNAVAILABLE, '1', 50],
    [new ProducerError('PUBLISH_TIMEOUT', 'slow'), status.UNAVAILABLE, '5', 50],
    [new ProducerError('CLOSED', 'closing'), status.UNAVAILABLE, '1', 50],
    [new ProducerError('RECORD_TOO_LARGE', 'big'), status.RESOURCE_EXHAUSTED, undefined, 40],
    [new ProducerError('UNKNOWN', 'bug'), status.INTERNAL, undefined, 50],
  ];
  for (const [failure, code, retryAfter, level] of cases) {
    producer.answer = () => Promise.reject(failure);
    const { error, trailers } = await client.log(toWire(event()));
    assert.equal(error?.code, code, `${failure.code}: ${String(error)}`);
    assert.equal(trailers!['retry-after'], retryAfter, failure.code);
    assert.equal(trailers!['error-code'], failure.code);
    assert.doesNotMatch(error!.details, new RegExp(failure.message), 'internal messages stay in the log');
    assert.equal(callLines(logs).at(-1)!.level, level, failure.code);
  }
});

test('AUTH_TOKEN: Log needs the bearer metadata, health does not', async (t) => {
  const { producer, client, server } = await start(t, { authToken: TOKEN });
  producer.answer = async () => ({ topic: 'topic-event', partition: 0, offset: '0' });
  const refused: Record<string, string>[] = [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: TOKEN }];
  for (const metadata of refused) {
    const { error } = await client.log(toWire(event()), metadata);
    assert.equal(error?.code, status.UNAUTHENTICATED, JSON.stringify(metadata));
  }
  const ok = await client.log(toWire(event()), { authorization: `Bearer ${TOKEN}` });
  assert.deepEqual(ok.response, { status: 'accepted' });
  const health = healthClient(server.port);
  t.after(() => health.close());
  assert.equal((await health.check()).status, 'SERVING');
});

test('received: accepted before Kafka; a later failure is logged and counted, not unhandled', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.after(() => process.off('unhandledRejection', onUnhandled));

  const { producer, client, logs, registry } = await start(t, { ackMode: 'received' });
  const sent = event('trace');
  const { response } = await client.log(toWire(sent));
  assert.deepEqual(response, { status: 'accepted' });
  const taken = await producer.taken();
  assert.equal(taken.event.id, sent.id);
  taken.reject(new ProducerError('KAFKA_UNAVAILABLE', 'broker gone'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const failure = logs.find((l) => l.msg === 'event answered accepted on receipt was not published');
  assert.ok(failure, 'failure logged');
  assert.equal(failure.level, 50);
  assert.equal(failure.eventId, sent.id);
  assert.equal(
    await metric(registry, 'event_sidecar_events_failed_total', {
      type: 'trace',
      transport: 'grpc',
      code: 'KAFKA_UNAVAILABLE',
    }),
    1,
  );

  // What the producer refuses at once costs no wait: still answered.
  producer.answer = () => Promise.reject(new ProducerError('OVERLOADED', 'full'));
  const refused = await client.log(toWire(event()));
  assert.equal(refused.error?.code, status.RESOURCE_EXHAUSTED);
  // Invalid events too.
  const invalid = await client.log(toWire({ ...event(), id: '' }));
  assert.equal(invalid.error?.code, status.INVALID_ARGUMENT);
  assert.deepEqual(unhandled, []);
});

test('health: Check and Watch follow the producer; unknown services; shutdown ends Watch', async (t) => {
  const { server, producer } = await start(t);
  const health = healthClient(server.port);
  t.after(() => health.close());
  assert.equal((await health.check('')).status, 'SERVING');
  assert.equal((await health.check('mojaloop.events.EventLoggerService')).status, 'SERVING');
  assert.equal((await health.check('nope')).error?.code, status.NOT_FOUND);

  const watch = health.watch('mojaloop.events.EventLoggerService');
  await nextMessage(watch, (m) => m.status === 'SERVING');
  producer.state = 'down';
  await nextMessage(watch, (m) => m.status === 'NOT_SERVING');
  assert.equal((await health.check()).status, 'NOT_SERVING');
  producer.state = 'degraded';
  await nextMessage(watch, (m) => m.status === 'SERVING');

  const unknown = health.watch('nope');
  await nextMessage(unknown, (m) => m.status === 'SERVICE_UNKNOWN');
  unknown.cancel();
  unknown.on('error', () => undefined);

  const ended = new Promise<void>((resolve) => watch.on('end', resolve));
  const last = nextMessage(watch, (m) => m.status === 'NOT_SERVING');
  await server.close(2000);
  await last;
  await ended;
});

test('close: calls in flight finish, new calls are refused, stragglers are cut at the bound', async (t) => {
  const { server, producer, client } = await start(t);
  const inFlight = client.log(toWire(event()));
  const taken = await producer.taken();
  const closing = server.close(5000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const late = await client.log(toWire(event()), {}, 2000);
  assert.ok(late.error, 'a call after close is refused');
  taken.resolve({ topic: 'topic-event', partition: 0, offset: '1' });
  assert.deepEqual((await inFlight).response, { status: 'accepted' });
  await closing;

  const second = await start(t);
  const stuck = second.client.log(toWire(event()));
  await second.producer.taken();
  const started = Date.now();
  await second.server.close(300);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 250 && elapsed < 3000, `forced after the bound (${elapsed} ms)`);
  assert.ok((await stuck).error, 'the straggler was cancelled');
});

test('@mojaloop/event-sdk EventLoggingServiceClient: JSON and text events arrive as the SDK built them', async (t) => {
  const { server, producer } = await start(t);
  producer.answer = async () => ({ topic: 'topic-event', partition: 0, offset: '0' });
  const seen: EventMessage[] = [];
  const answer = producer.answer;
  producer.answer = (e) => (seen.push(e), answer(e));
  const client = new EventLoggingServiceClient('127.0.0.1', server.port);
  t.after(() => (client as unknown as { grpcClient: { close(): void } }).grpcClient.close());

  const traceId = hex(32);
  const build = (type: 'application/json' | 'text/plain', content: unknown) =>
    new SdkEventMessage({
      id: randomUUID(),
      type,
      content,
      metadata: {
        event: {
          id: randomUUID(),
          type: 'log',
          action: 'info',
          createdAt: new Date().toISOString(),
          state: { status: 'success' },
        },
        trace: { service: 'sdk-unit', traceId, spanId: hex(16), tags: { transactionId: 't-1' } },
      },
    } as never);
  const json = build('application/json', { nested: { list: [1, 2] }, text: 'é' });
  const text = build('text/plain', 'a plain line');
  assert.deepEqual(await client.log(json), { status: 'accepted' });
  assert.deepEqual(await client.log(text), { status: 'accepted' });
  const asJson = (e: unknown) => JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
  assert.deepEqual(seen[0], asJson(json));
  assert.deepEqual(seen[1], asJson(text));

  const bad = build('application/json', { x: 1 });
  (bad.metadata as { trace: { spanId: string } }).trace.spanId = 'short';
  await assert.rejects(client.log(bad), (err: { code?: number; details?: string }) => {
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.match(err.details!, /\/metadata\/trace\/spanId/);
    return true;
  });
});

test('a message larger than maxMessageBytes is RESOURCE_EXHAUSTED before it reaches the handler', async (t) => {
  const { client, producer } = await start(t, { maxMessageBytes: 2048 });
  const big = { ...event(), content: { blob: 'x'.repeat(4096) } };
  const { error } = await client.log(toWire(big));
  assert.equal(error?.code, status.RESOURCE_EXHAUSTED);
  assert.equal(producer.pending.length, 0);
});
