// The OpenAPI 3.1 document of the sidecar's HTTP interface. The event schemas are not written here: they are the
// generated definitions, hoisted into components.schemas with their references rewritten.
import type { Definitions, JsonObject } from './generate.js';

/** Version of the HTTP contract (not of the npm package: bumping the package must not change the document). */
export const API_VERSION = '1.0.0';

const DEFINITIONS_PREFIX = '#/definitions/';
const COMPONENTS_PREFIX = '#/components/schemas/';

/** Rewrites every `#/definitions/X` reference into `#/components/schemas/X`. */
export function hoistReferences(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hoistReferences);
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [key, child] of Object.entries(value)) {
      out[key] =
        key === '$ref' && typeof child === 'string' && child.startsWith(DEFINITIONS_PREFIX)
          ? COMPONENTS_PREFIX + child.slice(DEFINITIONS_PREFIX.length)
          : hoistReferences(child);
    }
    return out;
  }
  return value;
}

const ref = (name: string) => ({ $ref: COMPONENTS_PREFIX + name });
const response = (name: string) => ({ $ref: `#/components/responses/${name}` });
const jsonContent = (schema: JsonObject, example?: unknown) => ({
  'application/json': example === undefined ? { schema } : { schema, example },
});

function errorResponse(description: string, errorCode: string, errorDescription: string, headers?: JsonObject) {
  const example = { errorInformation: { errorCode, errorDescription } };
  return { description, ...(headers ? { headers } : {}), content: jsonContent(ref('ErrorBody'), example) };
}

const retryAfter = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } };

/** A valid event, used as the request example; test/openapi.test.ts checks that it validates. */
export const EXAMPLE_EVENT = {
  id: '5c6ef4ec-7b6c-4f2e-9a35-1b9f7f1a3a0b',
  type: 'application/json',
  content: { payload: 'transfer prepared' },
  metadata: {
    event: {
      id: '0b8ddc45-6d9c-4b1f-8b0e-a6b9c1d7e2f3',
      type: 'audit',
      action: 'start',
      createdAt: '2026-01-15T10:20:30.123Z',
      state: { status: 'success', code: 0, description: 'action successful' },
    },
    trace: {
      service: 'central-ledger-prepare-handler',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      startTimestamp: '2026-01-15T10:20:30.100Z',
      tags: { transactionId: '5c6ef4ec-7b6c-4f2e-9a35-1b9f7f1a3a0b' },
    },
  },
};

