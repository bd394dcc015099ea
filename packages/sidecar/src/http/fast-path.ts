// POST /event and POST /events in front of express. For a request of a few hundred bytes, express's
// request and response set-up, router, body-parser and content negotiation cost about as much CPU as the
// work itself (validation and publishing). The common form of an event request (a JSON body of a known
// length, no content encoding, the exact path) is read, parsed and answered here; every other form goes on
// to express, whose routes give the same answers for the same body (both use event-routes.ts), so an
// unusual request is merely slower, never answered differently.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SidecarConfig } from '../config.js';
import { bearerMatches } from '../auth.js';
import type { Ingress } from '../ingress.js';
import type { HttpLoggerMiddleware } from '../logger.js';
import type { SidecarMetrics } from '../metrics.js';
import { sendAnswer, sendFailure } from './answers.js';
import { batchAnswer, eventAnswer } from './event-routes.js';
import { incompleteBody, malformedJson } from './http-errors.js';

export type FastRoute = 'event' | 'events';

export interface FastPathDeps {
  config: SidecarConfig;
  ingress: Ingress;
  /** The server's request logger (one for both paths). */
  httpLogger: HttpLoggerMiddleware;
  /** Counts the requests answered here. */
  metrics: Pick<SidecarMetrics, 'fastPath'>;
}

/**
 * Takes `req` and answers it, or returns false when express must. It comes after admission (admission.ts:
 * shutdown, load shedding, MAX_IN_FLIGHT_BYTES), which both paths share.
 */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

// application/json, with no parameter or a UTF-8 charset: body-parser decodes other charsets (or refuses them).
const JSON_UTF8 = /^application\/json[ \t]*(?:;[ \t]*charset[ \t]*=[ \t]*(?:utf-8|"utf-8")[ \t]*)?$/i;
const LENGTH = /^[0-9]{1,15}$/;
// body-parser's strict mode: the first character that is not JSON whitespace opens an object or an array.
const FIRST_CHAR = /^[ \t\n\r]*([^ \t\n\r])/;

/**
 * The event route `req` is for, when the fast path answers it as express would: POST to exactly `/event`
 * or `/events` (a query string aside), `application/json` in UTF-8, no content encoding, a Content-Length
 * from 1 to `maxBodyBytes`. Undefined sends the request to express.
 */
export function fastRoute(req: IncomingMessage, maxBodyBytes: number): FastRoute | undefined {
  if (req.method !== 'POST') return undefined;
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  const route = path === '/event' ? 'event' : path === '/events' ? 'events' : undefined;
  if (route === undefined) return undefined;
  const headers = req.headers;
  const type = headers['content-type'];
  if (type === undefined || !JSON_UTF8.test(type)) return undefined;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return undefined;
  if (headers['transfer-encoding'] !== undefined) return undefined;
  const length = headers['content-length'];
  if (length === undefined || !LENGTH.test(length)) return undefined;
  const bytes = Number(length);
  return bytes > 0 && bytes <= maxBodyBytes ? route : undefined;
}

/**
 * The body as body-parser's strict JSON parser reads it: UTF-8 (malformed sequences replaced), a leading
 * byte order mark dropped, an empty body read as `{}`, anything but an object or an array refused.
 */
export function parseJsonBody(bytes: Buffer): unknown {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  const first = FIRST_CHAR.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw malformedJson();
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw malformedJson(cause);
  }
}

export function createFastPath(deps: FastPathDeps): FastPath {
  const { ingress } = deps;
  const { maxBodyBytes, maxBatchEvents, authToken } = deps.config.http;
  const { httpLogger } = deps;
  const noop = () => {};

  return (req, res) => {
    const route = fastRoute(req, maxBodyBytes);
    if (route === undefined) return false;
    // A refused token is answered by express, with its WWW-Authenticate header.
    if (authToken !== undefined && !bearerMatches(req.headers.authorization, authToken)) return false;
    deps.metrics.fastPath(route);
    httpLogger(req, res, noop);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('error', (cause) => {
      sendFailure(res, incompleteBody(cause));
    });
    req.once('end', () => {
      let body: unknown;
      try {
        body = parseJsonBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      } catch (error) {
        sendFailure(res, error);
        return;
      }
      const answer = route === 'event' ? eventAnswer(ingress, body) : batchAnswer(ingress, body, maxBatchEvents);
      answer.then(
        (a) => sendAnswer(res, a),
        (error: unknown) => sendFailure(res, error),
      );
    });
    return true;
  };
}
