// Hostile input, generated with fast-check from the contract: its corpus of valid and invalid
// events (packages/contract/test/fixtures) as seeds, its event types and actions, then mutations
// (wrong types, missing fields, huge strings, deep nesting, __proto__/constructor keys), raw bodies
// (malformed JSON, invalid UTF-8, wrong content types, oversized bodies and batches).
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { EVENT_ACTIONS, EVENT_TYPES } from '@event-sidecar/contract';
import { invalidEvents, validEvents } from '../../packages/contract/test/fixtures/events.js';

type Json = unknown;

/** Sets an own property, even one named `__proto__` (plain assignment would set the prototype). */
function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy through JSON that keeps `__proto__` keys as own properties. */
function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** JSON pointers of every value inside `value` ('' for the root). */
function pointersOf(value: Json, base = '', out: string[] = [], depth = 0): string[] {
  out.push(base);
  if (depth > 8 || value === null || typeof value !== 'object') return out;
  const keys = Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value);
  for (const key of keys.slice(0, 40))
    pointersOf(
      (value as Record<string, unknown>)[key],
      `${base}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      out,
      depth + 1,
    );
  return out;
}

const tokensOf = (pointer: string) =>
  pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));

type Mutation =
  | { op: 'set'; pointer: string; value: Json }
  | { op: 'delete'; pointer: string }
  | { op: 'add'; pointer: string; key: string; value: Json };

/** A mutated copy of `seed`; the root itself may be replaced by `set ''`. */
function mutate(seed: Json, mutation: Mutation): Json {
  if (mutation.pointer === '' && mutation.op === 'set') return mutation.value;
  const copy = cloneJson(seed);
  const tokens = tokensOf(mutation.pointer);
  if (mutation.op === 'add') {
    let node = copy as Record<string, unknown>;
    for (const token of tokens) node = node?.[token] as Record<string, unknown>;
    if (node !== null && typeof node === 'object' && !Array.isArray(node))
      defineOwn(node, mutation.key, mutation.value);
    return copy;
  }
  if (tokens.length === 0) return copy;
  const last = tokens.pop()!;
  let parent = copy as Record<string, unknown>;
  for (const token of tokens) parent = parent?.[token] as Record<string, unknown>;
  if (parent === null || typeof parent !== 'object') return copy;
  if (mutation.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (Array.isArray(parent)) parent[Number(last)] = mutation.value;
  else defineOwn(parent, last, mutation.value);
  return copy;
}

/** Nesting `depth` levels deep, alternating objects and arrays (built without recursion). */
function deepNesting(depth: number): Json {
  let value: Json = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { n: value } : [value];
  return value;
}

const hostileKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'valueOf',
    'hasOwnProperty',
    '__defineGetter__',
    '',
    ' ',
    'protocol.createdAt',
    '$ref',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);

const hugeString = fc
  .tuple(fc.constantFrom(300, 5000, 9000, 40_000, 70_000), fc.constantFrom('x', 'é', '✓', '\u0000', '"', '\\'))
  .map(([n, ch]) => ch.repeat(n));

const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 4 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: hugeString, weight: 1 },
  { arbitrary: fc.integer({ min: 2, max: 4000 }).map(deepNesting), weight: 1 },
  {
    arbitrary: fc.constantFrom<Json>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      2147483648,
      -2147483649,
      1e308,
      Number.MAX_SAFE_INTEGER + 2,
      '',
      ' ',
      '\ud800',
      '\udfff\ud800',
      'undefined',
      'UNDEFINED',
      'null',
      '0',
      '01',
      '2024-02-30T10:00:00.000Z',
      '4BF92F3577B34DA6A3CE929D0E0E4736',
      [],
      {},
      [[[[]]]],
      { __proto__: null },
      JSON.parse('{"__proto__":{"polluted":true}}'),
      JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'),
    ),
    weight: 3,
  },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
);

/** A valid event built from the contract's constants (the id is replaced before sending). */
// Built without `chain`: arbitraries made inside a chain are rebuilt for every value (slow).
const hexString = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const typeAndAction = fc.constantFrom(
  ...EVENT_TYPES.flatMap((type) => EVENT_ACTIONS[type].map((action) => [type, action] as const)),
);
const generatedValidEvent: fc.Arbitrary<Json> = fc
  .record({
    typeAction: typeAndAction,
    text: fc.boolean(),
    content: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
    plain: fc.string({ maxLength: 100 }),
    createdAt: fc.date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2099-12-31T00:00:00Z'),
      noInvalidDate: true,
    }),
    traceId: hexString(32),
    spanId: hexString(16),
    service: fc.string({ maxLength: 30 }),
    tags: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
    status: fc.constantFrom('success', 'failed'),
    code: fc.integer({ min: -2147483648, max: 2147483647 }),
  })
  .map((g) => ({
    id: 'generated',
    type: g.text ? 'text/plain' : 'application/json',
    content: g.text ? g.plain : g.content,
    metadata: {
      event: {
        id: randomUUID(),
        type: g.typeAction[0],
        action: g.typeAction[1],
        createdAt: g.createdAt.toISOString(),
        state: { status: g.status, code: g.code },
      },
      trace: { service: g.service, traceId: g.traceId, spanId: g.spanId, tags: g.tags },
    },
  }));

/** Seeds: the contract's corpus (valid and invalid) and generated valid events. */
const seedEvent: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...validEvents.map((f) => f.event)),
  fc.constantFrom(...invalidEvents.map((f) => f.event)),
  generatedValidEvent,
);

const mutation = (seed: Json): fc.Arbitrary<Mutation> => {
  const pointers = pointersOf(seed);
  const objects = pointers.filter((p) => {
    let node = seed as Record<string, unknown>;
    for (const token of tokensOf(p)) node = node?.[token] as Record<string, unknown>;
    return node !== null && typeof node === 'object' && !Array.isArray(node);
  });
  const pointer = fc.constantFrom(...pointers);
  return fc.oneof(
    fc.record({ op: fc.constant('set' as const), pointer, value: hostileValue }),
    fc.record({ op: fc.constant('delete' as const), pointer }),
    ...(objects.length > 0
      ? [
          fc.record({
            op: fc.constant('add' as const),
            pointer: fc.constantFrom(...objects),
            key: hostileKey,
            value: hostileValue,
          }),
        ]
      : []),
  );
};

/** A seed with zero to three mutations; a fresh id where the event still has a string id. */
const hostileEvent: fc.Arbitrary<Json> = seedEvent.chain((seed) =>
  fc
    .array(mutation(seed), { maxLength: 3 })
    .map((mutations) => withFreshId(mutations.reduce<Json>((value, m) => mutate(value, m), seed))),
);

/** Ids identify events on the topic: a string id is made unique unless a mutation broke its type. */
function withFreshId(value: Json): Json {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const event = value as Record<string, unknown>;
    if (typeof event.id === 'string' && event.id.length >= 1 && event.id.length <= 128) {
      const copy = cloneJson(event);
      copy.id = randomUUID();
      return copy;
    }
  }
  return value;
}

// ------------------------------------------------------------------ raw HTTP bodies

export interface HttpCase {
  kind: string;
  path: string;
  method: string;
  contentType?: string;
  body: Buffer;
  /** The JSON value the body holds when the server is expected to parse it as sent. */
  value?: Json;
}

const encode = (value: Json): Buffer => Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');

const INVALID_UTF8: Buffer[] = [
  Buffer.from([0xff]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
  Buffer.from([0x80, 0x80]),
];

const WRONG_CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset="nonsense"',
  'application/octet-stream',
  'json',
  ';;;',
  '',
];

/** Content types a JSON body may come with. */
const JSON_CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/vnd.mojaloop+json',
];

export function httpCases(options: { maxBodyBytes: number; maxBatch: number }): fc.Arbitrary<HttpCase> {
  const jsonType = fc.constantFrom(...JSON_CONTENT_TYPES);
  const single = fc.tuple(hostileEvent, jsonType).map(([value, contentType]): HttpCase => ({
    kind: 'event',
    path: '/event',
    method: 'POST',
    contentType,
    body: encode(value),
    value,
  }));
  const batch = fc
    .tuple(
      fc.array(fc.oneof(hostileEvent, generatedValidEvent.map(withFreshId)), { maxLength: options.maxBatch + 3 }),
      jsonType,
    )
    .map(([values, contentType]): HttpCase => ({
      kind: values.length > options.maxBatch ? 'batch over the limit' : 'batch',
      path: '/events',
      method: 'POST',
      contentType,
      body: encode(values),
      value: values,
    }));
  const batchNotArray = fc.tuple(hostileEvent, jsonType).map(([value, contentType]): HttpCase => ({
    kind: 'batch not an array',
    path: '/events',
    method: 'POST',
    contentType,
    body: encode(value),
    value,
  }));
  const malformed = fc
    .tuple(
      generatedValidEvent.map(withFreshId),
      fc.nat(),
      fc.constantFrom('truncate', 'garbage', 'trailing', 'nan', 'quotes', 'bom', 'empty'),
    )
    .map(([value, n, how]): HttpCase => {
      const text = JSON.stringify(value);
      const bodies: Record<string, string> = {
        truncate: text.slice(0, n % Math.max(1, text.length)),
        garbage: `{${text.slice(1).replace(/"/g, '')}`,
        trailing: `${text}}`,
        nan: text.replace(/"code":-?\d+/, '"code":NaN'),
        quotes: text.replace(/"/g, "'"),
        bom: `\ufeff${text}`,
        empty: '',
      };
      return {
        kind: `malformed JSON (${how})`,
        path: '/event',
        method: 'POST',
        contentType: 'application/json',
        body: Buffer.from(bodies[how]!, 'utf8'),
      };
    });
  const invalidUtf8 = fc
    .tuple(generatedValidEvent.map(withFreshId), fc.constantFrom(...INVALID_UTF8), fc.nat())
    .map(([value, bytes, n]): HttpCase => {
      // Inside a string value (the service name), so that only the encoding is wrong.
      const event = cloneJson(value) as { metadata: { trace: { service: string } } };
      event.metadata.trace.service = 'MARK';
      const [before, after] = JSON.stringify(event).split('MARK') as [string, string];
      const body = Buffer.concat([Buffer.from(before), bytes, Buffer.from(after ?? '')]);
      const raw = n % 3 === 0 ? Buffer.concat([bytes, body]) : body;
      return { kind: 'invalid UTF-8', path: '/event', method: 'POST', contentType: 'application/json', body: raw };
    });
  const wrongType = fc
    .tuple(generatedValidEvent.map(withFreshId), fc.constantFrom(...WRONG_CONTENT_TYPES), fc.boolean())
    .map(([value, contentType, batchRoute]): HttpCase => ({
      kind: 'wrong content type',
      path: batchRoute ? '/events' : '/event',
      method: 'POST',
      ...(contentType === '' ? {} : { contentType }),
      body: encode(batchRoute ? [value] : value),
    }));
  const oversized = fc
    .tuple(generatedValidEvent.map(withFreshId), fc.integer({ min: 1, max: 3 * options.maxBodyBytes }), fc.boolean())
    .map(([value, extra, batchRoute]): HttpCase => {
      const event = cloneJson(value) as Record<string, unknown>;
      event.type = 'text/plain';
      event.content = 'x'.repeat(options.maxBodyBytes + extra);
      return {
        kind: 'oversized body',
        path: batchRoute ? '/events' : '/event',
        method: 'POST',
        contentType: 'application/json',
        body: encode(batchRoute ? [event] : event),
      };
    });
  const otherRoutes = fc
    .tuple(
      fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'POST'),
      fc.constantFrom(
        '/event',
        '/events',
        '/event/1',
        '/Event',
        '/events/',
        '/%2e%2e/event',
        '/event?x=1',
        '/metrics',
        '/health',
        '/',
        '/%ff',
        '/event%00',
      ),
    )
    .map(([method, path]): HttpCase => ({
      kind: 'other route',
      path,
      method,
      contentType: 'application/json',
      body: Buffer.from('{}'),
    }));
  return fc.oneof(
    { arbitrary: single, weight: 10 },
    { arbitrary: batch, weight: 3 },
    { arbitrary: batchNotArray, weight: 1 },
    { arbitrary: malformed, weight: 2 },
    { arbitrary: invalidUtf8, weight: 2 },
    { arbitrary: wrongType, weight: 2 },
    { arbitrary: oversized, weight: 1 },
    { arbitrary: otherRoutes, weight: 1 },
  );
}

