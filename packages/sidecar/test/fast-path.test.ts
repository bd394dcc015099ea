// Which requests the fast path takes (the rest go to express), and how it reads a body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { fastRoute, parseJsonBody } from '../src/http/fast-path.js';

const request = (method: string, url: string, headers: Record<string, string>) =>
  ({ method, url, headers }) as unknown as IncomingMessage;
const json = { 'content-type': 'application/json', 'content-length': '120' };

test('the common form of an event request takes the fast path', () => {
  assert.equal(fastRoute(request('POST', '/event', json), 1024), 'event');
  assert.equal(fastRoute(request('POST', '/events', json), 1024), 'events');
  assert.equal(fastRoute(request('POST', '/events?token=x', json), 1024), 'events');
  for (const type of ['application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"', 'application/json ']) {
    assert.equal(fastRoute(request('POST', '/event', { ...json, 'content-type': type }), 1024), 'event', type);
  }
  assert.equal(fastRoute(request('POST', '/event', { ...json, 'content-encoding': 'identity' }), 1024), 'event');
  assert.equal(fastRoute(request('POST', '/event', { ...json, 'content-length': '1024' }), 1024), 'event');
});

test('every other form goes to express', () => {
  const express = (method: string, url: string, headers: Record<string, string>) =>
    assert.equal(
      fastRoute(request(method, url, headers), 1024),
      undefined,
      `${method} ${url} ${JSON.stringify(headers)}`,
    );
  express('GET', '/event', json);
  express('PUT', '/events', json);
  for (const url of ['/event/', '/EVENT', '/events/x', '//event', 'http://host/event', '/live'])
    express('POST', url, json);
  const { 'content-type': _, ...untyped } = json;
  express('POST', '/event', untyped);
  for (const type of [
    'text/plain',
    'application/cloudevents+json',
    'application/json; charset=latin1',
    'application/jsonx',
  ]) {
    express('POST', '/event', { ...json, 'content-type': type });
  }
  express('POST', '/event', { ...json, 'content-encoding': 'gzip' });
  express('POST', '/event', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  for (const length of ['0', '1025', '-1', '1e3', '']) express('POST', '/event', { ...json, 'content-length': length });
});

test('bodies are read as body-parser reads them in strict mode', () => {
  assert.deepEqual(parseJsonBody(Buffer.from(' {"a":[1]} ')), { a: [1] });
  assert.deepEqual(parseJsonBody(Buffer.from('\ufeff[1]')), [1]);
  assert.deepEqual(parseJsonBody(Buffer.from('\ufeff')), {});
  assert.deepEqual(parseJsonBody(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])), { a: '\ufffd' });
  for (const text of ['"a"', '1', 'null', '   ', '{"a":', '{} x']) {
    assert.throws(() => parseJsonBody(Buffer.from(text)), { code: 'MALFORMED_JSON' }, text);
  }
});
