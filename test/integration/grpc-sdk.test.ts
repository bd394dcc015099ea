// Drop-in check: a service using @mojaloop/event-sdk, configured only through the SDK's own
// environment variables (EVENT_SDK_SIDECAR_DISABLED=false, EVENT_SDK_SERVER_HOST/PORT), sends its
// spans, audits and logs to our sidecar over gRPC; every event is read back from Kafka with the key,
// value shape and partition the original consumers expect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { consume, startTestSidecar, type ConsumedRecord } from '../helpers/sidecar.js';
import { freePort } from '../helpers/ports.js';
import { documentedEventTypePartition } from '../helpers/partition-oracle.js';

// The SDK reads its configuration (rc 'EVENT_SDK') once, when it is first loaded: set it first.
const port = await freePort();
process.env.EVENT_SDK_SIDECAR_DISABLED = 'false';
process.env.EVENT_SDK_SERVER_HOST = '127.0.0.1';
process.env.EVENT_SDK_SERVER_PORT = String(port);
// Keep the SDK from echoing every event to the console.
process.env.EVENT_SDK_LOG_FILTER = 'none:none';
const sdk = await import('@mojaloop/event-sdk');
const { Tracer, AuditEventAction, EventLoggingServiceClient, EventMessage, EventStateMetadata } = sdk;

const TOPIC_KEYS = ['content', 'from', 'id', 'metadata', 'pp', 'to', 'type'];

/** Every object's keys in sorted order, at every depth: what safe-stable-stringify wrote. */
function assertSortedDeep(value: unknown, path = ''): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) return value.forEach((item, i) => assertSortedDeep(item, `${path}/${i}`));
  const keys = Object.keys(value);
  assert.deepEqual(keys, [...keys].sort(), `keys of ${path || '/'} are sorted`);
  for (const key of keys) assertSortedDeep((value as Record<string, unknown>)[key], `${path}/${key}`);
}