// ------------------------------------------------------------------ gRPC messages

export interface GrpcCase {
  kind: string;
  /** A message object for the SDK-like client, or raw bytes for the raw client. */
  message?: Record<string, unknown>;
  bytes?: Buffer;
}

const ANY_TYPE_URLS = [
  'application/json',
  'text/plain',
  '',
  'application/xml',
  'type.googleapis.com/google.protobuf.Struct',
  'APPLICATION/JSON',
];

const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc
    .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
    .map((v) => Buffer.from(JSON.stringify(v))),
  fc.string({ maxLength: 60 }).map((v) => Buffer.from(v)),
  fc.constantFrom(...INVALID_UTF8).map((b) => Buffer.concat([Buffer.from('{"a":"'), b, Buffer.from('"}')])),
  fc.integer({ min: 150, max: 3000 }).map((d) => Buffer.from(JSON.stringify({ deep: deepNesting(d) }))),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  fc.constant(Buffer.from('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}')),
);

export function grpcCases(options: {
  maxMessageBytes: number;
  toWire: (event: unknown) => Record<string, unknown>;
  serialize: (message: unknown) => Buffer;
}): fc.Arbitrary<GrpcCase> {
  const { toWire, serialize } = options;
  const event = hostileEvent
    .filter((v) => v !== null && typeof v === 'object' && !Array.isArray(v))
    .map((value): GrpcCase => ({ kind: 'event', message: toWire(value) }));
  const enumNumbers = fc
    .tuple(
      generatedValidEvent.map(withFreshId),
      fc.constantFrom('type', 'action', 'status'),
      fc.integer({ min: -1, max: 40 }),
    )
    .map(([value, field, n]): GrpcCase => {
      const wire = toWire(value) as {
        metadata: { event: Record<string, unknown> & { state: Record<string, unknown> } };
      };
      if (field === 'status') wire.metadata.event.state.status = n;
      else wire.metadata.event[field] = n;
      return { kind: 'enum number', message: wire };
    });
  const content = fc
    .tuple(
      generatedValidEvent.map(withFreshId),
      fc.constantFrom(...ANY_TYPE_URLS),
      anyValue,
      fc.option(fc.constantFrom('application/json', 'text/plain', 'x'), { nil: undefined }),
    )
    .map(([value, typeUrl, bytes, type]): GrpcCase => {
      const wire = toWire(value);
      wire.content = { type_url: typeUrl, value: bytes };
      if (type === undefined) delete wire.type;
      else wire.type = type;
      return { kind: 'content Any', message: wire };
    });
  const noMetadata = generatedValidEvent.map(withFreshId).map((value): GrpcCase => {
    const wire = toWire(value) as Record<string, unknown> & { metadata?: unknown };
    const metadata = wire.metadata;
    delete wire.metadata;
    // The original's fallback: metadata carried in the content.
    wire.content = { type_url: 'application/json', value: Buffer.from(JSON.stringify({ ...(metadata as object) })) };
    return { kind: 'metadata in content', message: wire };
  });
  const raw = fc.uint8Array({ maxLength: 300 }).map((b): GrpcCase => ({ kind: 'random bytes', bytes: Buffer.from(b) }));
  const corrupted = fc
    .tuple(generatedValidEvent.map(withFreshId), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
    .map(([value, at, byte, truncate]): GrpcCase => {
      const bytes = Buffer.from(serialize(toWire(value)));
      const i = at % Math.max(1, bytes.length);
      if (truncate) return { kind: 'truncated message', bytes: bytes.subarray(0, i) };
      bytes[i] = byte;
      return { kind: 'corrupted message', bytes };
    });
  const oversized = generatedValidEvent.map(withFreshId).map((value): GrpcCase => {
    const wire = toWire(value);
    wire.content = { type_url: 'text/plain', value: Buffer.alloc(options.maxMessageBytes + 100, 0x61) };
    return { kind: 'oversized message', message: wire };
  });
  return fc.oneof(
    { arbitrary: event, weight: 8 },
    { arbitrary: enumNumbers, weight: 2 },
    { arbitrary: content, weight: 4 },
    { arbitrary: noMetadata, weight: 1 },
    { arbitrary: raw, weight: 2 },
    { arbitrary: corrupted, weight: 2 },
    { arbitrary: oversized, weight: 1 },
  );
}
