// Answers given before (or instead of) the express app: while shutting down, and when load is shed.
// They cost a few microseconds: no routing, no logging, a body built once.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { errorBody, resolveError } from '../errors.js';

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
