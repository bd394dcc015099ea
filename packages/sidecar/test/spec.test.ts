import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routingDocument } from '../src/http/spec.js';

const document = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: {
    '/event': {
      post: {
        requestBody: { $ref: '#/components/requestBodies/Event' },
        responses: { '201': { description: 'published' } },
      },
    },
    '/events': {
      post: {
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Batch' } } },
        },
        responses: { '200': { description: 'all published' } },
      },
    },
  },
  components: {
    schemas: {
      EventMessage: { type: 'object', required: ['id'] },
      Batch: { type: 'array', minItems: 1, maxItems: 1000, items: { $ref: '#/components/schemas/EventMessage' } },
    },
    requestBodies: {
      Event: {
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/EventMessage' } } },
      },
    },
  },
};

test('the routing document checks only the outer shape of the event bodies', () => {
  const routed = routingDocument(document, 25) as typeof document;
  assert.deepEqual(routed.paths['/event'].post.requestBody, {
    required: true,
    content: { 'application/json': { schema: { type: 'object' } } },
  });
  assert.deepEqual(routed.paths['/events'].post.requestBody, {
    required: true,
    content: { 'application/json': { schema: { type: 'array', minItems: 1, maxItems: 25, items: {} } } },
  });
  // The contract's own document is left as it was.
  assert.deepEqual(document.paths['/event'].post.requestBody, { $ref: '#/components/requestBodies/Event' });
  assert.equal(document.components.schemas.Batch.maxItems, 1000);
});
