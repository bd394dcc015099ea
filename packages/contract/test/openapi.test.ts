// The OpenAPI 3.1 document: valid, self-contained, every route and answer described, its examples valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Validator } from '@seriousme/openapi-schema-validator';
import express, { type ErrorRequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { createOpenApiDocument, openApiDocument, schemas, validateEvent } from '../src/index.js';
import { EXAMPLE_EVENT } from '../scripts/openapi.js';
import { baseEvent } from './fixtures/events.js';

type Json = Record<string, unknown>;
const doc = openApiDocument as unknown as {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, Json>; requestBody?: Json; security?: unknown }>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Json>; securitySchemes: Json };
};

function collectRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => collectRefs(v, out));
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') out.push(child);
      else collectRefs(child, out);
    }
  }
  return out;
}

function resolve(pointer: string): unknown {
  return pointer
    .slice(2)
    .split('/')
    .reduce<unknown>((node, token) => (node as Json | undefined)?.[token], openApiDocument);
}

test('the document is a valid OpenAPI 3.1 document', async () => {
  assert.equal(doc.openapi, '3.1.0');
  const validator = new Validator();
  const result = await validator.validate(structuredClone(openApiDocument) as Json);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
});

test('every reference is internal and resolves', () => {
  const refs = collectRefs(openApiDocument);
  assert.ok(refs.length > 20);
  for (const ref of refs) {
    assert.match(ref, /^#\/components\/(schemas|responses|headers)\/[A-Za-z0-9._-]+$/, ref);
    assert.ok(resolve(ref) !== undefined, `${ref} resolves`);
  }
  assert.deepEqual(Object.keys(doc.components.schemas).sort(), Object.keys(schemas).sort());
  assert.equal(JSON.stringify(openApiDocument).includes('#/definitions/'), false);
});

test('routes, success bodies and error answers are all described', () => {
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
  );
  assert.deepEqual(operations.map((o) => o.key).sort(), [
    'GET /health',
    'GET /live',
    'GET /metrics',
    'GET /openapi.json',
    'POST /event',
    'POST /events',
  ]);
  const statuses = (key: string) => Object.keys(operations.find((o) => o.key === key)!.op.responses).sort();
  assert.deepEqual(statuses('POST /event'), ['201', '202', '400', '401', '413', '415', '429', '500', '502', '503']);
  assert.deepEqual(statuses('POST /events'), ['200', '207', '400', '401', '413', '415', '429', '500', '503']);
  assert.deepEqual(statuses('GET /health'), ['200', '500', '502']);

  // Every 4xx/5xx response carries an ErrorBody (except health's 502, which is a HealthBody).
  for (const [name, response] of Object.entries(doc.components.responses)) {
    const schema = (response.content as Json)['application/json'] as Json;
    assert.deepEqual(schema.schema, { $ref: '#/components/schemas/ErrorBody' }, name);
  }
  for (const name of ['TooManyRequests', 'ServiceUnavailable', 'BadGateway']) {
    assert.ok((doc.components.responses[name]!.headers as Json)['Retry-After'], `${name} has Retry-After`);
  }
  for (const name of ['NotFound', 'MethodNotAllowed']) assert.ok(doc.components.responses[name], name);

  // Bearer auth is optional on the POST operations and absent elsewhere.
  assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
    type: 'http',
    scheme: 'bearer',
    description: 'Required only when the sidecar is configured with a token.',
  });
  for (const { key, op } of operations) {
    assert.deepEqual(op.security, key.startsWith('POST') ? [{}, { bearerAuth: [] }] : undefined, key);
  }
});

test('the request example validates, and the batch limit defaults to 1000 and can be set', () => {
  assert.ok(validateEvent(structuredClone(EXAMPLE_EVENT)).ok);
  assert.equal(doc.components.schemas.BatchRequest!.maxItems, 1000);
  const custom = createOpenApiDocument({ maxBatchItems: 50 }) as typeof doc;
  assert.equal(custom.components.schemas.BatchRequest!.maxItems, 50);
  assert.equal(doc.components.schemas.BatchRequest!.maxItems, 1000, 'the shared document is untouched');
  assert.throws(() => createOpenApiDocument({ maxBatchItems: 0 }), { code: 'CONTRACT_INVALID_OPTION' });
  assert.ok(Object.isFrozen(openApiDocument));
});

test('express-openapi-validator accepts the document and reports one error naming the field', async (t) => {
  const app = express();
  app.use(express.json());
  app.use(
    OpenApiValidator.middleware({
      apiSpec: createOpenApiDocument({ maxBatchItems: 3 }) as never,
      validateRequests: { discriminator: true },
      validateResponses: true,
      validateSecurity: false,
      ajvFormats: { mode: 'full' },
    }),
  );
  app.post('/event', (req, res) => {
    res.status(201).json({ id: req.body.id, topic: 'topic-event', partition: 0, offset: '0' });
  });
  app.post('/events', (req, res) => {
    res.status(200).json({
      results: (req.body as { id: string }[]).map((e, index) => ({
        index,
        id: e.id,
        status: 'published',
        topic: 'topic-event',
        partition: 0,
        offset: String(index),
      })),
    });
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    res.status(err.status ?? 500).json({ message: err.message, errors: err.errors });
  };
  app.use(onError);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((done) => server.close(done)));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = async (path: string, body: unknown) => {
    const response = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { errors?: { path: string }[] } };
  };

  const ok = await post('/event', baseEvent('audit', 'egress'));
  assert.equal(ok.status, 201, JSON.stringify(ok.body));

  const wrongAction = await post('/event', baseEvent('log', 'span'));
  assert.equal(wrongAction.status, 400);
  assert.deepEqual(
    wrongAction.body.errors?.map((e) => e.path),
    ['/body/metadata/event/action'],
  );

  const badTrace = await post('/event', { ...baseEvent(), content: 'not an object' });
  assert.equal(badTrace.status, 400);
  assert.equal(badTrace.body.errors?.[0]?.path, '/body/content');

  const batch = await post('/events', [baseEvent(), baseEvent('trace', 'span')]);
  assert.equal(batch.status, 200, JSON.stringify(batch.body));
  const tooMany = await post('/events', [baseEvent(), baseEvent(), baseEvent(), baseEvent()]);
  assert.equal(tooMany.status, 400);
});

test('POST /event documents the 202 answer of a spooled event', () => {
  const full = openApiDocument as unknown as Json;
  const post = ((full.paths as Json)['/event'] as Json).post as Json;
  const answer = (post.responses as Json)['202'] as Json;
  assert.deepEqual(((answer.content as Json)['application/json'] as Json).schema, {
    $ref: '#/components/schemas/SpooledEventAnswer',
  });
  const schema = ((full.components as Json).schemas as Json).SpooledEventAnswer as Json;
  assert.deepEqual([...(schema.required as string[])].sort(), ['id', 'status']);
  assert.equal(((schema.properties as Json).status as Json).const, 'spooled');
});
