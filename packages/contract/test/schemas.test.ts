// The generated JSON Schemas: the constants, required fields, patterns and size bounds they hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTENT_TYPES, EVENT_ACTIONS, EVENT_TYPES, schemas, type JsonSchema } from '../src/index.js';

type Json = Record<string, unknown>;
const def = (name: string) => schemas[name] as Json;
const props = (name: string) => def(name).properties as Record<string, Json>;
const refName = (schema: Json) => String(schema.$ref).replace('#/definitions/', '');

function allowedActions(schema: Json): string[] {
  const resolved = schema.$ref ? def(refName(schema)) : schema;
  return resolved.const !== undefined ? [String(resolved.const)] : (resolved.enum as string[]);
}

test('EVENT_TYPES and EVENT_ACTIONS match the schemas', () => {
  assert.deepEqual([...(def('EventType').enum as string[])].sort(), [...EVENT_TYPES].sort());
  assert.deepEqual(Object.keys(EVENT_ACTIONS), [...EVENT_TYPES]);
  const metadata = def('EventMetadata');
  assert.deepEqual(metadata.discriminator, { propertyName: 'type' });
  const branches = (metadata.oneOf as Json[]).map((branch) => props(refName(branch)));
  assert.deepEqual(
    branches.map((p) => p.type!.const),
    [...EVENT_TYPES],
  );
  for (const p of branches) {
    const type = p.type!.const as keyof typeof EVENT_ACTIONS;
    assert.deepEqual([...allowedActions(p.action!)].sort(), [...EVENT_ACTIONS[type]].sort(), type);
  }
  const everyAction = Object.values(EVENT_ACTIONS).flat();
  assert.deepEqual([...(def('EventAction').enum as string[])].sort(), [...new Set(everyAction)].sort());
  assert.deepEqual([...(def('ContentType').enum as string[])].sort(), [...CONTENT_TYPES].sort());
});

test('required fields follow event-sdk: metadata, state, service required; from/to optional', () => {
  assert.deepEqual(def('EventMessage').required, ['content', 'id', 'metadata', 'type']);
  assert.deepEqual(def('MessageMetadata').required, ['event', 'trace']);
  assert.deepEqual(def('LogEventMetadata').required, ['action', 'createdAt', 'id', 'state', 'type']);
  assert.deepEqual(def('EventTraceMetadata').required, ['service', 'spanId', 'traceId']);
  assert.deepEqual(def('EventStateMetadata').required, ['status']);
});

test('traceId, spanId and date-times carry their patterns and formats', () => {
  const trace = props('EventTraceMetadata');
  assert.equal(trace.traceId!.pattern, '^[0-9a-f]{32}$');
  assert.equal(trace.spanId!.pattern, '^[0-9a-f]{16}$');
  assert.equal(trace.parentSpanId!.pattern, '^[0-9a-f]{16}$');
  assert.equal(trace.startTimestamp!.format, 'date-time');
  assert.equal(trace.finishTimestamp!.format, 'date-time');
  assert.equal(props('LogEventMetadata').createdAt!.format, 'date-time');
});

// Walks a request-side schema: every string is bounded, every open map has a property limit, every object with
// declared properties is closed. `content` is the one exception (documented): bounded by the body limit only.
const UNBOUNDED = new Set(['JsonEventContent', 'EventMessage/content']);
function checkBounded(name: string, schema: JsonSchema, path: string, problems: string[]) {
  if (schema.$ref || UNBOUNDED.has(path)) return;
  const types = ([] as unknown[]).concat(schema.type ?? []);
  if (types.includes('string')) {
    const bounded = ['maxLength', 'pattern', 'enum', 'const'].some((k) => schema[k] !== undefined);
    if (!bounded) problems.push(`${path}: unbounded string`);
  }
  if (types.includes('object')) {
    const extra = schema.additionalProperties;
    if (extra !== false && schema.maxProperties === undefined) problems.push(`${path}: open map without maxProperties`);
    if (schema.properties && extra !== false) problems.push(`${path}: properties but not closed`);
  }
  for (const key of ['properties'] as const) {
    for (const [prop, child] of Object.entries((schema[key] ?? {}) as Record<string, JsonSchema>)) {
      checkBounded(name, child, `${path}/${prop}`, problems);
    }
  }
  for (const key of ['additionalProperties', 'items', 'propertyNames'] as const) {
    const child = schema[key];
    if (child && typeof child === 'object') checkBounded(name, child as JsonSchema, `${path}/${key}`, problems);
  }
}

test('every string and map of an event has a maximum size', () => {
  const eventDefinitions = Object.keys(schemas).filter((name) =>
    /^(EventMessage|MessageMetadata|\w+EventMetadata|EventStateMetadata|EventTraceMetadata|EventTrace\w+|JsonEventContent)$/.test(
      name,
    ),
  );
  assert.ok(eventDefinitions.length >= 10, eventDefinitions.join());
  const problems: string[] = [];
  for (const name of eventDefinitions) checkBounded(name, schemas[name]!, name, problems);
  assert.deepEqual(problems, []);
  assert.equal(def('BatchRequest').maxItems, 1000);
});

test('schemas are frozen', () => {
  assert.ok(Object.isFrozen(schemas));
  assert.ok(Object.isFrozen(schemas.EventMessage));
  assert.throws(() => {
    (schemas as Record<string, unknown>).EventMessage = {};
  }, TypeError);
});
