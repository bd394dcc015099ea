// Which topic each event type is written to, in both layouts, and the checks of the topic template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_TOPIC_TEMPLATE,
  distinctTopics,
  isTopicName,
  topicForType,
  topicsByType,
  topicTemplateProblems,
} from '../src/topic-layout.js';

test('per-type with the default template gives the topics event-sdk writes, and one for error', () => {
  assert.deepEqual(topicsByType('per-type', 'ignored', DEFAULT_TOPIC_TEMPLATE), {
    log: 'topic-event-log',
    audit: 'topic-event-audit',
    trace: 'topic-event-trace',
    error: 'topic-event-error',
  });
  assert.deepEqual(distinctTopics(topicsByType('per-type', 'x', 'events.{type}.v1')), [
    'events.log.v1',
    'events.audit.v1',
    'events.trace.v1',
    'events.error.v1',
  ]);
});

test('single puts every type on the one topic', () => {
  const topics = topicsByType('single', 'topic-event', DEFAULT_TOPIC_TEMPLATE);
  assert.deepEqual(Object.values(topics), ['topic-event', 'topic-event', 'topic-event', 'topic-event']);
  assert.deepEqual(distinctTopics(topics), ['topic-event']);
});

test('every {type} of a template is replaced', () => {
  assert.equal(topicForType('{type}-events-{type}', 'audit'), 'audit-events-audit');
});

test('a template without {type}, or one that makes an illegal name, is refused with the name', () => {
  assert.deepEqual(topicTemplateProblems(DEFAULT_TOPIC_TEMPLATE), []);
  assert.match(topicTemplateProblems('topic-event').join(), /must contain \{type\}/);
  assert.match(topicTemplateProblems('topic event {type}').join(), /gives "topic event log" for log/);
  assert.match(topicTemplateProblems('{type}' + 'x'.repeat(247)).join(), /for audit/);
  assert.match(topicTemplateProblems(42).join(), /must be a string/);
  assert.equal(isTopicName('..'), false);
  assert.equal(isTopicName('topic-event-log'), true);
});
