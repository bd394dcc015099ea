// Options: validated once (every problem listed in one INVALID_OPTIONS error), defaults applied, then frozen.
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import { isProducerError, ProducerError } from './errors.js';
import type { ProducerMetrics } from './metrics.js';
import { loadSqlite } from './journal.js';
import { normalizePartitionMap, parsePartitionMap, type PartitionMap, type PartitionStrategy } from './partitioning.js';
import {
  DEFAULT_TOPIC_TEMPLATE,
  isTopicName,
  TOPIC_STRATEGIES,
  topicsByType,
  topicTemplateProblems,
  type TopicStrategy,
  type TopicsByType,
} from './topic-layout.js';

/** What publish() does with an event Kafka cannot take yet: see EventProducerOptions.whenUnavailable. */
const WHEN_UNAVAILABLE = ['refuse', 'wait'] as const;
export type WhenUnavailable = (typeof WHEN_UNAVAILABLE)[number];

export interface BatchOptions {
  /**
   * Under load only: the batch that gathered behind a lane's request in flight is sent when that request
   * completes, or later, once its oldest event has waited this long (default 2 ms). An event on a lane with
   * nothing in flight is sent at once.
   */
  lingerMs?: number;
  /** Most events in one produce request (default 500). */
  maxEvents?: number;
  /** Most bytes in one produce request, and the largest event accepted (default 1,000,000). */
  maxBytes?: number;
  /**
   * Most events taken but not yet confirmed; beyond it publish() fails with OVERLOADED (default 10,000; 100,000
   * with whenUnavailable 'wait', librdkafka's queue.buffering.max.messages).
   */
  maxQueue?: number;
  /** Most bytes of records taken but not yet confirmed; beyond it publish() fails with OVERLOADED (default 256 MiB). */
  maxQueueBytes?: number;
  /**
   * Produce requests in flight at once (default 4, at most the topic's partitions): each lane is its own kafkajs
   * producer, with its own queue and one request in flight, for the partitions p with p % lanes = its number,
   * so that each partition keeps its order and idempotence.
   */
  lanes?: number;
}

export interface EventProducerOptions {
  /** 'host:port' of one or more brokers. */
  brokers: string[];
  clientId?: string;
  /** The topic of every event with topicStrategy 'single'. */
  topic?: string;
  /**
   * 'single' (default): every event on `topic`, partitioned by `strategy`. 'per-type': each event type on its own
   * topic named by `topicTemplate`, partitioned by murmur2 of the trace id (as event-sdk's direct mode writes).
   */
  topicStrategy?: TopicStrategy;
  /** With 'per-type': the topic of each type, `{type}` replaced by its name (default 'topic-event-{type}'). */
  topicTemplate?: string;
  /** With topicStrategy 'single' only. */
  strategy?: PartitionStrategy;
  /** Strategy 'event-type' only, e.g. 'log=0-3,audit=4-5,trace=6-9,error=10-11'; default: an even split. */
  partitionMap?: string | PartitionMap;
  /**
   * Create the topic in connect() when it is missing (default false: connect() fails with TOPIC_NOT_FOUND).
   * 'broker': only as the brokers would create it at its first record, when every one has
   * auto.create.topics.enable=true, with their num.partitions and default.replication.factor (a warning names it).
   */
  createTopic?: { partitions: number; replicationFactor?: number } | 'broker' | false;
  ssl?: boolean | ConnectionOptions;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * publish() rejects with PUBLISH_TIMEOUT when Kafka has not confirmed the event after this long (default 10,000;
   * 300,000 with whenUnavailable 'wait', librdkafka's message.timeout.ms).
   */
  publishTimeoutMs?: number;
  /**
   * What happens to an event Kafka cannot take yet. 'refuse' (default; the sidecar's, whose spool takes the event):
   * while the brokers are unreachable publish() fails at once with KAFKA_UNAVAILABLE, and a failed request fails its
   * events. 'wait' (a service that logs straight to Kafka, as librdkafka keeps a message): the event waits in memory
   * and is sent again, in order per partition, until Kafka confirms it or publishTimeoutMs passes; only a full
   * queue (batch.maxQueue, batch.maxQueueBytes), the deadline or an error Kafka gives for the event itself fail it.
   */
  whenUnavailable?: WhenUnavailable;
  /**
   * With whenUnavailable 'wait': a file (SQLite, node:sqlite: Node.js 22.13 or newer) where each event waits on
   * disk as well as in memory, so that the events of a process that dies (a crash, SIGKILL, or close() before
   * Kafka took them) are sent by the next run's connect(), before any new one. One producer per file. Default: none.
   */
  journal?: string;
  idempotent?: boolean;
  batch?: BatchOptions;
  /** pino; the producer logs through logger.child({ component: 'producer' }). */
  logger?: Logger;
  metrics?: Partial<ProducerMetrics>;
}

export interface ResolvedOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly topic: string;
  readonly topicStrategy: TopicStrategy;
  readonly topicTemplate: string;
  /** The topic of each event type. */
  readonly topics: TopicsByType;
  /** 'trace-id' with topicStrategy 'per-type'. */
  readonly strategy: PartitionStrategy;
  readonly partitionMap: PartitionMap | undefined;
  readonly createTopic: { readonly partitions: number; readonly replicationFactor: number } | 'broker' | false;
  readonly ssl: boolean | ConnectionOptions | undefined;
  readonly sasl: EventProducerOptions['sasl'];
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly publishTimeoutMs: number;
  readonly whenUnavailable: WhenUnavailable;
  readonly journal: string | undefined;
  readonly idempotent: boolean;
  readonly batch: Readonly<Required<BatchOptions>>;
  readonly logger: Logger | undefined;
  readonly metrics: Partial<ProducerMetrics>;
}