test('event-sdk Tracer/Span and EventLoggingServiceClient against the sidecar: every event on Kafka', async (t) => {
  const partitions = 12;
  const { sidecar, topic } = await startTestSidecar(t, {
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(port),
    KAFKA_CREATE_TOPIC_PARTITIONS: String(partitions),
  });
  assert.equal(sidecar.grpcPort, port);
  const startedAt = Date.now();

  // The Span API as services use it: no recorders given, so the SDK's default sidecar client.
  const transactionId = randomUUID();
  const parent = Tracer.createSpan('grpc-it-parent', { transactionId, transactionType: 'transfer' });
  const child = parent.getChild('grpc-it-child');
  child.setTags({ transactionAction: 'prepare' });
  for (const action of Object.values(AuditEventAction)) await child.audit({ step: `audit-${action}` }, action);
  await child.info('an info line');
  await child.debug({ detail: 'debugging' });
  await child.verbose({ detail: 'verbose' });
  await child.performance({ ms: 12 });
  await child.warning({ warning: 'careful' });
  await child.error(new Error('boom'), EventStateMetadata.failed(3100, 'validation failed'));
  await child.finish();
  await parent.finish('parent done');

  // The client directly, with JSON and plain-text content.
  const client = new EventLoggingServiceClient('127.0.0.1', port);
  t.after(() => (client as unknown as { grpcClient: { close(): void } }).grpcClient.close());
  const direct = (type: 'application/json' | 'text/plain', content: unknown) =>
    new EventMessage({
      id: randomUUID(),
      from: 'payerfsp',
      to: 'payeefsp',
      pp: 'session-1',
      type,
      content,
      metadata: {
        event: {
          id: randomUUID(),
          type: 'audit',
          action: 'egress',
          createdAt: new Date().toISOString(),
          state: { status: 'failed', code: 2001, description: 'upstream failed' },
          responseTo: randomUUID(),
        },
        trace: {
          service: 'grpc-it-direct',
          traceId: parent.getContext().traceId,
          spanId: '00f067aa0ba902b7',
          parentSpanId: parent.getContext().spanId,
          sampled: 1,
          flags: 1,
          startTimestamp: new Date().toISOString(),
          tags: { transactionId },
        },
      },
    } as never);
  const json = direct('application/json', { amount: { currency: 'USD', value: '10.5' }, list: [3, 1, 2] });
  const text = direct('text/plain', 'a plain text line, with ünïcode');
  assert.deepEqual(await client.log(json), { status: 'accepted' });
  assert.deepEqual(await client.log(text), { status: 'accepted' });

  const audits = Object.values(AuditEventAction).length;
  const expected = audits + 6 + 2 + 2;
  const records = await consume(topic, expected);
  assert.equal(records.length, expected, 'nothing more, nothing less');

  const traceId = parent.getContext().traceId;
  for (const record of records) {
    const value = record.value as {
      id: string;
      metadata: {
        event: { type: 'log' | 'audit' | 'trace' };
        trace: { traceId: string };
        'protocol.createdAt': number;
      };
    };
    assert.equal(record.key, traceId, 'key = traceId');
    assert.equal(value.metadata.trace.traceId, traceId);
    assert.ok(
      Object.keys(value).every((k) => TOPIC_KEYS.includes(k)),
      Object.keys(value).join(),
    );
    assertSortedDeep(value);
    const createdAt = value.metadata['protocol.createdAt'];
    assert.ok(createdAt >= startedAt - 1000 && createdAt <= Date.now(), `protocol.createdAt ${createdAt}`);
    assert.equal(record.partition, documentedEventTypePartition(value.metadata.event.type, traceId, partitions));
  }

  type Value = {
    content: Record<string, unknown>;
    metadata: {
      event: { type: string; action: string; state: { status: string; code?: number } };
      trace: { service: string; spanId: string; parentSpanId?: string; tags?: Record<string, string> };
    };
  };
  const values = records.map((r) => r.value as unknown as Value);
  const byType = (type: string) => values.filter((v) => v.metadata.event.type === type);
  assert.deepEqual(
    byType('audit')
      .map((v) => v.metadata.event.action)
      .sort(),
    [...Object.values(AuditEventAction), 'egress', 'egress'].sort(),
  );
  assert.deepEqual(
    byType('log')
      .map((v) => v.metadata.event.action)
      .sort(),
    ['debug', 'error', 'info', 'perf', 'verbose', 'warn'],
  );
  const info = byType('log').find((v) => v.metadata.event.action === 'info')!;
  assert.deepEqual(info.content, { payload: 'an info line' });
  const error = byType('log').find((v) => v.metadata.event.action === 'error')!;
  assert.equal((error.content.error as { message: string }).message, 'boom');
  assert.deepEqual(error.metadata.event.state, { status: 'failed', code: 3100, description: 'validation failed' });

  // Spans: the child's parent is the parent span; tags travel with the child.
  const spans = byType('trace');
  const parentSpan = spans.find((v) => v.metadata.trace.service === 'grpc-it-parent')!;
  const childSpan = spans.find((v) => v.metadata.trace.service === 'grpc-it-child')!;
  assert.ok(parentSpan && childSpan);
  assert.equal(childSpan.metadata.trace.parentSpanId, parentSpan.metadata.trace.spanId);
  assert.equal(childSpan.metadata.trace.tags?.transactionAction, 'prepare');
  assert.equal(childSpan.metadata.trace.tags?.transactionId, transactionId);
  assert.deepEqual(parentSpan.content, { payload: 'parent done' });
  for (const audit of byType('audit').filter((v) => v.metadata.trace.service === 'grpc-it-child'))
    assert.equal(audit.metadata.trace.tags?.transactionAction, 'prepare');

  // The events the client built directly arrive exactly as built (tracestates never travel on gRPC).
  const stripped = (record: ConsumedRecord) => {
    const { 'protocol.createdAt': _at, ...metadata } = record.value.metadata as Record<string, unknown>;
    return { ...record.value, metadata };
  };
  const sent = (message: unknown) => {
    const copy = JSON.parse(JSON.stringify(message)) as { metadata: { trace: Record<string, unknown> } };
    delete copy.metadata.trace.tracestates;
    return copy;
  };
  for (const message of [json, text]) {
    const record = records.find((r) => r.value.id === (message as { id: string }).id)!;
    assert.ok(record, 'direct event consumed');
    assert.deepEqual(stripped(record), sent(message));
    assert.equal(record.headers['content-type'], (message as { type: string }).type);
  }
});