export function buildOpenApiDocument(definitions: Definitions): JsonObject {
  const optionalBearer = [{}, { bearerAuth: [] }];
  const common = { '401': response('Unauthorized'), '500': response('InternalServerError') };
  const bodyErrors = {
    '400': response('BadRequest'),
    '413': response('PayloadTooLarge'),
    '415': response('UnsupportedMediaType'),
    '429': response('TooManyRequests'),
    '503': response('ServiceUnavailable'),
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'Event sidecar',
      version: API_VERSION,
      summary: 'Validated, confirmed delivery of Mojaloop log, audit, trace and error events to Kafka.',
      description: [
        'Receives Mojaloop events (the `@mojaloop/event-sdk` EventMessage) and publishes each to the Kafka topic',
        '`topic-event`, keyed by `metadata.trace.traceId`, with the partition chosen by event type. An event is',
        'acknowledged only once Kafka has it. The same events arrive over gRPC (`mojaloop.events.EventLoggerService/Log`,',
        'proto in the package) and are validated against the same schemas.',
        '',
        'Every error answer has an `ErrorBody` (Mojaloop `errorInformation`). Besides the answers listed per operation,',
        'any unknown path answers 404 (`NotFound`, error code 3002) and any other method on a known path answers 405',
        '(`MethodNotAllowed`, error code 3000, with an `Allow` header).',
        '',
        'Authentication is optional: when the sidecar is configured with a token, the `POST` operations require',
        '`Authorization: Bearer <token>`; otherwise they accept anonymous requests.',
      ].join('\n'),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'events', description: 'Publish events to Kafka.' },
      { name: 'operations', description: 'Health, liveness, metrics and this document.' },
    ],
    paths: {
      '/event': {
        post: {
          operationId: 'postEvent',
          tags: ['events'],
          summary: 'Publish one event',
          description: [
            'Validates the event and answers 201 once Kafka has acknowledged it. When the sidecar runs with a spool',
            'and Kafka is unavailable or does not confirm in time, it answers 202 once the event is on the spool',
            '(fsynced), and delivers it when Kafka is back; a 503 then means the spool is full.',
          ].join('\n'),
          security: optionalBearer,
          requestBody: { required: true, content: jsonContent(ref('EventMessage'), EXAMPLE_EVENT) },
          responses: {
            '201': {
              description: 'Kafka has the event: where it was stored.',
              content: jsonContent(ref('PublishedEvent')),
            },
            '202': {
              description: "Kafka is unavailable; the event is on the sidecar's spool and will be delivered.",
              content: jsonContent(ref('SpooledEventAnswer')),
            },
            ...bodyErrors,
            '502': response('BadGateway'),
            ...common,
          },
        },
      },
      '/events': {
        post: {
          operationId: 'postEvents',
          tags: ['events'],
          summary: 'Publish a batch of events',
          description: [
            'Validates each event on its own and publishes the valid ones. The answer has one result per event, in',
            'request order: 200 when all were published, 207 when at least one was not (each result says why:',
            '`rejected` for an invalid event, `failed` when Kafka did not take it). The largest batch accepted is the',
            "sidecar's configured limit (`maxItems` of `BatchRequest`).",
          ].join('\n'),
          security: optionalBearer,
          requestBody: { required: true, content: jsonContent(ref('BatchRequest'), [EXAMPLE_EVENT]) },
          responses: {
            '200': { description: 'Every event was published.', content: jsonContent(ref('BatchResponse')) },
            '207': {
              description: 'At least one event was not published; see each result.',
              content: jsonContent(ref('BatchResponse')),
            },
            ...bodyErrors,
            ...common,
          },
        },
      },
      '/health': {
        get: {
          operationId: 'getHealth',
          tags: ['operations'],
          summary: 'Readiness, including the Kafka connection',
          responses: {
            '200': { description: 'Ready: Kafka is reachable.', content: jsonContent(ref('HealthBody')) },
            '502': { description: 'Not ready: a dependency is down.', content: jsonContent(ref('HealthBody')) },
            '500': response('InternalServerError'),
          },
        },
      },
      '/live': {
        get: {
          operationId: 'getLive',
          tags: ['operations'],
          summary: 'Liveness: the process answers',
          responses: {
            '200': { description: 'The process is up.', content: jsonContent(ref('LiveBody')) },
            '500': response('InternalServerError'),
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'getMetrics',
          tags: ['operations'],
          summary: 'Prometheus metrics',
          responses: {
            '200': {
              description: 'Metrics in the Prometheus text exposition format (version 0.0.4).',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
            '500': response('InternalServerError'),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          tags: ['operations'],
          summary: 'This document',
          responses: {
            '200': { description: 'The OpenAPI 3.1 document.', content: jsonContent({ type: 'object' }) },
            '500': response('InternalServerError'),
          },
        },
      },
    },
    components: {
      schemas: hoistReferences(definitions),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'Required only when the sidecar is configured with a token.',
        },
      },
      headers: {
        RetryAfter: {
          description: 'Seconds after which the request may be sent again.',
          schema: { type: 'integer', minimum: 0 },
        },
        Allow: {
          description: 'The methods the path supports.',
          schema: { type: 'string' },
        },
      },
      responses: {
        BadRequest: errorResponse(
          'The body is not JSON or breaks the contract. `errorInformation.field` is a JSON pointer to the failing field; the error code is 3100 (generic), 3101 (malformed: type, format, pattern, length, allowed values), 3102 (missing mandatory element) or 3103 (too many elements).',
          '3102',
          'Missing mandatory element - /metadata/trace/traceId is required',
        ),
        Unauthorized: errorResponse(
          'A token is configured and the request has no `Authorization: Bearer` header or a wrong token.',
          '3000',
          'Generic client error - missing or invalid bearer token',
        ),
        NotFound: errorResponse('No such path.', '3002', 'Unknown URI'),
        MethodNotAllowed: errorResponse(
          'The path does not support this method.',
          '3000',
          'Generic client error - method not allowed',
          { Allow: { $ref: '#/components/headers/Allow' } },
        ),
        PayloadTooLarge: errorResponse('The body exceeds the size limit.', '3104', 'Too large payload'),
        UnsupportedMediaType: errorResponse(
          'The body is not `application/json`.',
          '3000',
          'Generic client error - unsupported media type',
        ),
        TooManyRequests: errorResponse(
          'Too many events in flight (backpressure): send again after `Retry-After` seconds.',
          '2005',
          'Server busy',
          retryAfter,
        ),
        InternalServerError: errorResponse('An unexpected error.', '2001', 'Internal server error'),
        BadGateway: errorResponse(
          'Kafka refused the event with an error that may pass: send it again after `Retry-After` seconds.',
          '1001',
          'Destination communication error',
          retryAfter,
        ),
        ServiceUnavailable: errorResponse(
          'Kafka is down or did not confirm the event within the publish timeout, the sidecar is not ready yet, or it is shutting down: send again after `Retry-After` seconds (a timed-out event may still arrive: consumers drop duplicates by event id).',
          '2003',
          'Service currently unavailable',
          retryAfter,
        ),
      },
    },
  };
}
