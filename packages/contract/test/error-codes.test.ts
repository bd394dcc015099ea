// The Mojaloop error code table: each code documented, unique, four digits, and the one the OpenAPI answers name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, openApiDocument, schemas } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('every error code is documented in the README table', () => {
  for (const [key, entry] of Object.entries(ERROR_CODES)) {
    assert.match(
      readme,
      new RegExp(`\\| ${entry.code} \\| ${entry.name} \\| ${entry.httpStatus} \\| \`${key}\` \\|`),
      key,
    );
  }
});

test('codes are unique four-digit Mojaloop codes accepted by the ErrorInformation schema', () => {
  const codes = Object.values(ERROR_CODES).map((e) => e.code);
  assert.equal(new Set(codes).size, codes.length);
  const pattern = new RegExp(
    (schemas.ErrorInformation!.properties as Record<string, { pattern: string }>).errorCode!.pattern,
  );
  for (const code of codes) assert.match(code, pattern);
});

test('the OpenAPI error responses use the codes of the table for their status', () => {
  const byStatus: Record<string, string> = {
    BadRequest: '400',
    Unauthorized: '401',
    NotFound: '404',
    MethodNotAllowed: '405',
    PayloadTooLarge: '413',
    UnsupportedMediaType: '415',
    TooManyRequests: '429',
    InternalServerError: '500',
    BadGateway: '502',
    ServiceUnavailable: '503',
  };
  const responses = (openApiDocument.components as { responses: Record<string, unknown> }).responses;
  assert.deepEqual(Object.keys(responses).sort(), Object.keys(byStatus).sort());
  for (const [name, status] of Object.entries(byStatus)) {
    const example = (
      responses[name] as { content: Record<string, { example: { errorInformation: { errorCode: string } } }> }
    ).content['application/json']!.example.errorInformation.errorCode;
    const entry = Object.values(ERROR_CODES).find((e) => e.code === example);
    assert.ok(entry, `${name}: ${example} is in ERROR_CODES`);
    // 3000 and the 3100-series carry the status of the situation; the others their own.
    if (!['3000', '3102'].includes(example)) assert.equal(String(entry.httpStatus), status, name);
  }
});
