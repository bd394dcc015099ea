// Every HTTP answer is written here, for the fast path, for express and for the early answers alike, so
// that a request gets the same bytes whichever path served it.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { errorBody, resolveError, type ResolvedError } from '../errors.js';
import { toSidecarError } from './http-errors.js';

/** A JSON answer: status, body and extra headers. */
export interface JsonAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The answer to a refusal: its status, its headers (`Allow`, `Retry-After`) and the Mojaloop error body. */
function errorAnswer(resolved: ResolvedError): JsonAnswer {
  const headers: Record<string, string> = { ...resolved.headers };
  if (resolved.retryAfterSeconds !== undefined) headers['Retry-After'] = String(resolved.retryAfterSeconds);
  return { status: resolved.http, body: errorBody(resolved), headers };
}

/** What express's `res.status(...).set(...).json(...)` sends (an express response is a ServerResponse too). */
export function sendAnswer(res: ServerResponse, answer: JsonAnswer): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(answer.body);
  res.statusCode = answer.status;
  if (answer.headers) for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

function sendError(res: ServerResponse, resolved: ResolvedError): void {
  sendAnswer(res, errorAnswer(resolved));
}

/** Answers whatever was thrown (express's error handler and the fast path). */
export function sendFailure(res: ServerResponse, error: unknown): void {
  const resolved = resolveError(toSidecarError(error));
  // The request log line carries `res.err` of server faults, with its stack.
  if (resolved.http >= 500) (res as unknown as { err: unknown }).err = error;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendError(res, resolved);
}

/*
 * Early answers, given before (or instead of) routing: while shutting down, and when load is shed.
 * They cost a few microseconds: no routing, no logging, a body built once.
 */

export interface EarlyAnswer {
  /** Whether the connection closes after the answer. */
  readonly close: boolean;
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
}

/** The error's answer (as `resolveError` maps it), built once; `close`: the connection closes after it. */
export function earlyAnswer(error: unknown, options: { close: boolean }): EarlyAnswer {
  const resolved = resolveError(error);
  const body = Buffer.from(JSON.stringify(errorBody(resolved)));
  return Object.freeze({
    close: options.close,
    status: resolved.http,
    headers: Object.freeze({
      'content-type': 'application/json; charset=utf-8',
      'content-length': body.length,
      ...(resolved.retryAfterSeconds === undefined ? {} : { 'retry-after': String(resolved.retryAfterSeconds) }),
      ...(options.close ? { connection: 'close' } : {}),
    }),
    body,
  });
}

/**
 * Sends `answer`. On a connection kept open it goes at once (the server reads and drops the rest
 * of the body before the next request). When it closes the connection, the body is read and
 * dropped first, up to `maxDiscardBytes`: a socket closed while bytes it received are unread is
 * reset, and a reset can reach the client before it has read the answer.
 */
export function sendEarlyAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  answer: EarlyAnswer,
  maxDiscardBytes: number,
): void {
  const write = (): void => {
    if (res.headersSent || res.destroyed) return;
    if (answer.close) res.shouldKeepAlive = false;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  };
  if (!answer.close || req.complete) return write();
  let sent = false;
  let seen = 0;
  const send = (): void => {
    if (sent) return;
    sent = true;
    req.off('data', onData);
    write();
  };
  const onData = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen > maxDiscardBytes) send();
  };
  req.on('data', onData);
  req.once('end', send);
  req.once('error', () => res.destroy());
}
