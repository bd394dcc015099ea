// The bearer token check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerMatches, tokensEqual } from '../src/auth.js';

const token = 'a-token-of-16-chars';

test('tokensEqual compares whole tokens of any length', () => {
  assert.equal(tokensEqual(token, token), true);
  assert.equal(tokensEqual(`${token}x`, token), false);
  assert.equal(tokensEqual(token.slice(0, -1), token), false);
  assert.equal(tokensEqual('', token), false);
});

test('bearerMatches accepts only `Bearer <token>`', () => {
  assert.equal(bearerMatches(`Bearer ${token}`, token), true);
  assert.equal(bearerMatches(`bearer ${token}`, token), true);
  assert.equal(bearerMatches(`Bearer  ${token} `, token), true);
  assert.equal(bearerMatches(undefined, token), false);
  assert.equal(bearerMatches('', token), false);
  assert.equal(bearerMatches(token, token), false);
  assert.equal(bearerMatches(`Basic ${token}`, token), false);
  assert.equal(bearerMatches(`Bearer ${token}x`, token), false);
  assert.equal(bearerMatches(`Bearer ${token} extra`, token), false);
  assert.equal(bearerMatches('Bearer', token), false);
});
