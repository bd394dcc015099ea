// The request log line: pino-http at info and below, the lean middleware above info; same fields either way.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createHttpLogger, createLogger } from '../src/logger.js';
import type { LogLevel } from '../src/config.js';
import { loggableUrl } from '../src/logger.js';

type Line = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function serve(t: TestContext, level: LogLevel): Promise<{ url: string; lines: Line[] }> {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  const middleware = createHttpLogger(createLogger(level, stream));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    middleware(req, res, () => {
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 201);
      if (status === 599) (res as ServerResponse & { err?: unknown }).err = new Error('the producer failed');
      res.statusCode = status === 599 ? 503 : status;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  await res.text();
  return res;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

for (const level of ['warn', 'info'] as const) {
  test(`request log at LOG_LEVEL=${level}: request id, 4xx at warn, 5xx at error, authorization redacted`, async (t) => {
    const { url, lines } = await serve(t, level);
    const ok = await get(`${url}/event`, { 'x-request-id': 'ok-1', authorization: 'Bearer secret' });
    assert.equal(ok.headers.get('x-request-id'), 'ok-1');
    const fresh = await get(`${url}/event`, { 'x-request-id': 'has spaces' });
    assert.match(fresh.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    await get(`${url}/event?status=400`, { 'x-request-id': 'bad-1', authorization: 'Bearer secret' });
    await get(`${url}/event?status=599`, { 'x-request-id': 'down-1' });
    await get(`${url}/event?status=500`, { 'x-request-id': 'fault-1' });
    await settle();

    const byId = (id: string) => lines.find((line) => line.req?.id === id);
    const bad = byId('bad-1');
    assert.ok(bad, 'the 400 was logged');
    assert.equal(bad.level, 40);
    assert.equal(bad.msg, 'request completed');
    assert.equal(bad.component, 'http');
    assert.equal(bad.reqId, 'bad-1');
    assert.deepEqual(bad.res, { statusCode: 400 });
    assert.equal(bad.req.method, 'GET');
    assert.equal(bad.req.url, '/event?[REDACTED]', 'the query string is never logged');
    assert.equal(bad.req.headers.authorization, '[REDACTED]');
    assert.equal(typeof bad.responseTime, 'number');
    const down = byId('down-1');
    assert.equal(down?.level, 50);
    assert.equal(down.msg, 'request errored');
    assert.equal(down.err.message, 'the producer failed');
    assert.equal(byId('fault-1')?.err.message, 'failed with status code 500');

    const ok1 = byId('ok-1');
    if (level === 'warn') {
      assert.equal(ok1, undefined, 'a 2xx is not logged above info');
      assert.equal(lines.length, 3);
    } else {
      assert.equal(ok1?.level, 30);
      assert.equal(ok1.req.headers.authorization, '[REDACTED]');
    }
    assert.ok(!JSON.stringify(lines).includes('secret'));
  });
}

test('a logged URL never carries its query string', () => {
  assert.equal(loggableUrl('/event?access_token=abc&x=1'), '/event?[REDACTED]');
  assert.equal(loggableUrl('/event?abc'), '/event?[REDACTED]');
  assert.equal(loggableUrl('/event?'), '/event?[REDACTED]');
  assert.equal(loggableUrl('/event'), '/event');
  assert.equal(loggableUrl(undefined), undefined);
});
