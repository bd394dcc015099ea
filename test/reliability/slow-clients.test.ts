// Slow clients: connections that trickle their headers or their body, or stall, must be cut off
// by the server's timeouts (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS), and a crowd of them
// (slowloris) must not keep the sidecar from serving everybody else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import {
  FULL,
  SidecarProcess,
  baseSidecarEnv,
  report,
  sharedBrokers,
  sized,
  sleep,
  uniqueSuffix,
} from '../helpers/reliability.js';
import { validEvent } from '../helpers/reliability-events.js';
import { postEvent } from '../helpers/reliability-load.js';

const HEADERS_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 4000;
/**
 * Node enforces both timeouts from a periodic sweep (http.Server connectionsCheckingInterval: 30 s
 * by default, 500 ms in the sidecar), so a cut comes a little after the timeout itself; the rest is
 * for a busy machine.
 */
const CUT_SLACK_MS = 3000;
const GIVE_UP_MS = 60_000;
const CROWD = sized(100, 400);

interface SlowResult {
  /** ms from the first byte until the server closed the connection (undefined: never, within GIVE_UP_MS). */
  cutAfterMs?: number;
  /** The status line the server sent before closing, if any. */
  answer?: string;
}

/**
 * Opens a connection, writes `head` at once, then `trickle` one byte every `everyMs` until the
 * server closes the connection or GIVE_UP_MS passes.
 */
function slowClient(
  port: number,
  head: string,
  trickle: string,
  everyMs: number,
): { done: Promise<SlowResult>; socket: Socket } {
  const socket = connect({ host: '127.0.0.1', port });
  const done = new Promise<SlowResult>((resolve) => {
    let started = 0;
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: SlowResult) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve(result);
    };
    const giveUp = setTimeout(() => finish({ answer: received.split('\r\n')[0] }), GIVE_UP_MS);
    socket.on('connect', () => {
      started = Date.now();
      socket.write(head);
      let i = 0;
      timer = setInterval(() => {
        if (socket.destroyed || socket.writableEnded) return;
        socket.write(trickle[i % trickle.length]!);
        i++;
      }, everyMs);
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish({ cutAfterMs: Date.now() - started, answer: received.split('\r\n')[0] }));
  });
  return { done, socket };
}

test(
  'slow clients are cut off by the server timeouts, and a crowd of them does not starve others',
  { timeout: 10 * 60_000 },
  async (t) => {
    const brokers = sharedBrokers();
    const topic = `reliability-slow-${uniqueSuffix()}`;
    const sidecar = await SidecarProcess.start(t, {
      env: baseSidecarEnv(brokers, topic, {
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '2000',
      }),
    });
    const port = sidecar.httpPort;
    const body = JSON.stringify(validEvent(0, 'slow-body'));

    const cases = {
      'headers trickled': slowClient(
        port,
        'POST /event HTTP/1.1\r\nHost: 127.0.0.1\r\n',
        'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaa',
        250,
      ),
      'body trickled': slowClient(
        port,
        `POST /event HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        body,
        250,
      ),
      'body stalled': slowClient(
        port,
        `POST /event HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"id":`,
        '',
        60_000,
      ),
      'nothing sent': slowClient(port, '', '', 60_000),
    };

    // A crowd trickling headers, while a well-behaved client keeps posting events.
    const crowd = Array.from({ length: CROWD }, () =>
      slowClient(port, 'POST /event HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: a', 500),
    );
    t.after(() => {
      for (const c of [...Object.values(cases), ...crowd]) c.socket.destroy();
    });
    await sleep(500);
    const served: number[] = [];
    const statuses = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      const result = await postEvent(port, validEvent(i, 'beside-slowloris'), { timeoutMs: 10_000 });
      const key = String(result.answer?.status ?? result.error);
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (result.answer?.status === 201) served.push(Date.now() - started);
      await sleep(100);
    }

    const results = Object.fromEntries(
      await Promise.all(Object.entries(cases).map(async ([name, c]) => [name, await c.done] as const)),
    );
    const crowdResults = await Promise.all(crowd.map((c) => c.done));
    const crowdCut = crowdResults.filter((r) => r.cutAfterMs !== undefined).map((r) => r.cutAfterMs!);
    report(
      t,
      [
        `slow clients (${FULL ? 'full' : 'reduced'}): headers timeout ${HEADERS_TIMEOUT_MS} ms, request timeout ${REQUEST_TIMEOUT_MS} ms`,
        ...Object.entries(results).map(
          ([name, r]) =>
            `  ${name}: ${r.cutAfterMs === undefined ? `not cut within ${GIVE_UP_MS} ms` : `cut after ${r.cutAfterMs} ms`}${r.answer ? ` (answer: ${r.answer})` : ''}`,
        ),
        `  crowd of ${CROWD} trickling headers: cut ${crowdCut.length}, after ${Math.min(...crowdCut)} to ${Math.max(...crowdCut)} ms`,
        `  a well-behaved client meanwhile: ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')}; latency ${Math.min(...served)} to ${Math.max(...served)} ms`,
      ].join('\n'),
    );

    assert.ok(sidecar.running, `the sidecar exited\n${sidecar.describe()}`);
    assert.equal(statuses.get('201'), 20, 'the well-behaved client was served throughout');
    for (const [name, r] of Object.entries(results)) {
      assert.ok(r.cutAfterMs !== undefined, `${name}: the server cut the connection`);
      const bound =
        (name.startsWith('headers') || name === 'nothing sent' ? HEADERS_TIMEOUT_MS : REQUEST_TIMEOUT_MS) +
        CUT_SLACK_MS;
      assert.ok(r.cutAfterMs! <= bound, `${name}: cut after ${r.cutAfterMs} ms, bound ${bound} ms`);
    }
    assert.equal(crowdCut.length, CROWD, 'every slow client of the crowd was cut');
  },
);
