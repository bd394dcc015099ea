// The parsers of environment values, pinned on their own (the settings table only picks among them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bool, int, list, oneOf, rawValue, text } from '../src/env.js';

test('a blank value counts as unset; others are trimmed', () => {
  const env = { A: '', B: '  ', C: ' x ' };
  assert.equal(rawValue(env, 'A'), undefined);
  assert.equal(rawValue(env, 'B'), undefined);
  assert.equal(rawValue(env, 'C'), 'x');
  assert.equal(rawValue(env, 'D'), undefined);
});

test('int takes decimal integers inside its range only', () => {
  const port = int({ min: 0, max: 65535 });
  assert.deepEqual(port('+80', 'P'), { ok: true, value: 80 });
  assert.deepEqual(port('0', 'P'), { ok: true, value: 0 });
  for (const value of ['65536', '-1', '1e3', '0x10', '8.0', '80 ', '']) {
    assert.deepEqual(port(value, 'P'), {
      ok: false,
      problems: [`P must be an integer from 0 to 65535, got "${value}"`],
    });
  }
  assert.deepEqual(int()('9007199254740992', 'N'), {
    ok: false,
    problems: [
      `N must be an integer from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, got "9007199254740992"`,
    ],
  });
});

test('bool takes true/false, 1/0, yes/no, on/off in any case', () => {
  for (const value of ['true', 'TRUE', '1', 'yes', 'On']) assert.deepEqual(bool(value, 'B'), { ok: true, value: true });
  for (const value of ['false', '0', 'No', 'off']) assert.deepEqual(bool(value, 'B'), { ok: true, value: false });
  assert.deepEqual(bool('maybe', 'B'), { ok: false, problems: ['B must be true or false, got "maybe"'] });
});

test('oneOf answers the listed spelling, whatever the case given', () => {
  const level = oneOf(['info', 'warn'] as const);
  assert.deepEqual(level('WARN', 'L'), { ok: true, value: 'warn' });
  assert.deepEqual(level('loud', 'L'), { ok: false, problems: ['L must be one of info, warn, got "loud"'] });
});

test('list drops blank items; text keeps the value', () => {
  assert.deepEqual(list('a, b,,c ,', 'L'), { ok: true, value: ['a', 'b', 'c'] });
  assert.deepEqual(list(',', 'L'), { ok: true, value: [] });
  assert.deepEqual(text('x y', 'T'), { ok: true, value: 'x y' });
});
