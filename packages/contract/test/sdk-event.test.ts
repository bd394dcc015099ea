// The bridge from @mojaloop/event-sdk's events to the contract's: the types (checked by `npm run typecheck:tests`,
// both ways), and toEventMessage on events the SDK's own Span builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  EventMessage as SdkEventMessage,
  TypeEventMessage,
  TypeEventMetadata,
  TypeSpanContext,
} from '@mojaloop/event-sdk';
import type { EventMessage, EventMessageLike, EventMetadataLike, EventTraceMetadataLike } from '../src/index.js';
import { toEventMessage } from '../src/index.js';

process.env.EVENT_SDK_LOG_FILTER = 'none:none';
const sdk = await import('@mojaloop/event-sdk');

// ---- types, SDK to contract: every event the SDK types is an EventMessageLike, and toEventMessage makes it ours ----
type Assignable<From, To> = [From] extends [To] ? true : false;
const sdkClass: Assignable<SdkEventMessage, EventMessageLike> = true;
const sdkPlain: Assignable<TypeEventMessage, EventMessageLike> = true;
const sdkMetadata: Assignable<TypeEventMetadata, EventMetadataLike> = true;
const sdkTrace: Assignable<TypeSpanContext, EventTraceMetadataLike> = true;
const converted: Assignable<Extract<ReturnType<typeof toEventMessage>, { ok: true }>['event'], EventMessage> = true;
// ...and not without it: the SDK's metadata is optional and its type an enum, which the contract does not take.
const sdkIsNotOurs: Assignable<SdkEventMessage, EventMessage> = false;

// ---- types, contract to SDK side: the contract's events are EventMessageLike too, so one signature takes both ----
const oursIsLike: Assignable<EventMessage, EventMessageLike> = true;
// A shape that is neither is refused at compile time.
const notAnEvent = {
  type: 'application/json',
  content: {},
  metadata: { event: { action: 5, state: { status: 'success' } } },
};
// @ts-expect-error an action is a string
toEventMessage(notAnEvent);

/** The events a Span records, caught by a recorder that keeps them. */
async function spanEvents(): Promise<SdkEventMessage[]> {
  const events: SdkEventMessage[] = [];
  const recorder = {
    recorder: async () => undefined,
    preProcess: (e: SdkEventMessage) => e,
    postProcess: (r: unknown) => r,
    async record(e: SdkEventMessage) {
      events.push(e);
      return { status: 'accepted' };
    },
  };
  const span = sdk.Tracer.createSpan('bridge', {}, { defaultRecorder: recorder as never });
  await span.audit({ step: 1 });
  await span.info('text content');
  const child = span.getChild('child');
  await child.audit({ step: 2 }, sdk.AuditEventAction.start);
  await child.finish();
  await span.finish();
  return events;
}

test('every event a Span records converts to the contract, unchanged (the same object)', async () => {
  assert.ok(sdkClass && sdkPlain && sdkMetadata && sdkTrace && converted && oursIsLike && !sdkIsNotOurs);
  const events = await spanEvents();
  assert.equal(events.length, 5);
  for (const event of events) {
    const result = toEventMessage(event);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    assert.equal(result.event, event);
    const typed: EventMessage = result.event;
    assert.equal(typed.metadata.trace.traceId, event.metadata?.trace?.traceId);
  }
});

test('Date timestamps, which the SDK types allow, become ISO strings in a copy; the input is left as it was', () => {
  const createdAt = new Date('2026-01-02T03:04:05.678Z');
  const startTimestamp = new Date('2026-01-02T03:04:05.000Z');
  const event = new sdk.EventMessage({
    type: 'application/json',
    content: { a: 1 },
    metadata: {
      event: {
        id: 'e1',
        type: sdk.EventType.log,
        action: sdk.LogEventAction.info,
        createdAt,
        state: { status: sdk.EventStatusType.success },
      },
      trace: { service: 'svc', traceId: '0'.repeat(32), spanId: '1'.repeat(16), startTimestamp },
    },
  });
  const result = toEventMessage(event);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  assert.equal(result.event.metadata.event.createdAt, '2026-01-02T03:04:05.678Z');
  assert.equal(result.event.metadata.trace.startTimestamp, '2026-01-02T03:04:05.000Z');
  assert.equal(event.metadata?.event.createdAt, createdAt);
});

test('an SDK event the contract refuses gives the first issue, naming the field', () => {
  const noMetadata = new sdk.EventMessage({ type: 'application/json', content: { a: 1 } });
  assert.deepEqual(toEventMessage(noMetadata), {
    ok: false,
    errors: [{ field: '/metadata', message: 'is required', keyword: 'required' }],
  });
  const undefinedType = new sdk.EventMessage({
    type: 'application/json',
    content: { a: 1 },
    metadata: {
      event: {
        id: 'e1',
        type: sdk.EventType.undefined,
        action: sdk.NullEventAction.undefined,
        createdAt: '2026-01-02T03:04:05.678Z',
        state: { status: sdk.EventStatusType.success },
      },
      trace: { service: 'svc', traceId: '0'.repeat(32), spanId: '1'.repeat(16) },
    },
  });
  const result = toEventMessage(undefinedType);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.errors[0]?.field, '/metadata/event/type');
});
