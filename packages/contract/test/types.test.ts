import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage } from '../src/index.js';

test('an SDK-shaped event type-checks without from/to', () => {
  const event: EventMessage<'audit'> = {
    id: 'b51ec534-ee48-4575-b6a9-ead2955b8069',
    type: 'application/json',
    content: { hello: 'world' },
    metadata: {
      event: {
        id: 'e1',
        type: 'audit',
        action: 'start',
        createdAt: '2026-01-01T00:00:00.000Z',
        state: { status: 'success' },
      },
      trace: { service: 'svc', traceId: '0'.repeat(32), spanId: '1'.repeat(16) },
    },
  };
  assert.equal(event.metadata.event.action, 'start');
});
