// The one mapping of error codes to HTTP status, gRPC status and Mojaloop error code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES } from '@event-sidecar/contract';
import { PRODUCER_ERROR_CODES, ProducerError } from '@event-sidecar/producer';
import { ERROR_STATUS, SIDECAR_ERROR_CODES, SidecarError, errorBody, resolveError } from '../src/errors.js';
import { bodyPointer, toSidecarError } from '../src/http/http-errors.js';
import { validationError } from '../src/ingress.js';

test('every sidecar and producer error code has a status and a contract error code', () => {
  assert.deepEqual(Object.keys(ERROR_STATUS).sort(), [...SIDECAR_ERROR_CODES, ...PRODUCER_ERROR_CODES].sort());
  for (const [code, status] of Object.entries(ERROR_STATUS)) {
    assert.ok(ERROR_CODES[status.mojaloop], code);
    // Retry-After only on statuses where a retry of the same request can succeed.
    if (status.retryAfterSeconds !== undefined) assert.ok([429, 502, 503].includes(status.http), code);
  }
});

test('producer errors map to HTTP and gRPC statuses with Retry-After', () => {
  const cases: Array<[ProducerError, Partial<ReturnType<typeof resolveError>>]> = [
    [
      new ProducerError('OVERLOADED', 'queue full', { canRetry: true }),
      {
        code: 'OVERLOADED',
        http: 429,
        grpc: 'RESOURCE_EXHAUSTED',
        mojaloopCode: '2005',
        retryAfterSeconds: 1,
        description: 'Server busy - too many events waiting for Kafka',
      },
    ],
    [
      new ProducerError('OVERLOADED', 'queue full', { canRetry: true, retryAfterMs: 2500 }),
      { code: 'OVERLOADED', http: 429, retryAfterSeconds: 3 },
    ],
    [
      new ProducerError('KAFKA_UNAVAILABLE', 'no broker at 10.0.0.1', { canRetry: true }),
      {
        code: 'KAFKA_UNAVAILABLE',
        http: 503,
        grpc: 'UNAVAILABLE',
        mojaloopCode: '2003',
        retryAfterSeconds: 5,
        description: 'Service currently unavailable - Kafka is unavailable',
      },
    ],
    [
      new ProducerError('PUBLISH_TIMEOUT', 'late', { canRetry: true, retryAfterMs: 1000 }),
      { code: 'PUBLISH_TIMEOUT', http: 503, grpc: 'UNAVAILABLE', mojaloopCode: '2003', retryAfterSeconds: 1 },
    ],
    [
      new ProducerError('CLOSED', 'closing', { canRetry: true }),
      { code: 'CLOSED', http: 503, grpc: 'UNAVAILABLE', retryAfterSeconds: 1 },
    ],
    [
      new ProducerError('RECORD_TOO_LARGE', 'too big', { canRetry: false }),
      { code: 'RECORD_TOO_LARGE', http: 413, grpc: 'RESOURCE_EXHAUSTED', mojaloopCode: '3104', canRetry: false },
    ],
    [
      new ProducerError('KAFKA_ERROR', 'retriable', { canRetry: true }),
      { code: 'KAFKA_ERROR', http: 502, mojaloopCode: '1001', retryAfterSeconds: 5 },
    ],
    [
      new ProducerError('KAFKA_ERROR', 'not retriable', { canRetry: false }),
      { code: 'UNKNOWN', http: 500, grpc: 'INTERNAL', mojaloopCode: '2001', description: 'Internal server error' },
    ],
    [
      new ProducerError('UNKNOWN', 'secret internals'),
      { code: 'UNKNOWN', http: 500, description: 'Internal server error' },
    ],
    [new ProducerError('INVALID_EVENT', 'cycle'), { code: 'INVALID_EVENT', http: 400, grpc: 'INVALID_ARGUMENT' }],
  ];
  for (const [error, expected] of cases) {
    const resolved = resolveError(error);
    for (const [key, value] of Object.entries(expected))
      assert.deepEqual(resolved[key as keyof typeof resolved], value, `${error.code} ${error.message}: ${key}`);
    assert.doesNotMatch(resolved.description, /secret|internals|10\.0\.0\.1/);
  }
});

