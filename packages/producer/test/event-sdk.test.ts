// The recorder's contract with @mojaloop/event-sdk: driven by the SDK's real Span API, in front of a publisher
// whose outcome the test decides (the broker-backed runs are in test/integration/event-sdk-recorder.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage } from '@event-sidecar/contract';
import { ProducerError, type PublishResult } from '../src/index.js';
import { EventSdkRecorder, type RecorderResponse } from '../src/event-sdk.js';

// The SDK reads its configuration once, when loaded: keep its console echo of events quiet.
process.env.EVENT_SDK_LOG_FILTER = 'none:none';
const sdk = await import('@mojaloop/event-sdk');
const { Tracer, EventMessage: SdkEventMessage } = sdk;

/** A publisher that holds each event until the test settles it. */
function heldPublisher() {
  const pending: Array<{
    event: EventMessage;
    resolve: (r: PublishResult) => void;
    reject: (e: ProducerError) => void;
  }> = [];
  return {
    pending,
    publish(event: EventMessage): Promise<PublishResult> {
      return new Promise((resolve, reject) => pending.push({ event, resolve, reject }));
    },
  };
}

type SdkMessage = InstanceType<typeof SdkEventMessage>;
/** The event a Span would record: Span#createEventMessage, which the SDK's types keep private. */
const messageOf = (span: object, content: object, type: string, action: string): SdkMessage =>
  (span as { createEventMessage(m: object, t: string, a: string): SdkMessage }).createEventMessage(
    content,
    type,
    action,
  );

const ack = (type: string): PublishResult => ({ topic: `topic-event-${type}`, partition: 0, offset: '0' });

const quiet = { onError: () => undefined };

