// The event routes are answered before express-openapi-validator: the body schemas the document gives them
// are never consulted (events are checked by the contract's validator, batches by event-routes.ts). Shown
// with a document whose event bodies no value satisfies: the events still go through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createOpenApiDocument, validateEvent, type EventMessage } from '@event-sidecar/contract';
import { createHealthPolicy } from '../src/health-policy.js';
import { createApp } from '../src/http/app.js';
import { createIngress } from '../src/ingress.js';
import { loadConfig } from '../src/config.js';
import { createMetrics } from '../src/metrics.js';
import type { Publisher } from '../src/producer-views.js';
import { testEvent } from './fixtures.js';

/** The contract's document with event bodies that nothing matches. */
function refusingDocument(): object {
  const document = structuredClone(createOpenApiDocument({ maxBatchItems: 5 })) as {
    paths: Record<string, { post?: { requestBody?: unknown } }>;
  };
  const nothing = { required: true, content: { 'application/json': { schema: { not: {} } } } };
  for (const path of ['/event', '/events']) document.paths[path]!.post!.requestBody = nothing;
  return document;
}

test('the event routes never consult the body schemas of the OpenAPI document', async (t) => {
  const published: EventMessage[] = [];
  const producer: Publisher = {
    topic: 't',
    health: () => ({ state: 'connected', queueDepth: 0, since: new Date() }),
    publish: async (event) => {
      published.push(event);
      return { topic: 't', partition: 0, offset: String(published.length - 1) };
    },
    publishMany: async () => [],
  };
  const metrics = createMetrics(new Registry(), { processMetrics: false });
  const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092', MAX_BATCH_EVENTS: '5' });
  const app = createApp({
    config,
    ingress: createIngress({ producer, validate: validateEvent, metrics }),
    health: createHealthPolicy({ producer }),
    metrics,
    logger: pino({ level: 'silent' }),
    version: '0',
    startTime: new Date(),
    openApiDocument: refusingDocument(),
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = (path: string, body: unknown) =>
    fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  assert.equal((await post('/event', testEvent('1'))).status, 201);
  assert.equal((await post('/events', [testEvent('2'), testEvent('3')])).status, 200);
  assert.deepEqual(
    published.map((e) => e.id),
    ['1', '2', '3'],
  );
  // The document still routes the rest: a path it does not list is 404.
  assert.equal((await post('/nowhere', {})).status, 404);
});
