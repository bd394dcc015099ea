// The gRPC EventMessage decoded to the event the contract validates: content by MIME type, refusals naming /content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type protoLoader from '@grpc/proto-loader';
import { validateEvent } from '@event-sidecar/contract';
import { decodeContent, wireToEvent, type WireEventMessage } from '../src/grpc/decode.js';
import { EVENT_LOGGER_SERVICE, loadEventLoggerPackage } from '../src/grpc/definitions.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const bytes = (text: string) => Buffer.from(text, 'utf8');

const wireEvent = (overrides: Partial<WireEventMessage> = {}): WireEventMessage => ({
  id: 'e-1',
  type: 'application/json',
  content: { type_url: 'application/json', value: bytes('{"b":2,"a":{"x":[1,"y"]}}') },
  metadata: {
    event: {
      id: 'm-1',
      type: 'audit',
      action: 'ingress',
      createdAt: '2026-01-15T10:20:30.123Z',
      state: { status: 'success' },
    },
    trace: { service: 'ml-api-adapter', traceId: TRACE_ID, spanId: SPAN_ID, tags: { transactionId: 't-1' } },
  },
  ...overrides,
});

/** A message through real protobuf encoding and decoding with the SDK's loader options. */
function roundTrip(message: Record<string, unknown>): WireEventMessage {
  const type = (loadEventLoggerPackage()[EVENT_LOGGER_SERVICE] as unknown as protoLoader.ServiceDefinition).Log!;
  return type.requestDeserialize(type.requestSerialize(message)) as WireEventMessage;
}

test('JSON content is decoded from the Any and the event validates', () => {
  const decoded = wireToEvent(wireEvent());
  assert.equal(decoded.ok, true);
  if (!decoded.ok) return;
  assert.deepEqual(decoded.event.content, { b: 2, a: { x: [1, 'y'] } });
  assert.equal(validateEvent(decoded.event).ok, true);
});

test('plain text content stays text; an empty text (absent value) is the empty string', () => {
  const text = wireToEvent(wireEvent({ type: 'text/plain', content: { type_url: 'text/plain', value: bytes('né') } }));
  assert.ok(text.ok);
  assert.equal(text.event.content, 'né');
  const empty = wireToEvent(wireEvent({ type: 'text/plain', content: { type_url: 'text/plain' } }));
  assert.ok(empty.ok);
  assert.equal(empty.event.content, '');
});

test('invalid JSON with type_url application/json is refused naming /content', () => {
  const decoded = wireToEvent(wireEvent({ content: { type_url: 'application/json', value: bytes('{"a":') } }));
  assert.equal(decoded.ok, false);
  if (decoded.ok) return;
  assert.equal(decoded.error.code, 'MALFORMED_JSON');
  assert.equal(decoded.error.field, '/content');
  assert.match(decoded.error.message, /^\/content is not valid JSON/);
});

test('unknown or missing MIME types and invalid UTF-8 are refused naming /content', () => {
  const other = decodeContent(
    { type_url: 'type.googleapis.com/google.protobuf.Struct', value: bytes('{}') },
    undefined,
  );
  assert.ok(!other.ok);
  assert.match(
    other.error.message,
    /\/content has type_url "type\.googleapis\.com.*"; it must be one of: application\/json, text\/plain/,
  );
  const none = decodeContent({ value: bytes('{}') }, undefined);
  assert.ok(!none.ok);
  assert.equal(none.error.message, '/content has no type_url (the MIME type of its value)');
  const latin1 = decodeContent({ type_url: 'text/plain', value: Buffer.from([0xe9]) }, 'text/plain');
  assert.ok(!latin1.ok);
  assert.equal(latin1.error.message, '/content is not valid UTF-8');
});

test('type_url absent: the event type decides; type absent: the type_url fills it in', () => {
  const noUrl = wireToEvent(wireEvent({ content: { value: bytes('{"a":1}') } }));
  assert.ok(noUrl.ok);
  assert.deepEqual(noUrl.event.content, { a: 1 });
  const noType = wireToEvent(wireEvent({ type: undefined, content: { type_url: 'text/plain', value: bytes('hi') } }));
  assert.ok(noType.ok);
  assert.equal(noType.event.type, 'text/plain');
});

