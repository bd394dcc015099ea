// validateEvent on corpora of valid and invalid events, hand-written and built by @mojaloop/event-sdk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ERROR_CODES,
  MAX_CONTENT_DEPTH,
  createEventValidator,
  errorCodeNameForIssue,
  errorInformationForIssue,
  validateEvent,
  validateEvents,
  type ValidationResult,
} from '../src/index.js';
import { baseEvent, invalidEvents, validEvents } from './fixtures/events.js';
import { buildSdkEvents, sdkEventWithoutType } from './fixtures/sdk-events.js';

const describe = (result: ValidationResult) => (result.ok ? 'ok' : JSON.stringify(result.errors));

test('the corpus is large enough', async () => {
  const sdk = await buildSdkEvents();
  assert.ok(validEvents.length + sdk.length >= 40, `${validEvents.length + sdk.length} valid events`);
  assert.ok(invalidEvents.length >= 60, `${invalidEvents.length} invalid events`);
  const names = [...validEvents, ...invalidEvents, ...sdk].map((f) => f.name);
  assert.equal(new Set(names).size, names.length, 'fixture names are unique');
});

test('accepts every valid hand-written event, returning it typed', () => {
  for (const { name, event } of validEvents) {
    const result = validateEvent(event);
    assert.ok(result.ok, `${name}: ${describe(result)}`);
    assert.equal(result.event, event, `${name}: the event itself is returned`);
  }
});

test('accepts events built by @mojaloop/event-sdk, after a JSON round trip and as the SDK objects', async () => {
  const sdk = await buildSdkEvents();
  const pairs = new Set<string>();
  for (const { name, event, raw } of sdk) {
    const result = validateEvent(event);
    assert.ok(result.ok, `${name}: ${describe(result)}`);
    assert.ok(validateEvent(raw).ok, `${name} (SDK object): ${describe(validateEvent(raw))}`);
    const { type, action } = (event as { metadata: { event: { type: string; action: string } } }).metadata.event;
    pairs.add(`${type}/${action}`);
  }
  // Every pair the SDK supports (it has no `error` type).
  const expected = [
    ...['info', 'debug', 'verbose', 'perf', 'warn', 'error'].map((a) => `log/${a}`),
    ...['default', 'start', 'finish', 'ingress', 'egress'].map((a) => `audit/${a}`),
    'trace/span',
  ];
  for (const pair of expected) assert.ok(pairs.has(pair), `an SDK event for ${pair}`);
});

test('rejects every invalid event with one issue naming the expected field and keyword', () => {
  for (const { name, event, field, keyword } of invalidEvents) {
    const result = validateEvent(event);
    assert.equal(result.ok, false, `${name}: accepted`);
    if (result.ok) continue;
    assert.equal(result.errors.length, 1, `${name}: one issue`);
    const [issue] = result.errors;
    assert.deepEqual(
      { field: issue!.field, keyword: issue!.keyword },
      { field, keyword },
      `${name}: ${issue!.message}`,
    );
    assert.ok(issue!.message.length > 0, `${name}: has a message`);
  }
});

test('rejects an SDK event built without a type (the SDK leaves "undefined")', () => {
  const result = validateEvent(sdkEventWithoutType());
  assert.equal(result.ok, false);
  assert.deepEqual(!result.ok && result.errors[0]!.field, '/metadata/event/type');
});

test('issues are deterministic', () => {
  for (const { name, event } of invalidEvents) {
    assert.deepEqual(validateEvent(event), validateEvent(structuredClone(event)), name);
  }
});

test('a wrong action gets one message naming the actions allowed for the type', () => {
  const event = baseEvent('audit', 'span');
  assert.deepEqual(validateEvent(event), {
    ok: false,
    errors: [
      {
        field: '/metadata/event/action',
        keyword: 'enum',
        message: 'must be one of the actions allowed for type audit: default, start, finish, ingress, egress',
      },
    ],
  });
  const trace = validateEvent(baseEvent('trace', 'info'));
  assert.equal(!trace.ok && trace.errors[0]!.message, 'must be one of the actions allowed for type trace: span');
  const type = validateEvent(baseEvent('metric', 'info'));
  assert.equal(!type.ok && type.errors[0]!.message, 'must be one of: log, audit, trace, error');
});

test('messages for content, missing and unknown properties read after the field', () => {
  const messages = (event: unknown) => {
    const result = validateEvent(event);
    return result.ok ? [] : result.errors.map((e) => `${e.field} ${e.message}`);
  };
  assert.deepEqual(messages({ ...baseEvent(), content: 'x' }), [
    '/content must be an object when type is application/json',
  ]);
  assert.deepEqual(messages({ ...baseEvent(), type: 'text/plain' }), [
    '/content must be a string when type is text/plain',
  ]);
  const { id: _id, ...noId } = baseEvent();
  assert.deepEqual(messages(noId), ['/id is required']);
  assert.deepEqual(messages({ ...baseEvent(), extra: 1 }), ['/extra is not an allowed property']);
});

