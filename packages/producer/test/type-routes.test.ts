// Each event type's route (topic, partitions, chooser) in the single and per-type layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProducerError } from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { createRoutes, routeOf, topicsOf } from '../src/type-routes.js';
import { makeEvent } from './fixtures.js';

const BROKERS = ['localhost:9092'];
const TRACE = 'bbd7b2c7bbd7b2c7bbd7b2c7bbd7b2c7';

test('single: every type on the one topic, in its reserved partitions', () => {
  const opts = resolveOptions({ brokers: BROKERS, topic: 'events' });
  const routes = createRoutes(opts, new Map([['events', 12]]));
  assert.deepEqual(
    Object.values(routes).map((r) => [r.topic, r.partitions]),
    [
      ['events', [0, 1, 2]],
      ['events', [3, 4, 5]],
      ['events', [6, 7, 8]],
      ['events', [9, 10, 11]],
    ],
  );
  assert.ok(routes.audit.partitions.includes(routes.audit.choose(makeEvent('audit', TRACE))));
  assert.deepEqual(topicsOf(routes), [{ topic: 'events', partitions: 12, types: ['log', 'audit', 'trace', 'error'] }]);
});

test('per-type: each type on its own topic, over all of its partitions, by murmur2 of the trace id', () => {
  const opts = resolveOptions({ brokers: BROKERS, topicStrategy: 'per-type' });
  assert.equal(opts.strategy, 'trace-id');
  const partitions = new Map([
    ['topic-event-log', 6],
    ['topic-event-audit', 3],
    ['topic-event-trace', 1],
    ['topic-event-error', 2],
  ]);
  const routes = createRoutes(opts, partitions);
  assert.deepEqual(
    Object.values(routes).map((r) => [r.topic, r.partitions]),
    [
      ['topic-event-log', [0, 1, 2, 3, 4, 5]],
      ['topic-event-audit', [0, 1, 2]],
      ['topic-event-trace', [0]],
      ['topic-event-error', [0, 1]],
    ],
  );
  // Kafka's murmur2("bbd7...c7") is pinned in partitioning.test.ts; here: over 6 and over 3 partitions.
  const event = makeEvent('log', TRACE);
  assert.equal(routeOf(routes, event).topic, 'topic-event-log');
  assert.equal(routes.log.choose(event) % 3, routes.audit.choose(makeEvent('audit', TRACE)));
  assert.deepEqual(
    topicsOf(routes).map((t) => [t.topic, t.partitions, t.types]),
    [
      ['topic-event-log', 6, ['log']],
      ['topic-event-audit', 3, ['audit']],
      ['topic-event-trace', 1, ['trace']],
      ['topic-event-error', 2, ['error']],
    ],
  );
});

test('an unknown type has no route: its entry fails with INVALID_EVENT', () => {
  const opts = resolveOptions({ brokers: BROKERS, topicStrategy: 'per-type' });
  const routes = createRoutes(opts, new Map(Object.values(opts.topics).map((t) => [t, 2])));
  const odd = makeEvent('log', TRACE);
  (odd.metadata.event as { type: string }).type = 'metric';
  assert.throws(
    () => routeOf(routes, odd).choose(odd),
    (e) => e instanceof ProducerError && e.code === 'INVALID_EVENT',
  );
});

test('per-type refuses a partition strategy or map, and a template without {type}', () => {
  assert.throws(() => resolveOptions({ brokers: BROKERS, topicStrategy: 'per-type', strategy: 'event-type' }), {
    code: 'INVALID_OPTIONS',
    message: /strategy applies to topicStrategy 'single' only/,
  });
  assert.throws(
    () =>
      resolveOptions({ brokers: BROKERS, topicStrategy: 'per-type', partitionMap: 'log=0,audit=1,trace=2,error=3' }),
    {
      message: /partitionMap applies to topicStrategy 'single' only/,
    },
  );
  assert.throws(() => resolveOptions({ brokers: BROKERS, topicStrategy: 'per-type', topicTemplate: 'events' }), {
    message: /must contain \{type\}/,
  });
  assert.throws(() => resolveOptions({ brokers: BROKERS, topicStrategy: 'both' as never }), {
    message: /topicStrategy must be single or per-type/,
  });
});
