// The proto against event-sdk's: same messages, fields, numbers and service; SDK-encoded events decode and validate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protoLoader from '@grpc/proto-loader';
import { EVENT_ACTIONS, EVENT_TYPES, protoPath, validateEvent } from '../src/index.js';
import { buildSdkEvents } from './fixtures/sdk-events.js';

// The options event-sdk's client loads its proto with (src/transport/EventLoggerServiceLoader.ts).
const SDK_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
};

const require = createRequire(import.meta.url);
const sdkRoot = dirname(require.resolve('@mojaloop/event-sdk/package.json'));
const sdkProtoPath = join(sdkRoot, 'protos', 'message_type.proto');
const { toAny } = require(join(sdkRoot, 'dist', 'transport', 'MessageMapper.js')) as {
  toAny: (data: unknown, type: string) => { type_url: string; value: Buffer };
};

const ours = protoLoader.loadSync(protoPath, SDK_OPTIONS);
const sdk = protoLoader.loadSync(sdkProtoPath, SDK_OPTIONS);
const PACKAGE = 'mojaloop.events';

type Field = { name: string; number: number; type: string; typeName: string; label: string };
type EnumValue = { name: string; number: number };
const messageFields = (def: protoLoader.PackageDefinition, name: string) =>
  (def[`${PACKAGE}.${name}`] as unknown as { type: { field: Field[] } }).type.field.map(
    ({ name, number, type, typeName, label }) => ({ name, number, type, typeName, label }),
  );
const enumValues = (def: protoLoader.PackageDefinition, name: string) =>
  (def[`${PACKAGE}.${name}`] as unknown as { type: { value: EnumValue[] } }).type.value.map(({ name, number }) => ({
    name,
    number,
  }));
const kinds = (def: protoLoader.PackageDefinition, format: string) =>
  Object.entries(def)
    .filter(([name, value]) => name.startsWith(`${PACKAGE}.`) && (value as { format?: string }).format === format)
    .map(([name]) => name.slice(PACKAGE.length + 1))
    .sort();

test('same messages, fields and numbers as event-sdk', () => {
  const messages = kinds(sdk, 'Protocol Buffer 3 DescriptorProto');
  assert.deepEqual(kinds(ours, 'Protocol Buffer 3 DescriptorProto'), messages);
  assert.ok(messages.includes('EventMessage') && messages.includes('LogResponse'));
  for (const name of messages) assert.deepEqual(messageFields(ours, name), messageFields(sdk, name), name);
});

test('enums keep every event-sdk value and add only error, internal and external', () => {
  const enums = kinds(sdk, 'Protocol Buffer 3 EnumDescriptorProto');
  assert.deepEqual(kinds(ours, 'Protocol Buffer 3 EnumDescriptorProto'), enums);
  const added: Record<string, EnumValue[]> = {
    EventType: [{ name: 'error', number: 4 }],
    EventTypeAction: [
      { name: 'internal', number: 13 },
      { name: 'external', number: 14 },
    ],
  };
  for (const name of enums) {
    assert.deepEqual(enumValues(ours, name), [...enumValues(sdk, name), ...(added[name] ?? [])], name);
  }
  // Every type and action of the contract exists in the proto (they travel as enum names).
  const types = enumValues(ours, 'EventType').map((v) => v.name);
  const actions = enumValues(ours, 'EventTypeAction').map((v) => v.name);
  for (const type of EVENT_TYPES) assert.ok(types.includes(type), type);
  for (const action of Object.values(EVENT_ACTIONS).flat()) assert.ok(actions.includes(action), action);
});

test('the service is mojaloop.events.EventLoggerService/Log(EventMessage) returns (LogResponse)', () => {
  const service = ours[`${PACKAGE}.EventLoggerService`] as protoLoader.ServiceDefinition;
  assert.deepEqual(Object.keys(service), ['Log']);
  assert.equal(service.Log!.path, '/mojaloop.events.EventLoggerService/Log');
  assert.equal(service.Log!.requestStream, false);
  assert.equal(service.Log!.responseStream, false);
  assert.equal((service.Log!.requestType.type as unknown as { name: string }).name, 'EventMessage');
  assert.equal((service.Log!.responseType.type as unknown as { name: string }).name, 'LogResponse');
});

/** What a gRPC server does with a request: content from `Any` back to the JSON object or the text. */
function fromWire(message: Record<string, unknown>): unknown {
  const content = message.content as { type_url: string; value: Buffer };
  const text = Buffer.from(content.value).toString('utf8');
  return { ...message, content: content.type_url === 'application/json' ? JSON.parse(text) : text };
}

test('SDK events encoded with the SDK proto decode with ours and validate', async () => {
  const sdkLog = (sdk[`${PACKAGE}.EventLoggerService`] as protoLoader.ServiceDefinition).Log!;
  const ourLog = (ours[`${PACKAGE}.EventLoggerService`] as protoLoader.ServiceDefinition).Log!;
  for (const { name, raw } of await buildSdkEvents()) {
    // As EventLoggingServiceClient.log sends it.
    const wire = { ...(raw as Record<string, unknown>) };
    wire.content = toAny(wire.content, wire.type as string);
    const decoded = ourLog.requestDeserialize(sdkLog.requestSerialize(wire)) as Record<string, unknown>;
    const result = validateEvent(fromWire(decoded));
    assert.ok(result.ok, `${name}: ${JSON.stringify(!result.ok && result.errors)}`);
  }
});

test('an error event encoded with our proto reaches an SDK-proto reader with the new enum numbers', () => {
  const sdkLog = (sdk[`${PACKAGE}.EventLoggerService`] as protoLoader.ServiceDefinition).Log!;
  const ourLog = (ours[`${PACKAGE}.EventLoggerService`] as protoLoader.ServiceDefinition).Log!;
  const event = {
    id: 'e-1',
    type: 'application/json',
    content: toAny({ error: 'x' }, 'application/json'),
    metadata: {
      event: {
        id: 'm-1',
        type: 'error',
        action: 'external',
        createdAt: '2026-01-15T10:20:30.123Z',
        state: { status: 'failed' },
      },
      trace: { service: 's', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
    },
  };
  const bytes = ourLog.requestSerialize(event);
  const mine = ourLog.requestDeserialize(bytes) as typeof event;
  assert.deepEqual(mine.metadata.event, event.metadata.event);
  const theirs = sdkLog.requestDeserialize(bytes) as { metadata: { event: { type: unknown; action: unknown } } };
  assert.deepEqual([theirs.metadata.event.type, theirs.metadata.event.action], [4, 14]);
});