test('__proto__ and constructor keys neither crash the validator nor pollute prototypes', () => {
  const polluted = JSON.parse(
    '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}},"id":"x","type":"application/json","content":{},"metadata":{"__proto__":{"event":{}}}}',
  );
  const result = validateEvent(polluted);
  assert.equal(result.ok, false);
  assert.equal(({} as { isAdmin?: boolean }).isAdmin, undefined);
  // Inherited properties do not satisfy `required`.
  const inherited = Object.create(baseEvent()) as object;
  const inheritedResult = validateEvent(inherited);
  assert.equal(!inheritedResult.ok && inheritedResult.errors[0]!.keyword, 'required');
});

test('long unknown property names are clipped in the issue', () => {
  const result = validateEvent({ ...baseEvent(), ['x'.repeat(100_000)]: 1 });
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.ok(result.errors[0]!.field.length <= 512);
    assert.ok(result.errors[0]!.message.length <= 512);
  }
});

test('validateEvents gives one result per index', () => {
  const results = validateEvents([baseEvent(), null, baseEvent('trace', 'span'), { ...baseEvent(), id: '' }]);
  assert.deepEqual(
    results.map((r) => (r.ok ? 'ok' : r.errors[0]!.field)),
    ['ok', '', 'ok', '/id'],
  );
});

test('createEventValidator builds an independent validator that agrees with validateEvent', () => {
  const validator = createEventValidator();
  for (const { event } of [...validEvents, ...invalidEvents]) {
    assert.deepEqual(validator.validateEvent(event), validateEvent(event));
  }
});

test('issues map to Mojaloop error codes', () => {
  const codeFor = (event: unknown) => {
    const result = validateEvent(event);
    assert.equal(result.ok, false);
    return result.ok ? undefined : errorInformationForIssue(result.errors[0]!);
  };
  const { id: _id, ...noId } = baseEvent();
  assert.deepEqual(codeFor(noId), {
    errorCode: '3102',
    errorDescription: 'Missing mandatory element - /id is required',
    field: '/id',
  });
  assert.equal(codeFor({ ...baseEvent(), id: 7 })?.errorCode, ERROR_CODES.MALFORMED_SYNTAX.code);
  assert.equal(codeFor({ ...baseEvent(), extra: 7 })?.errorCode, ERROR_CODES.GENERIC_VALIDATION_ERROR.code);
  assert.equal(codeFor(null)?.errorDescription, 'Malformed syntax - the event must be of type object');
  assert.equal(errorCodeNameForIssue({ keyword: 'maxProperties' }), 'TOO_MANY_ELEMENTS');
  for (const { event } of invalidEvents) {
    const info = codeFor(event);
    assert.match(info!.errorCode, /^3(100|101|102|103)$/);
    assert.ok(info!.errorDescription.length <= 1024);
  }
});

test('cost per 1 KB event stays in microseconds', (t) => {
  const event = JSON.parse(
    JSON.stringify({
      ...baseEvent('audit', 'ingress'),
      content: {
        headers: { 'content-type': 'application/json', 'fspiop-source': 'payerfsp' },
        payload: 'p'.repeat(600),
      },
    }),
  );
  event.metadata.trace.tags = { transactionId: '9e2d4ea4-fa14-4abf-b1c9-8e5bb1a092aa', transactionType: 'transfer' };
  event.metadata.trace.startTimestamp = '2026-01-15T10:20:30.000Z';
  const size = JSON.stringify(event).length;
  const validator = createEventValidator();
  for (let i = 0; i < 20_000; i++) validator.validateEvent(event);
  const runs = 100_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) validator.validateEvent(event);
  const micros = Number(process.hrtime.bigint() - start) / runs / 1000;
  t.diagnostic(`validateEvent: ${micros.toFixed(2)} µs per ${size}-byte event`);
  // Generous bound for a shared machine; typical is a few µs.
  assert.ok(micros < 100, `${micros} µs per event`);
});

test('content may nest MAX_CONTENT_DEPTH levels of objects and arrays, and no deeper', () => {
  const depthOf = (value: unknown): number =>
    value !== null && typeof value === 'object' ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;
  // Objects and arrays alternate below a top-level object: both count as a level.
  let inner: unknown = { leaf: 'x' };
  for (let level = 2; level < MAX_CONTENT_DEPTH; level++) inner = level % 2 ? { wrap: inner } : [inner];
  const limit = { wrap: inner };
  assert.equal(depthOf(limit), MAX_CONTENT_DEPTH);
  assert.equal(validateEvent({ ...baseEvent(), content: limit }).ok, true);
  const result = validateEvent({ ...baseEvent(), content: { wrap: limit } });
  assert.equal(result.ok, false);
  assert.deepEqual(!result.ok && result.errors[0], {
    field: '/content',
    message: `must not nest objects or arrays deeper than ${MAX_CONTENT_DEPTH} levels`,
    keyword: 'maxDepth',
  });
  // Far deeper than the producer could serialize: still one clean issue, no stack overflow.
  let deep: unknown = {};
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(validateEvent({ ...baseEvent(), content: { deep } }).ok, false);
});