test('a producer error that cannot be retried gets no Retry-After', () => {
  const resolved = resolveError(new ProducerError('KAFKA_UNAVAILABLE', 'x', { canRetry: false }));
  assert.equal(resolved.http, 503);
  assert.equal(resolved.retryAfterSeconds, undefined);
});

test('validation issues take the contract code of their keyword and name the field', () => {
  const cases: Array<[string, string, string, string]> = [
    ['required', '/metadata/trace/traceId', 'is required', '3102'],
    ['pattern', '/metadata/trace/spanId', 'must be 16 lowercase hex characters', '3101'],
    ['maxItems', '', 'must NOT have more than 5 items', '3103'],
    ['additionalProperties', '/extra', 'is not an allowed property', '3100'],
  ];
  for (const [keyword, field, message, errorCode] of cases) {
    const resolved = resolveError(validationError([{ field, keyword, message }]));
    const name = Object.values(ERROR_CODES).find((e) => e.code === errorCode)!.name;
    assert.deepEqual(errorBody(resolved), {
      errorInformation: { errorCode, errorDescription: `${name} - ${field || 'the event'} ${message}`, field },
    });
    assert.equal(resolved.http, 400);
    assert.equal(resolved.grpc, 'INVALID_ARGUMENT');
  }
});

test('unknown errors say nothing of themselves', () => {
  const unknown = resolveError(new Error('connect ECONNREFUSED 10.0.0.1:9092'));
  assert.deepEqual(errorBody(unknown), {
    errorInformation: { errorCode: '2001', errorDescription: 'Internal server error' },
  });
  assert.equal(unknown.http, 500);
  const internal = resolveError(new SidecarError('INTERNAL', 'the stack is here'));
  assert.equal(internal.description, 'Internal server error');
});

test('body-parser and validator errors become sidecar errors', () => {
  const parse = toSidecarError(
    Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400 }),
  );
  assert.deepEqual(errorBody(resolveError(parse)), {
    errorInformation: {
      errorCode: '3101',
      errorDescription: 'Malformed syntax - the body is not valid JSON',
      field: '',
    },
  });
  const large = toSidecarError(
    Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413, limit: 4096 }),
  );
  assert.deepEqual(errorBody(resolveError(large)), {
    errorInformation: { errorCode: '3104', errorDescription: 'Too large payload - the body exceeds 4096 bytes' },
  });
  const method = toSidecarError(
    Object.assign(new Error('POST method not allowed'), { status: 405, errors: [], headers: { Allow: 'GET' } }),
  );
  const resolvedMethod = resolveError(method);
  assert.equal(resolvedMethod.http, 405);
  assert.deepEqual(resolvedMethod.headers, { Allow: 'GET' });
  assert.equal(resolvedMethod.description, 'Generic client error - method not allowed');
  const tooMany = toSidecarError(
    Object.assign(new Error('bad'), {
      status: 400,
      errors: [{ path: '/body', message: 'must NOT have more than 2 items', errorCode: 'maxItems.openapi.validation' }],
    }),
  );
  assert.deepEqual(errorBody(resolveError(tooMany)), {
    errorInformation: {
      errorCode: '3103',
      errorDescription: 'Too many elements - the body must NOT have more than 2 items',
      field: '',
    },
  });
  const uri = toSidecarError(Object.assign(new URIError('Failed to decode param'), { status: 400 }));
  assert.equal(resolveError(uri).http, 400);
  assert.equal(
    resolveError(toSidecarError(Object.assign(new Error('x'), { status: 404, errors: [] }))).description,
    'Unknown URI',
  );
});

test("bodyPointer strips the validator's /body prefix", () => {
  assert.equal(bodyPointer('/body'), '');
  assert.equal(bodyPointer('/body/0/id'), '/0/id');
  assert.equal(bodyPointer('.body.metadata'), '/metadata');
  assert.equal(bodyPointer('/bodyguard'), '/bodyguard');
  assert.equal(bodyPointer(undefined), '');
});
