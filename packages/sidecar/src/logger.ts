// One root pino logger per sidecar; components log through children (`component: 'http'`,
// `component: 'producer'`, `component: 'grpc'`), and the HTTP request logger.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import { levelValue, type LogLevel } from './log-levels.js';

/** Paths never written to a log line. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

/**
 * The root logger at `level`; with `only` (LOG_FILTER leaving gaps), lines of the other levels are dropped too
 * (children inherit the hook).
 */
export function createLogger(level: LogLevel, destination?: DestinationStream, only?: readonly LogLevel[]): Logger {
  const kept = only && new Set(only.map(levelValue));
  const options = {
    level,
    base: { service: 'event-sidecar' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(kept
      ? {
          hooks: {
            logMethod(this: Logger, args: Parameters<Logger['info']>, method: Logger['info'], numeric: number) {
              if (kept.has(numeric)) method.apply(this, args);
            },
          },
        }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

/** An inbound id is honoured when it is short and plain; anything else is replaced. */
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

function requestIdOf(req: IncomingMessage): string {
  const inbound = req.headers['x-request-id'];
  return typeof inbound === 'string' && REQUEST_ID.test(inbound) ? inbound : randomUUID();
}

/** Request headers worth a log line; the rest is noise on every request (and costs time). */
const LOGGED_HEADERS = ['host', 'user-agent', 'content-type', 'content-length', 'x-forwarded-for', 'authorization'];

/**
 * The URL as it may be logged: the query string replaced whole. No route reads one, but clients put
 * credentials there (`?access_token=`, `?token=`), and a value cannot be told from a secret.
 */
export function loggableUrl(url: string | undefined): string | undefined {
  const query = url?.indexOf('?') ?? -1;
  return query < 0 ? url : `${url!.slice(0, query)}?[REDACTED]`;
}

function requestFields(req: IncomingMessage & { id?: unknown }) {
  const headers: Record<string, string | string[]> = {};
  for (const name of LOGGED_HEADERS) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  return {
    id: req.id,
    method: req.method,
    url: loggableUrl(req.url),
    remoteAddress: req.socket?.remoteAddress,
    headers,
  };
}

export type HttpLoggerMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * One line per request, 4xx at warn, 5xx at error, request id echoed as `x-request-id`: pino-http when the
 * logger writes info lines, else a lean middleware that writes the same lines for 4xx and 5xx only.
 */
export function createHttpLogger(logger: Logger): HttpLogger | HttpLoggerMiddleware {
  return logger.isLevelEnabled('info') ? pinoHttpLogger(logger) : leanHttpLogger(logger);
}

/**
 * Above info a 2xx is never logged, but pino-http would still build (serialize and redact) a child logger
 * for every request: about a tenth of the CPU of a small request. This one does the work only for the
 * requests it logs, with pino-http's fields and messages (the root logger redacts `req.headers.authorization`).
 */
function leanHttpLogger(logger: Logger): HttpLoggerMiddleware {
  const log = logger.child({ component: 'http' });
  return (req, res, next) => {
    const id = requestIdOf(req);
    (req as IncomingMessage & { id?: string }).id = id;
    res.setHeader('x-request-id', id);
    const startedAt = Date.now();
    // 'close' follows 'finish', and also comes when the client goes away first.
    res.once('close', () => {
      const err = (res as ServerResponse & { err?: unknown }).err;
      if (!err && res.statusCode < 400) return;
      const fields = { reqId: id, req: requestFields(req), res: { statusCode: res.statusCode } };
      const responseTime = Date.now() - startedAt;
      if (err || res.statusCode >= 500) {
        const error = err ?? new Error(`failed with status code ${res.statusCode}`);
        log.error({ ...fields, err: error, responseTime }, 'request errored');
      } else {
        log.warn({ ...fields, responseTime }, 'request completed');
      }
    });
    next();
  };
}

function pinoHttpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger: logger.child({ component: 'http' }),
    // Lean serializers on the raw objects: the standard ones copy every request and response header.
    wrapSerializers: false,
    serializers: {
      req: requestFields,
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = requestIdOf(req);
      res.setHeader('x-request-id', id);
      return id;
    },
    customLogLevel: (_req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
    // The request line is logged once, at completion; the received message would double the volume.
    quietReqLogger: true,
  });
}
