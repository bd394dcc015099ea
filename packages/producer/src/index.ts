export { EventProducer } from './producer.js';
export type { KafkaClient, EventProducerInternals } from './producer.js';
export type { PublishResult, PublishOutcome, ProducerHealth } from './producer.js';
export { PRODUCER_DEFAULTS, produceRetryFor } from './options.js';
export type {
  EventProducerOptions,
  BatchOptions,
  ProducerMetrics,
  ProducerState,
  PartitionStrategy,
  CustomPartitioner,
} from './options.js';
export {
  PRODUCER_ERROR_CODES,
  PRODUCER_ERROR_DESCRIPTIONS,
  ProducerError,
  isProducerError,
  classifyKafkaError,
} from './errors.js';
export type { ProducerErrorCode, ProducerErrorOptions } from './errors.js';
export {
  parsePartitionMap,
  normalizePartitionMap,
  defaultPartitionMap,
  resolvePartitionMap,
  partitionMapProblems,
  partitionsNeeded,
  partitionsForType,
  murmur2,
  toPositive,
  pickByKey,
  eventTypePartition,
  traceIdPartition,
} from './partitioning.js';
export type { PartitionMap } from './partitioning.js';
export { toKafkaRecord, stableStringify, traceparentOf, RECORD_HEADERS } from './record.js';
export type { KafkaRecord } from './record.js';
