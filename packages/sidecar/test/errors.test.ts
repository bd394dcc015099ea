import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRODUCER_ERROR_CODES, ProducerError } from '@event-sidecar/producer';
import { ERROR_STATUS, SIDECAR_ERROR_CODES, SidecarError, errorBody, resolveError } from '../src/errors.js';
import { toSidecarError } from '../src/http/http-errors.js';

test('every sidecar and producer error code has a status', () => {
  assert.deepEqual(Object.keys(ERROR_STATUS).sort(), [...SIDECAR_ERROR_CODES, ...PRODUCER_ERROR_CODES].sort());
  for (const [code, status] of Object.entries(ERROR_STATUS)) {
    assert.match(status.mojaloopCode, /^\d{4}$/, code);
    // Retry-After only on statuses where a retry of the same request can succeed.
    if (status.retryAfterSeconds !== undefined) assert.ok([429, 503].includes(status.http), code);
  }
});

test('producer errors map to HTTP and gRPC statuses with Retry-After', () => {
  const cases: Array<[ProducerError, Partial<ReturnType<typeof resolveError>>]> = [
    [
      new ProducerError('OVERLOADED', 'queue full', { canRetry: true }),
      { code: 'OVERLOADED', http: 429, grpc: 'RESOURCE_EXHAUSTED', mojaloopCode: '2005', retryAfterSeconds: 1 },
    ],
    [
      new ProducerError('OVERLOADED', 'queue full', { canRetry: true, retryAfterMs: 2500 }),
      { code: 'OVERLOADED', http: 429, retryAfterSeconds: 3 },
    ],
    [
      new ProducerError('KAFKA_UNAVAILABLE', 'no broker', { canRetry: true }),
      { code: 'KAFKA_UNAVAILABLE', http: 503, grpc: 'UNAVAILABLE', mojaloopCode: '2003', retryAfterSeconds: 5 },
    ],
    [
      new ProducerError('PUBLISH_TIMEOUT', 'late', { canRetry: true }),
      { code: 'PUBLISH_TIMEOUT', http: 503, grpc: 'UNAVAILABLE', mojaloopCode: '2004', retryAfterSeconds: 5 },
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
      { code: 'KAFKA_ERROR', http: 503, retryAfterSeconds: 5 },
    ],
    [
      new ProducerError('KAFKA_ERROR', 'not retriable', { canRetry: false }),
      { code: 'UNKNOWN', http: 500, grpc: 'INTERNAL', mojaloopCode: '2001', description: 'Internal server error' },
    ],
    [
      new ProducerError('UNKNOWN', 'secret internals'),
      { code: 'UNKNOWN', http: 500, description: 'Internal server error' },
    ],
  ];
  for (const [error, expected] of cases) {
    const resolved = resolveError(error);
    for (const [key, value] of Object.entries(expected))
      assert.deepEqual(resolved[key as keyof typeof resolved], value, `${error.code} ${error.message}: ${key}`);
    if (resolved.http >= 500) assert.doesNotMatch(resolved.description, /secret|internals|stack/);
  }
});

test('a producer error that cannot be retried gets no Retry-After', () => {
  const resolved = resolveError(new ProducerError('KAFKA_UNAVAILABLE', 'x', { canRetry: false }));
  assert.equal(resolved.http, 503);
  assert.equal(resolved.retryAfterSeconds, undefined);
});

test('client errors keep their message and field; unknown errors say nothing', () => {
  const resolved = resolveError(
    new SidecarError('VALIDATION_FAILED', '/body/id must be string', { field: '/body/id' }),
  );
  assert.deepEqual(errorBody(resolved), {
    errorInformation: { errorCode: '3100', errorDescription: '/body/id must be string', field: '/body/id' },
  });
  assert.equal(resolved.grpc, 'INVALID_ARGUMENT');
  const unknown = resolveError(new Error('connect ECONNREFUSED 10.0.0.1:9092'));
  assert.deepEqual(errorBody(unknown), {
    errorInformation: { errorCode: '2001', errorDescription: 'Internal server error' },
  });
  assert.equal(unknown.http, 500);
});

test('body-parser and validator errors become sidecar errors', () => {
  const parse = toSidecarError(
    Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400 }),
  );
  assert.ok(parse instanceof SidecarError);
  assert.equal(parse.code, 'MALFORMED_JSON');
  assert.equal(parse.field, '/body');
  const large = toSidecarError(Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413 }));
  assert.equal((large as SidecarError).code, 'PAYLOAD_TOO_LARGE');
  const method = toSidecarError(
    Object.assign(new Error('POST method not allowed'), { status: 405, errors: [], headers: { Allow: 'GET' } }),
  );
  assert.equal((method as SidecarError).code, 'METHOD_NOT_ALLOWED');
  assert.deepEqual((method as SidecarError).headers, { Allow: 'GET' });
  const invalid = toSidecarError(
    Object.assign(new Error('bad'), {
      status: 400,
      errors: [{ path: '/body', message: 'must NOT have more than 2 items' }],
    }),
  );
  assert.equal((invalid as SidecarError).code, 'VALIDATION_FAILED');
  assert.equal((invalid as SidecarError).field, '/body');
  assert.equal((invalid as SidecarError).message, '/body must NOT have more than 2 items');
  const uri = toSidecarError(Object.assign(new URIError('Failed to decode param'), { status: 400 }));
  assert.equal((uri as SidecarError).code, 'VALIDATION_FAILED');
});
