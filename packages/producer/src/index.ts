// The public surface of @event-sidecar/producer: EventProducer, its options, errors, health and the pure
// partitioning and record functions a consumer calls to find an event or read its record.
export { EventProducer, CLOSE_WAIT_MS } from './producer.js';
export type { KafkaClient, EventProducerInternals } from './producer.js';
export type {
  PublishResult,
  PublishOutcome,
  PublishOptions,
  ProducerHealth,
  CloseOptions,
  CloseResult,
} from './producer.js';
export type { TopicHealth, ProducerState } from './status.js';
export type { ProducerMetrics } from './metrics.js';
export { PRODUCER_DEFAULTS, checkProducerOptions } from './options.js';
export type { EventProducerOptions, BatchOptions, WhenUnavailable } from './options.js';
export { PRODUCER_ERROR_CODES, PRODUCER_ERROR_DESCRIPTIONS, ProducerError, isProducerError } from './errors.js';
export type { ProducerErrorCode, ProducerErrorOptions } from './errors.js';
export {
  parsePartitionMap,
  defaultPartitionMap,
  partitionsNeeded,
  partitionsForType,
  murmur2,
  toPositive,
  eventTypePartition,
  traceIdPartition,
} from './partitioning.js';
export type { PartitionMap, PartitionStrategy, CustomPartitioner } from './partitioning.js';
export { TOPIC_STRATEGIES, topicTemplateProblems } from './topic-layout.js';
export type { TopicStrategy, TopicsByType } from './topic-layout.js';
export { toKafkaRecord } from './record.js';
export { sizedRecord, RECORD_ENVELOPE_BYTES, type SizedRecord } from './ledger.js';
export type { KafkaRecord } from './record.js';
