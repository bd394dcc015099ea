// AUTH_TOKEN and the request log: 401 without the token, probes stay open, one JSON line per
// request with the request id, 4xx at warn, and the token never in a log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';

const TOKEN = 'test-token-0123456789abcdef';

test('a configured token is required on the event routes only', async (t) => {
  const { url, logs } = await startTestSidecar(t, { AUTH_TOKEN: TOKEN });
  const unauthorized = {
    errorInformation: { errorCode: '3000', errorDescription: 'Generic client error - missing or invalid bearer token' },
  };

  const missing = await call(`${url}/event`, { body: sampleEvent(), headers: { 'x-request-id': 'no-token' } });
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
  assert.deepEqual(missing.body, unauthorized);

  const wrong = await call(`${url}/events`, {
    body: [sampleEvent()],
    headers: { authorization: `Bearer ${TOKEN}x` },
  });
  assert.equal(wrong.status, 401);
  assert.deepEqual(wrong.body, unauthorized);

  const basic = await call(`${url}/event`, { body: sampleEvent(), headers: { authorization: `Basic ${TOKEN}` } });
  assert.equal(basic.status, 401);

  const ok = await call(`${url}/event`, {
    body: sampleEvent(),
    headers: { authorization: `Bearer ${TOKEN}`, 'x-request-id': 'with-token' },
  });
  assert.equal(ok.status, 201, ok.text);

  for (const path of ['/health', '/live', '/metrics', '/openapi.json', '/docs']) {
    const open = await call(`${url}${path}`);
    assert.equal(open.status, 200, path);
  }

  // Unknown routes need the token too: nothing about the service is told without it.
  assert.equal((await call(`${url}/nowhere`)).status, 401);

  const requestLines = logs.lines.filter((line) => line.req !== undefined);
  const byId = (id: string) => requestLines.find((line) => (line.req as { id: string }).id === id);
  const denied = byId('no-token');
  assert.ok(denied, 'the 401 was logged');
  assert.equal(denied.level, 40, '4xx at warn');
  assert.equal((denied.res as { statusCode: number }).statusCode, 401);
  const accepted = byId('with-token');
  assert.ok(accepted);
  assert.equal(accepted.level, 30);
  assert.equal((accepted.req as { headers: Record<string, string> }).headers.authorization, '[REDACTED]');
  assert.equal(accepted.component, 'http');
  assert.ok(!JSON.stringify(logs.lines).includes(TOKEN), 'the token never reaches the log');
  assert.ok(
    logs.lines.some((line) => line.component === 'producer'),
    'the producer logs as a child of the root logger',
  );
});