test('record() resolves { status: accepted } only once the producer confirmed the event', async () => {
  const publisher = heldPublisher();
  const recorder = new EventSdkRecorder(publisher, quiet);
  const span = Tracer.createSpan('recorder-unit', {}, { defaultRecorder: recorder });
  let settled = false;
  const audit = span.audit({ step: 'one' }).then((r) => {
    settled = true;
    return r;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(publisher.pending.length, 1);
  assert.equal(settled, false, 'not before Kafka acknowledged it');
  const { event } = publisher.pending[0]!;
  assert.equal(event.metadata.event.type, 'audit');
  assert.equal(event.metadata.trace.traceId, span.getContext().traceId);
  publisher.pending[0]!.resolve(ack('audit'));
  assert.deepEqual(await audit, { status: 'accepted' });
});

test('record() rejects with the ProducerError, and the Span swallows it as it does its own recorders', async () => {
  const publisher = heldPublisher();
  const recorder = new EventSdkRecorder(publisher, quiet);
  const span = Tracer.createSpan('recorder-unit', {}, { defaultRecorder: recorder });
  const error = new ProducerError('KAFKA_UNAVAILABLE', 'brokers down', { retryAfterMs: 500 });

  const direct = recorder.record(messageOf(span, { a: 1 }, 'log', 'info'));
  await new Promise((r) => setImmediate(r));
  publisher.pending[0]!.reject(error);
  await assert.rejects(direct, (e) => e === error);

  const info = span.info('through the span');
  await new Promise((r) => setImmediate(r));
  publisher.pending[1]!.reject(error);
  // Span.recordMessage catches and logs: the service's call never throws because of its telemetry.
  assert.equal(await info, undefined);
});

test('record() refuses an event without content, as the SDK client does, without publishing it', async () => {
  const publisher = heldPublisher();
  const recorder = new EventSdkRecorder(publisher, quiet);
  const event = new SdkEventMessage({ type: 'application/json' } as never);
  await assert.rejects(recorder.record(event), { code: 'INVALID_EVENT', message: /content is mandatory/ });
  assert.equal(publisher.pending.length, 0);
});

test('record() checks the SDK event against the contract, refusing one that breaks it without publishing it', async () => {
  const publisher = heldPublisher();
  const recorder = new EventSdkRecorder(publisher);
  const span = Tracer.createSpan('recorder-unit');
  const event = messageOf(span, { a: 1 }, 'log', 'info');
  // The SDK copies a B3 header as it came: a trace id that is not 32 hex characters cannot be the Kafka key.
  event.metadata = { ...event.metadata!, trace: { ...event.metadata!.trace!, traceId: 'not-a-trace-id' } };
  await assert.rejects(recorder.record(event, false), {
    code: 'INVALID_EVENT',
    message: 'Invalid eventMessage: /metadata/trace/traceId must be 32 lowercase hex characters',
  });
  assert.equal(publisher.pending.length, 0);

  // What passes is the contract's EventMessage, timestamps as ISO strings even when the service gave a Date.
  const dated = messageOf(span, { b: 2 }, 'audit', 'start');
  const createdAt = new Date('2026-01-02T03:04:05.678Z');
  dated.metadata = { ...dated.metadata!, event: { ...dated.metadata!.event, createdAt } };
  const recorded = recorder.record(dated, false);
  await new Promise((r) => setImmediate(r));
  assert.equal(publisher.pending.length, 1);
  assert.equal(publisher.pending[0]!.event.metadata.event.createdAt, '2026-01-02T03:04:05.678Z');
  publisher.pending[0]!.resolve(ack('audit'));
  assert.deepEqual(await recorded, { status: 'accepted' });
});

test('record() tells its callback and onLog (the doLog flag) what happened', async () => {
  const publisher = heldPublisher();
  const logged: string[] = [];
  const recorder = new EventSdkRecorder(publisher, { ...quiet, onLog: (e) => logged.push(e.id) });
  const event = messageOf(Tracer.createSpan('recorder-unit'), { a: 1 }, 'trace', 'span');
  const results: RecorderResponse[] = [];

  const silent = recorder.record(event, false, (r) => results.push(r));
  await new Promise((r) => setImmediate(r));
  publisher.pending[0]!.resolve(ack('trace'));
  await silent;
  assert.deepEqual(logged, []);

  const loud = recorder.record(event, true, (r) => results.push(r));
  await new Promise((r) => setImmediate(r));
  publisher.pending[1]!.reject(new ProducerError('PUBLISH_TIMEOUT', 'late'));
  await assert.rejects(loud, { code: 'PUBLISH_TIMEOUT' });
  assert.deepEqual(logged, [event.id]);
  assert.deepEqual(
    results.map((r) => [r.status, r.error?.code]),
    [
      ['accepted', undefined],
      ['error', 'PUBLISH_TIMEOUT'],
    ],
  );
});

test('the recorder needs a producer, and refuses one that would drop events while Kafka is away', () => {
  assert.throws(() => new EventSdkRecorder(undefined as never), { code: 'INVALID_OPTIONS' });
  const refusing = { ...heldPublisher(), whenUnavailable: 'refuse' as const };
  assert.throws(() => new EventSdkRecorder(refusing), { code: 'INVALID_OPTIONS', message: /whenUnavailable: 'wait'/ });
  assert.ok(new EventSdkRecorder({ ...heldPublisher(), whenUnavailable: 'wait' as const }));
});

test('a call nobody awaits (the SDK ASYNC_OVERRIDE_EVENTS) that fails leaks no unhandled rejection; onError sees it', async () => {
  const publisher = heldPublisher();
  const failures: Array<[string, string]> = [];
  const recorder = new EventSdkRecorder(publisher, { onError: (e, event) => failures.push([e.code, event.id]) });
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const event = messageOf(Tracer.createSpan('recorder-unit'), { a: 1 }, 'log', 'info');
    // What Span.recordMessage does for such a type: calls record() and drops the promise.
    void recorder.record(event, false);
    await new Promise((r) => setImmediate(r));
    publisher.pending[0]!.reject(new ProducerError('PUBLISH_TIMEOUT', 'waited publishTimeoutMs'));
    // Unhandled rejections are reported after the microtask queue drains: give it a few turns.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
    assert.deepEqual(failures, [['PUBLISH_TIMEOUT', event.id]]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