test('without metadata, content carrying a trace is used as metadata (as the original)', () => {
  const metadata = wireEvent().metadata!;
  const decoded = wireToEvent(
    wireEvent({
      metadata: undefined,
      content: { type_url: 'application/json', value: bytes(JSON.stringify(metadata)) },
    }),
  );
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.event.metadata, metadata);
  assert.equal(validateEvent(decoded.event).ok, true);
  // Content without a trace: metadata stays absent and validation names it.
  const bare = wireToEvent(wireEvent({ metadata: undefined }));
  assert.ok(bare.ok);
  const result = validateEvent(bare.event);
  assert.ok(!result.ok);
  assert.equal(result.errors[0]!.field, '/metadata');
});

test('proto3 absences: a trace without service gets "", other unset fields stay absent', () => {
  // A client that leaves fields unset (or one in another language, which never sends defaults).
  const wire = roundTrip({
    id: 'e-1',
    type: 'application/json',
    content: { type_url: 'application/json', value: bytes('{}') },
    metadata: {
      event: {
        id: 'm-1',
        type: 'log',
        action: 'warn',
        createdAt: '2026-01-15T10:20:30.123Z',
        state: { status: 'success' },
      },
      trace: { traceId: TRACE_ID, spanId: SPAN_ID },
    },
  });
  assert.equal('service' in (wire.metadata!.trace as object), false);
  const decoded = wireToEvent(wire);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.event.metadata, {
    event: {
      id: 'm-1',
      type: 'log',
      action: 'warn',
      createdAt: '2026-01-15T10:20:30.123Z',
      state: { status: 'success' },
    },
    trace: { service: '', traceId: TRACE_ID, spanId: SPAN_ID },
  });
  assert.equal(validateEvent(decoded.event).ok, true);
});

test('empty strings and zeros set explicitly (protobufjs sends them) arrive as such and validate', () => {
  const wire = roundTrip({
    ...wireEvent(),
    from: '',
    metadata: {
      event: {
        id: 'm-1',
        type: 'log',
        action: 'info',
        createdAt: '2026-01-15T10:20:30.123Z',
        state: { status: 'success', code: 0, description: '' },
      },
      trace: { service: '', traceId: TRACE_ID, spanId: SPAN_ID, sampled: 0, flags: 0, tags: {} },
    },
  });
  const decoded = wireToEvent(wire);
  assert.ok(decoded.ok);
  assert.equal(decoded.event.from, '');
  const trace = (decoded.event.metadata as { trace: Record<string, unknown> }).trace;
  assert.deepEqual([trace.service, trace.sampled, trace.flags], ['', 0, 0]);
  assert.equal(validateEvent(decoded.event).ok, true);
});

test('enums arrive as the contract spells them; a missing id or an UNDEFINED type is named', () => {
  const { id: _id, ...withoutId } = wireEvent();
  const decoded = wireToEvent(roundTrip(withoutId));
  assert.ok(decoded.ok);
  const meta = decoded.event.metadata as { event: { type: string; action: string; state: { status: string } } };
  assert.deepEqual([meta.event.type, meta.event.action, meta.event.state.status], ['audit', 'ingress', 'success']);
  const missingId = validateEvent(decoded.event);
  assert.ok(!missingId.ok);
  assert.equal(`${missingId.errors[0]!.field} ${missingId.errors[0]!.message}`, '/id is required');

  const undefinedType = wireToEvent(
    roundTrip({
      ...wireEvent(),
      metadata: { ...wireEvent().metadata, event: { ...(wireEvent().metadata!.event as object), type: 'UNDEFINED' } },
    }),
  );
  assert.ok(undefinedType.ok);
  const result = validateEvent(undefinedType.event);
  assert.ok(!result.ok);
  assert.equal(result.errors[0]!.field, '/metadata/event/type');
});

test('a message that is not an object is refused', () => {
  const decoded = wireToEvent(null as unknown as WireEventMessage);
  assert.ok(!decoded.ok);
  assert.equal(decoded.error.code, 'VALIDATION_FAILED');
});
