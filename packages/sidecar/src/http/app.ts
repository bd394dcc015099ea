// The HTTP side: an express 5 app. express-openapi-validator enforces the contract's routing (404, 405,
// 415) on the other routes; the event routes, the hot paths, come before it and never reach it: their
// bodies are checked by event-routes.ts (the batch's shape) and the contract's precompiled validator (each
// event, one by one, which is faster and lets a batch keep its valid events when some are invalid).
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { Logger } from 'pino';
import type { SidecarConfig } from '../config.js';
import { bearerMatches } from '../auth.js';
import { SidecarError } from '../errors.js';
import type { HealthPolicy } from '../health-policy.js';
import type { Ingress } from '../ingress.js';
import { createHttpLogger, type HttpLoggerMiddleware } from '../logger.js';
import type { SidecarMetrics } from '../metrics.js';
import { docsRouter } from './docs.js';
import { sendAnswer, sendFailure } from './answers.js';
import { batchAnswer, eventAnswer } from './event-routes.js';

export interface AppDeps {
  config: SidecarConfig;
  ingress: Ingress;
  /** The sidecar's health policy, which `GET /health` reports (as grpc.health.v1 does). */
  health: HealthPolicy;
  metrics: SidecarMetrics;
  logger: Logger;
  version: string;
  startTime: Date;
  /** The contract's OpenAPI 3.1 document, served as is and used for routing checks. */
  openApiDocument: object;
  /** The server's request logger, shared with the fast path; default: one of its own. */
  httpLogger?: HttpLoggerMiddleware;
}

/** Routes that stay open when AUTH_TOKEN is set: probes, scrapes and documentation. */
const OPEN_PATHS = /^\/(?:health|live|metrics|openapi\.json|docs(?:\/.*)?)$/;

export function createApp(deps: AppDeps): Express {
  const { config, ingress, health, metrics, logger, version, startTime } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(deps.httpLogger ?? createHttpLogger(logger));

  // Probes and documentation: no auth, no body.
  app.get('/live', (_req, res) => {
    res.json({ status: 'OK' });
  });
  app.get('/health', async (_req, res) => {
    const answer = await health.check();
    res.status(answer.http).json({
      status: answer.status,
      uptime: Math.round(process.uptime() * 1000) / 1000,
      startTime: startTime.toISOString(),
      versionNumber: version,
      services: answer.services,
    });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  const documentText = JSON.stringify(deps.openApiDocument);
  app.get('/openapi.json', (_req, res) => {
    res.type('json').send(documentText);
  });
  app.use(docsRouter());

  if (config.http.authToken !== undefined) app.use(requireBearer(config.http.authToken));

  const json = express.json({ limit: config.http.maxBodyBytes, type: JSON_TYPES, strict: true });

  // The event routes skip express-openapi-validator (about 20 µs a request): what it would check here is
  // the media type, checked below, and the event, checked by the contract's validator. Most of their
  // requests do not reach express at all (fast-path.ts); these routes answer the rest alike.
  app.post('/event', requireJson, json, (async (req, res) => {
    sendAnswer(res, await eventAnswer(ingress, req.body));
  }) satisfies RequestHandler);
  app.post('/events', requireJson, json, (async (req, res) => {
    sendAnswer(res, await batchAnswer(ingress, req.body, config.http.maxBatchEvents));
  }) satisfies RequestHandler);

  app.use(json);
  app.use(
    OpenApiValidator.middleware({
      // The library's 3.1 type demands fields the document need not have. A copy: the library dereferences
      // it in place. The event routes, registered above, never reach it: their bodies are checked there.
      apiSpec: structuredClone(deps.openApiDocument) as never,
      validateRequests: { allErrors: false },
      validateResponses: false,
      validateApiSpec: false,
      // Auth is ours (constant-time, open probes); the document only describes it.
      validateSecurity: false,
      ignoreUndocumented: false,
      fileUploader: false,
    }),
  );

  // Routes the document lists but the app does not serve; the validator answers everything else.
  app.use(() => {
    throw new SidecarError('NOT_FOUND', '');
  });
  app.use(errorHandler());
  return app;
}

const JSON_TYPES = ['application/json', 'application/*+json'];

const requireJson: RequestHandler = (req, _res, next) => {
  if (req.is(JSON_TYPES)) return next();
  next(new SidecarError('UNSUPPORTED_MEDIA_TYPE', 'unsupported media type'));
};

function requireBearer(token: string): RequestHandler {
  return (req, res, next) => {
    if (OPEN_PATHS.test(req.path) || bearerMatches(req.headers.authorization, token)) return next();
    res.set('WWW-Authenticate', 'Bearer');
    next(new SidecarError('UNAUTHORIZED', 'missing or invalid bearer token'));
  };
}

function errorHandler(): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => sendFailure(res, err);
}
