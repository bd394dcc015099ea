// Which topic each event type is written to: one topic for every type (the original sidecar's `topic-event`,
// partitions reserved per type), or a topic per type (what @mojaloop/event-sdk's direct Kafka mode writes:
// topic-event-log, topic-event-audit, topic-event-trace; here topic-event-error too), so that the consumers
// of current Mojaloop switches, which subscribe to one type's topic, are fed unchanged.
import type { EventType } from '@event-sidecar/contract';
import { EVENT_TYPES } from '@event-sidecar/contract/constants';

export const TOPIC_STRATEGIES = ['single', 'per-type'] as const;
export type TopicStrategy = (typeof TOPIC_STRATEGIES)[number];

/** The names event-sdk's direct mode writes to ('topic-event-' + type). */
export const DEFAULT_TOPIC_TEMPLATE = 'topic-event-{type}';
const TOPIC_TYPE_PLACEHOLDER = '{type}';

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Whether Kafka accepts `name` as a topic name. */
export function isTopicName(name: unknown): name is string {
  return typeof name === 'string' && TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}

/** The topic of `type` under `template`: every `{type}` replaced by the type's name. */
export function topicForType(template: string, type: EventType): string {
  return template.split(TOPIC_TYPE_PLACEHOLDER).join(type);
}

/** The problems of a template (empty when every type gets a legal, distinct topic name). */
export function topicTemplateProblems(template: unknown): string[] {
  if (typeof template !== 'string') return [`topicTemplate must be a string, got ${JSON.stringify(template)}`];
  if (!template.includes(TOPIC_TYPE_PLACEHOLDER)) {
    return [`topicTemplate "${template}" must contain ${TOPIC_TYPE_PLACEHOLDER}, or every type would share one topic`];
  }
  const problems: string[] = [];
  for (const type of EVENT_TYPES) {
    const topic = topicForType(template, type);
    if (!isTopicName(topic)) {
      problems.push(
        `topicTemplate "${template}" gives "${topic}" for ${type}, not a valid Kafka topic name ([a-zA-Z0-9._-], 1-249 characters)`,
      );
    }
  }
  return problems;
}

export type TopicsByType = Readonly<Record<EventType, string>>;

/** The topic of every type: `topic` for all with `single`, the template's name per type with `per-type`. */
export function topicsByType(strategy: TopicStrategy, topic: string, template: string): TopicsByType {
  const out = {} as Record<EventType, string>;
  for (const type of EVENT_TYPES) out[type] = strategy === 'per-type' ? topicForType(template, type) : topic;
  return Object.freeze(out);
}

/** Each topic once, in the order log, audit, trace, error. */
export function distinctTopics(topics: TopicsByType): string[] {
  return [...new Set(EVENT_TYPES.map((type) => topics[type]))];
}
