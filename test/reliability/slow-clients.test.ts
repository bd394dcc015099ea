// Slow clients: connections that trickle their headers or their body, or stall, must be cut off
// by the server's timeouts (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS), and a crowd of them
// (slowloris) must not keep the sidecar from serving everybody else. The same over gRPC: a call
// whose message trickles or stalls is ended (DEADLINE_EXCEEDED) once HTTP_REQUEST_TIMEOUT_MS has
// passed and its connection closed by GRPC_MAX_CONNECTION_AGE_MS plus that grace; a connection
// without a call (nothing sent at all, or an HTTP/2 session left idle) is closed after
// GRPC_MAX_CONNECTION_IDLE_MS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectHttp2, constants as http2Constants, type ClientHttp2Session } from 'node:http2';
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
import { grpcClient, grpcLog, postEvent } from '../helpers/reliability-load.js';
import { toWire } from '../helpers/reliability-events.js';

const HEADERS_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 4000;
const GRPC_IDLE_MS = 3000;
const GRPC_AGE_MS = 5000;
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
  /** gRPC: ms until the call was ended with a status (the connection closes later, as idle). */
  answeredAfterMs?: number;
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

const LOG_PATH = '/mojaloop.events.EventLoggerService/Log';

/**
 * An HTTP/2 client speaking gRPC by hand: `idle` opens a session and starts no call; `trickle`
 * starts a Log call announcing a 200-byte message and sends one byte of it every 250 ms; `stall`
 * sends half of it, then nothing. The result is when the server ended the call (`idle`: closed the
 * connection), with the grpc-status it gave.
 */
