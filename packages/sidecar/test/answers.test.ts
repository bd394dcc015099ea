// The early HTTP answers (refusals written before the body is read) and what happens to their connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SidecarError } from '../src/errors.js';
import { earlyAnswer, sendEarlyAnswer } from '../src/http/answers.js';

test('an early answer reads the body, then answers with Retry-After and closes the connection', async (t) => {
  const answer = earlyAnswer(new SidecarError('SHUTTING_DOWN', 'shutting down'), { close: true });
  let bodyBytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    sendEarlyAnswer(req, res, answer, 1_000_000);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const body = Buffer.alloc(200_000, 'a');
  const result = await new Promise<{ status: number; headers: Record<string, unknown>; text: string }>(
    (resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: (server.address() as AddressInfo).port,
          method: 'POST',
          path: '/event',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    },
  );
  assert.equal(result.status, 503);
  assert.equal(result.headers['retry-after'], '1');
  assert.equal(result.headers.connection, 'close');
  assert.deepEqual(JSON.parse(result.text), {
    errorInformation: {
      errorCode: '2003',
      errorDescription: 'Service currently unavailable - the sidecar is shutting down',
    },
  });
  assert.equal(bodyBytes, body.length, 'the whole body was read before the answer');
});

test('an early answer that keeps the connection goes at once, and the connection serves the next request', async (t) => {
  const answer = earlyAnswer(new SidecarError('BUSY', 'overloaded'), { close: false });
  const server = createServer((req, res) => sendEarlyAnswer(req, res, answer, 0));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const post = () =>
    new Promise<{ status: number; retryAfter: unknown; reused: boolean }>((resolve, reject) => {
      const body = Buffer.alloc(100_000, 'a');
      const req = request(
        {
          host: '127.0.0.1',
          port: (server.address() as AddressInfo).port,
          method: 'POST',
          path: '/events',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], reused: req.reusedSocket }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  assert.deepEqual(await post(), { status: 503, retryAfter: '1', reused: false });
  assert.deepEqual(await post(), { status: 503, retryAfter: '1', reused: true });
});
