// The event types at compile time (an SDK-shaped event type-checks and narrows) and the frozen constants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  AuditEventAction,
  EventAction,
  EventMessage,
  EventMessageOf,
  EventMetadata,
  EventType,
  LogEventMetadata,
} from '../src/index.js';
import { EVENT_ACTIONS, EVENT_TYPES, validateEvent } from '../src/index.js';

// Compile-time checks (run by `npm run typecheck`): the constants cover the unions exactly.
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typesMatch: Equal<(typeof EVENT_TYPES)[number], EventType> = true;
const actionsMatch: Equal<(typeof EVENT_ACTIONS)[keyof typeof EVENT_ACTIONS][number], EventAction> = true;
const auditMatch: Equal<(typeof EVENT_ACTIONS)['audit'][number], AuditEventAction> = true;
const wrongAction: LogEventMetadata = {
  id: 'e1',
  type: 'log',
  // @ts-expect-error span is not a log action
  action: 'span',
  createdAt: '2026-01-01T00:00:00.000Z',
  state: { status: 'success' },
};

test('an SDK-shaped event type-checks without from/to, and narrows by metadata.event.type', () => {
  const event: EventMessageOf<'audit'> = {
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
  const general: EventMessage = event;
  const metadata: EventMetadata = general.metadata.event;
  if (metadata.type === 'log') {
    const log: LogEventMetadata = metadata;
    assert.fail(`not a log event: ${log.action}`);
  }
  assert.equal(event.metadata.event.action, 'start');
  assert.ok(validateEvent(event).ok);
  assert.ok(typesMatch && actionsMatch && auditMatch);
  assert.equal(validateEvent({ ...event, metadata: { ...event.metadata, event: wrongAction } }).ok, false);
});

test('EVENT_TYPES and EVENT_ACTIONS are frozen', () => {
  assert.ok(Object.isFrozen(EVENT_TYPES));
  assert.ok(Object.isFrozen(EVENT_ACTIONS));
  assert.ok(Object.values(EVENT_ACTIONS).every((actions) => Object.isFrozen(actions)));
});