function slowGrpcClient(
  port: number,
  mode: 'idle' | 'trickle' | 'stall',
): { done: Promise<SlowResult>; close(): void } {
  const session: ClientHttp2Session = connectHttp2(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const started = Date.now();
  const done = new Promise<SlowResult>((resolve) => {
    const ticker: { timer?: NodeJS.Timeout } = {};
    let settled = false;
    const finish = (result: SlowResult) => {
      if (settled) return;
      settled = true;
      clearInterval(ticker.timer);
      clearTimeout(giveUp);
      session.destroy();
      resolve(result);
    };
    const giveUp = setTimeout(() => finish({}), GIVE_UP_MS);
    if (mode === 'idle') {
      session.on('close', () => finish({ cutAfterMs: Date.now() - started }));
      return;
    }
    const stream = session.request({
      [http2Constants.HTTP2_HEADER_METHOD]: 'POST',
      [http2Constants.HTTP2_HEADER_PATH]: LOG_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let grpcStatus: string | undefined;
    // A grpc-status ends the call; the connection, now without a call, must then close as idle.
    let answeredAfterMs: number | undefined;
    const note = (headers: Record<string, unknown>) => {
      if (headers['grpc-status'] === undefined || answeredAfterMs !== undefined) return;
      answeredAfterMs = Date.now() - started;
      grpcStatus = String(headers['grpc-status']);
      clearInterval(ticker.timer);
    };
    stream.on('response', note);
    stream.on('trailers', note);
    stream.on('error', () => undefined);
    stream.on('data', () => undefined);
    session.on('close', () =>
      finish({
        cutAfterMs: Date.now() - started,
        ...(grpcStatus === undefined ? {} : { answer: `grpc-status ${grpcStatus} after ${answeredAfterMs} ms` }),
        ...(answeredAfterMs === undefined ? {} : { answeredAfterMs }),
      }),
    );
    const prefix = Buffer.from([0, 0, 0, 0, 200]);
    if (mode === 'stall') {
      stream.write(Buffer.concat([prefix, Buffer.alloc(100, 0x0a)]));
      return;
    }
    stream.write(prefix);
    ticker.timer = setInterval(() => {
      if (!stream.destroyed && !stream.writableEnded) stream.write(Buffer.from([0x0a]));
    }, 250);
  });
  return { done, close: () => session.destroy() };
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
        GRPC_MAX_CONNECTION_IDLE_MS: String(GRPC_IDLE_MS),
        GRPC_MAX_CONNECTION_AGE_MS: String(GRPC_AGE_MS),
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
    const grpcPort = sidecar.grpcPort;
    const grpcCases = {
      'gRPC nothing sent': slowClient(grpcPort, '', '', 60_000),
      'gRPC session idle': slowGrpcClient(grpcPort, 'idle'),
      'gRPC message trickled': slowGrpcClient(grpcPort, 'trickle'),
      'gRPC message stalled': slowGrpcClient(grpcPort, 'stall'),
    };

    // A crowd trickling headers, while a well-behaved client keeps posting events.
    const crowd = Array.from({ length: CROWD }, () =>
      slowClient(port, 'POST /event HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: a', 500),
    );
    t.after(() => {
      for (const c of [...Object.values(cases), ...crowd]) c.socket.destroy();
      for (const c of Object.values(grpcCases)) {
        if ('socket' in c) c.socket.destroy();
        else c.close();
      }
    });
    const grpc = grpcClient(grpcPort);
    t.after(() => grpc.close());
    await sleep(500);
    const served: number[] = [];
    const statuses = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      const result = await postEvent(port, validEvent(i, 'beside-slowloris'), { timeoutMs: 10_000 });
      const key = String(result.answer?.status ?? result.error);
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (result.answer?.status === 201) served.push(Date.now() - started);
      if (grpc) {
        const grpcStarted = Date.now();
        const call = await grpcLog(grpc, toWire(validEvent(i, 'beside-slowloris-grpc')), { deadlineMs: 10_000 });
        const grpcKey = `gRPC ${call.answer?.code ?? call.error}`;
        statuses.set(grpcKey, (statuses.get(grpcKey) ?? 0) + 1);
        if (call.answer?.code === 'OK') served.push(Date.now() - grpcStarted);
      }
      await sleep(100);
    }

    const results = Object.fromEntries(
      await Promise.all(
        Object.entries({ ...cases, ...grpcCases }).map(async ([name, c]) => [name, await c.done] as const),
      ),
    );
    const crowdResults = await Promise.all(crowd.map((c) => c.done));
    const crowdCut = crowdResults.filter((r) => r.cutAfterMs !== undefined).map((r) => r.cutAfterMs!);
    report(
      t,
      [
        `slow clients (${FULL ? 'full' : 'reduced'}): headers timeout ${HEADERS_TIMEOUT_MS} ms, request timeout ${REQUEST_TIMEOUT_MS} ms, gRPC connection idle ${GRPC_IDLE_MS} ms, age ${GRPC_AGE_MS} ms`,
        ...Object.entries(results).map(
          ([name, r]) =>
            `  ${name}: ${r.cutAfterMs === undefined ? `not cut within ${GIVE_UP_MS} ms` : `cut after ${r.cutAfterMs} ms`}${r.answer && !name.startsWith('gRPC nothing') ? ` (answer: ${r.answer})` : ''}`,
        ),
        `  crowd of ${CROWD} trickling headers: cut ${crowdCut.length}, after ${Math.min(...crowdCut)} to ${Math.max(...crowdCut)} ms`,
        `  a well-behaved client meanwhile: ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')}; latency ${Math.min(...served)} to ${Math.max(...served)} ms`,
      ].join('\n'),
    );

    assert.ok(sidecar.running, `the sidecar exited\n${sidecar.describe()}`);
    assert.equal(statuses.get('201'), 20, 'the well-behaved client was served throughout');
    if (grpc) assert.equal(statuses.get('gRPC OK'), 20, 'the well-behaved gRPC client was served throughout');
    const timeoutOf = (name: string): number => {
      if (name.startsWith('headers') || name === 'nothing sent') return HEADERS_TIMEOUT_MS;
      if (name === 'gRPC nothing sent' || name === 'gRPC session idle') return GRPC_IDLE_MS;
      // The call is ended at the request timeout; the client keeps its side of the stream open, so
      // its connection is closed at its maximum age (±10%) plus the grace of a request timeout.
      if (name.startsWith('gRPC message')) return GRPC_AGE_MS * 1.1 + REQUEST_TIMEOUT_MS;
      return REQUEST_TIMEOUT_MS;
    };
    for (const [name, r] of Object.entries(results)) {
      assert.ok(r.cutAfterMs !== undefined, `${name}: the server cut the connection`);
      if (name.startsWith('gRPC message')) {
        assert.ok(r.answeredAfterMs !== undefined, `${name}: the call was ended with a status`);
        assert.ok(
          r.answeredAfterMs <= REQUEST_TIMEOUT_MS + CUT_SLACK_MS,
          `${name}: ended after ${r.answeredAfterMs} ms`,
        );
        assert.equal(r.answer?.split(' ')[1], String(4), `${name}: DEADLINE_EXCEEDED`);
      }
      const bound = timeoutOf(name) + CUT_SLACK_MS;
      assert.ok(r.cutAfterMs! <= bound, `${name}: cut after ${r.cutAfterMs} ms, bound ${bound} ms`);
    }
    assert.equal(crowdCut.length, CROWD, 'every slow client of the crowd was cut');
  },
);