export const PRODUCER_DEFAULTS = Object.freeze({
  clientId: 'event-sidecar',
  topic: 'topic-event',
  topicStrategy: 'single',
  topicTemplate: DEFAULT_TOPIC_TEMPLATE,
  strategy: 'event-type',
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 10_000,
  publishTimeoutMs: 10_000,
  whenUnavailable: 'refuse',
  idempotent: true,
  batch: Object.freeze({
    lingerMs: 2,
    maxEvents: 500,
    maxBytes: 1_000_000,
    maxQueue: 10_000,
    maxQueueBytes: 256 * 1024 * 1024,
    lanes: 4,
  }),
} as const satisfies Partial<EventProducerOptions>);

/** The defaults that differ with whenUnavailable 'wait': librdkafka's, which a service's direct mode runs with. */
export const WAIT_DEFAULTS = Object.freeze({ publishTimeoutMs: 300_000, maxQueue: 100_000 });

const BROKER = /^(?:\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/;
const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'];
const OPTION_KEYS = new Set([
  'brokers',
  'clientId',
  'topic',
  'topicStrategy',
  'topicTemplate',
  'strategy',
  'partitionMap',
  'createTopic',
  'ssl',
  'sasl',
  'connectionTimeoutMs',
  'requestTimeoutMs',
  'publishTimeoutMs',
  'whenUnavailable',
  'journal',
  'idempotent',
  'batch',
  'logger',
  'metrics',
]);
const METRIC_KEYS = ['published', 'failed', 'publishLatency', 'batchSize', 'queueDepth', 'connectionState'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function intOption(
  problems: string[],
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

/**
 * Throws the INVALID_OPTIONS error the EventProducer constructor would throw for `options`, and returns otherwise:
 * for a host that checks its configuration at start-up, before it creates the producer.
 */
export function checkProducerOptions(options: EventProducerOptions): void {
  resolveOptions(options);
}

/** Validates `options`, applies defaults and freezes the result; throws one INVALID_OPTIONS listing every problem. */
export function resolveOptions(options: EventProducerOptions): ResolvedOptions {
  const problems: string[] = [];
  if (!isObject(options)) throw new ProducerError('INVALID_OPTIONS', 'producer options: expected an object');
  for (const key of Object.keys(options)) if (!OPTION_KEYS.has(key)) problems.push(`unknown option "${key}"`);

  const brokers: string[] = [];
  if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
    problems.push('brokers must be a non-empty array of "host:port"');
  } else {
    for (const b of options.brokers) {
      const m = typeof b === 'string' ? BROKER.exec(b.trim()) : null;
      if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535)
        problems.push(`broker ${JSON.stringify(b)} is not "host:port"`);
      else brokers.push(b.trim());
    }
  }

  const clientId = options.clientId ?? PRODUCER_DEFAULTS.clientId;
  if (typeof clientId !== 'string' || clientId.trim() === '') problems.push('clientId must be a non-empty string');

  const topic = options.topic ?? PRODUCER_DEFAULTS.topic;
  if (!isTopicName(topic)) {
    problems.push(`topic ${JSON.stringify(topic)} is not a valid Kafka topic name ([a-zA-Z0-9._-], 1-249 characters)`);
  }

  const topicStrategy = options.topicStrategy ?? PRODUCER_DEFAULTS.topicStrategy;
  if (!TOPIC_STRATEGIES.includes(topicStrategy)) {
    problems.push(`topicStrategy must be ${TOPIC_STRATEGIES.join(' or ')}, got ${JSON.stringify(topicStrategy)}`);
  }
  const topicTemplate = options.topicTemplate ?? PRODUCER_DEFAULTS.topicTemplate;
  problems.push(...topicTemplateProblems(topicTemplate));
  const perType = topicStrategy === 'per-type';

  // Inside a topic of its own, a type needs no reserved partitions: murmur2 of the trace id over all of them, as
  // Java's default partitioner and librdkafka's murmur2_random place the SDK's direct writes.
  const strategy = perType ? 'trace-id' : (options.strategy ?? PRODUCER_DEFAULTS.strategy);
  if (strategy !== 'event-type' && strategy !== 'trace-id' && typeof strategy !== 'function') {
    problems.push(`strategy must be 'event-type', 'trace-id' or a function, got ${JSON.stringify(strategy)}`);
  }
  if (perType && options.strategy !== undefined && options.strategy !== 'trace-id') {
    problems.push("strategy applies to topicStrategy 'single' only: per-type topics are partitioned by trace id");
  }
  if (perType && options.partitionMap !== undefined) {
    problems.push("partitionMap applies to topicStrategy 'single' only: per-type topics are partitioned by trace id");
  }

  let partitionMap: PartitionMap | undefined;
  if (options.partitionMap !== undefined && strategy === 'event-type') {
    try {
      partitionMap =
        typeof options.partitionMap === 'string'
          ? parsePartitionMap(options.partitionMap)
          : normalizePartitionMap(options.partitionMap);
    } catch (e) {
      problems.push(isProducerError(e) ? e.message : String(e));
    }
  }

  let createTopic: ResolvedOptions['createTopic'] = false;
  if (options.createTopic === 'broker') createTopic = 'broker';
  else if (options.createTopic !== undefined && options.createTopic !== false) {
    if (!isObject(options.createTopic)) {
      problems.push(
        `createTopic must be false, 'broker' or { partitions, replicationFactor? }, got ${JSON.stringify(options.createTopic)}`,
      );
    } else {
      const partitions = intOption(problems, 'createTopic.partitions', options.createTopic.partitions, 1, 1, 100_000);
      if (options.createTopic.partitions === undefined) problems.push('createTopic.partitions is required');
      const replicationFactor = intOption(
        problems,
        'createTopic.replicationFactor',
        options.createTopic.replicationFactor,
        1,
        1,
        1000,
      );
      createTopic = Object.freeze({ partitions, replicationFactor });
    }
  }

  if (options.ssl !== undefined && typeof options.ssl !== 'boolean' && !isObject(options.ssl)) {
    problems.push('ssl must be a boolean or TLS connection options');
  }
  if (options.sasl !== undefined) {
    const sasl = options.sasl as unknown;
    if (!isObject(sasl)) problems.push('sasl must be { mechanism, username, password }');
    else {
      if (!SASL_MECHANISMS.includes(sasl.mechanism as string)) {
        problems.push(`sasl.mechanism must be one of ${SASL_MECHANISMS.join(', ')}`);
      }
      if (typeof sasl.username !== 'string' || sasl.username === '') problems.push('sasl.username is required');
      if (typeof sasl.password !== 'string') problems.push('sasl.password is required');
    }
  }

  const connectionTimeoutMs = intOption(
    problems,
    'connectionTimeoutMs',
    options.connectionTimeoutMs,
    PRODUCER_DEFAULTS.connectionTimeoutMs,
    1,
  );
  const requestTimeoutMs = intOption(
    problems,
    'requestTimeoutMs',
    options.requestTimeoutMs,
    PRODUCER_DEFAULTS.requestTimeoutMs,
    1,
  );
  const whenUnavailable = options.whenUnavailable ?? PRODUCER_DEFAULTS.whenUnavailable;
  if (!WHEN_UNAVAILABLE.includes(whenUnavailable)) {
    problems.push(`whenUnavailable must be ${WHEN_UNAVAILABLE.join(' or ')}, got ${JSON.stringify(whenUnavailable)}`);
  }
  const waits = whenUnavailable === 'wait';
  const journal = options.journal;
  if (journal !== undefined) {
    if (typeof journal !== 'string' || journal.trim() === '') problems.push('journal must be the path of a file');
    else if (!waits) problems.push("journal needs whenUnavailable 'wait' (a refusing producer keeps nothing)");
    else {
      const sqlite = loadSqlite();
      if (typeof sqlite === 'string') problems.push(sqlite);
    }
  }
  const publishTimeoutMs = intOption(
    problems,
    'publishTimeoutMs',
    options.publishTimeoutMs,
    waits ? WAIT_DEFAULTS.publishTimeoutMs : PRODUCER_DEFAULTS.publishTimeoutMs,
    1,
  );

  const idempotent = options.idempotent ?? PRODUCER_DEFAULTS.idempotent;
  if (typeof idempotent !== 'boolean') problems.push('idempotent must be a boolean');

  const b: Record<string, unknown> = options.batch === undefined ? {} : (options.batch as Record<string, unknown>);
  if (!isObject(b)) problems.push('batch must be an object');
  const d = PRODUCER_DEFAULTS.batch;
  const batch = Object.freeze({
    lingerMs: intOption(problems, 'batch.lingerMs', b.lingerMs, d.lingerMs, 0, 60_000),
    maxEvents: intOption(problems, 'batch.maxEvents', b.maxEvents, d.maxEvents, 1, 1_000_000),
    maxBytes: intOption(problems, 'batch.maxBytes', b.maxBytes, d.maxBytes, 1024),
    maxQueue: intOption(
      problems,
      'batch.maxQueue',
      b.maxQueue,
      waits ? WAIT_DEFAULTS.maxQueue : d.maxQueue,
      1,
      10_000_000,
    ),
    maxQueueBytes: intOption(problems, 'batch.maxQueueBytes', b.maxQueueBytes, d.maxQueueBytes, 1024),
    lanes: intOption(problems, 'batch.lanes', b.lanes, d.lanes, 1, 64),
  });
  if (isObject(b)) {
    for (const key of Object.keys(b)) if (!(key in d)) problems.push(`unknown option "batch.${key}"`);
  }

  const logger = options.logger;
  if (logger !== undefined && (typeof logger !== 'object' || typeof logger?.child !== 'function')) {
    problems.push('logger must be a pino logger');
  }
  const metrics = options.metrics ?? {};
  if (!isObject(metrics)) problems.push('metrics must be an object of functions');
  else {
    for (const [key, fn] of Object.entries(metrics)) {
      if (!METRIC_KEYS.includes(key)) problems.push(`unknown metrics hook "${key}"`);
      else if (fn !== undefined && typeof fn !== 'function') problems.push(`metrics.${key} must be a function`);
    }
  }

  if (problems.length > 0) {
    throw new ProducerError('INVALID_OPTIONS', `invalid producer options: ${problems.join('; ')}`);
  }
  return Object.freeze({
    brokers: Object.freeze(brokers),
    clientId,
    topic,
    topicStrategy,
    topicTemplate,
    topics: topicsByType(topicStrategy, topic, topicTemplate),
    strategy,
    partitionMap,
    createTopic,
    ssl: options.ssl,
    sasl: options.sasl ? Object.freeze({ ...options.sasl }) : undefined,
    connectionTimeoutMs,
    requestTimeoutMs,
    publishTimeoutMs,
    whenUnavailable,
    journal,
    idempotent,
    batch,
    logger,
    metrics: Object.freeze({ ...metrics }),
  });
}

/**
 * kafkajs's retries for one produce request, bounded so that they end within about half of publishTimeoutMs:
 * a request that keeps failing is reported (and the producer marked down) well before callers time out. With
 * whenUnavailable 'wait' the producer sends a failed request's events again itself, so a request's own retries
 * stay those of the default timeout (client.ts): an outage is noticed in seconds, not minutes.
 */
export function produceRetryFor(publishTimeoutMs: number): {
  retries: number;
  initialRetryTime: number;
  maxRetryTime: number;
} {
  const initialRetryTime = 100;
  const maxRetryTime = 1000;
  const budget = publishTimeoutMs / 2;
  let retries = 0;
  let spent = 0;
  let next = initialRetryTime;
  while (spent + next <= budget && retries < 30) {
    spent += next;
    retries++;
    next = Math.min(next * 2, maxRetryTime);
  }
  // The idempotent producer needs at least one retry (kafkajs refuses fewer).
  return { retries: Math.max(1, retries), initialRetryTime, maxRetryTime };
}
