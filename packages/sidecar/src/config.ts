// The sidecar's configuration: read from the environment once, validated as a whole (every
// problem listed in one ConfigError), then deeply frozen. CONFIG.md documents each variable.
import { readFileSync } from 'node:fs';
import { PRODUCER_DEFAULTS, parsePartitionMap, partitionsNeeded } from '@event-sidecar/producer';
import { EnvReader, type Env } from './env.js';
import { ConfigError } from './errors.js';

export const PARTITION_STRATEGIES = ['event-type', 'trace-id'] as const;
export type PartitionStrategyName = (typeof PARTITION_STRATEGIES)[number];
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];
/** gRPC Log answers: `confirmed` once Kafka has the event, `received` on receipt (as the original). */
export const ACK_MODES = ['confirmed', 'received'] as const;
export type AckMode = (typeof ACK_MODES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly maxBatchEvents: number;
  /** When set, every route but health, live, metrics and docs needs `Authorization: Bearer <token>`. */
  readonly authToken?: string;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** Above this event-loop delay, event requests are refused with 503 at once; 0: never. */
  readonly maxEventLoopDelayMs: number;
  /** Bytes of event request bodies being handled at once; beyond it POSTs get 429 unread. 0: no bound. */
  readonly maxInFlightBytes: number;
}

export interface GrpcConfig {
  readonly host: string;
  readonly port: number;
  readonly ackMode: AckMode;
  /** A connection without a call for this long is closed (the client reconnects on its next call). */
  readonly maxConnectionIdleMs: number;
  /** A connection is asked to go away after this long, and closed HTTP_REQUEST_TIMEOUT_MS later. */
  readonly maxConnectionAgeMs: number;
}

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly topic: string;
  readonly strategy: PartitionStrategyName;
  readonly partitionMap?: string;
  /** Create the topic at start when it is missing; false: a missing topic stops the start. */
  readonly createTopic: false | { readonly partitions: number; readonly replicationFactor: number };
  /** false, true (system CAs) or a CA bundle (PEM) read from KAFKA_SSL_CA_FILE. */
  readonly ssl: false | { readonly ca?: string; readonly rejectUnauthorized: boolean };
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export interface ProducerTuning {
  readonly publishTimeoutMs: number;
  readonly lingerMs: number;
  readonly batchMaxEvents: number;
  readonly batchMaxBytes: number;
  readonly maxQueue: number;
  readonly lanes: number;
}

export const SPOOL_SYNC_MODES = ['full', 'normal'] as const;

/** The durable local spool (off unless SPOOL_DIR is set). */
export interface SpoolSettings {
  readonly dir: string;
  readonly maxBytes: number;
  readonly lingerMs: number;
  readonly sync: (typeof SPOOL_SYNC_MODES)[number];
}

export interface SidecarConfig {
  readonly http: HttpConfig;
  readonly grpc: GrpcConfig;
  readonly kafka: KafkaConfig;
  readonly producer: ProducerTuning;
  /** Set when SPOOL_DIR is: events Kafka cannot take are kept on disk and answered 202. */
  readonly spool?: SpoolSettings;
  readonly logLevel: LogLevel;
  readonly shutdownTimeoutMs: number;
}

const PORT = { min: 0, max: 65535 };
const MS = { min: 1, max: 3_600_000 };

export interface LoadConfigOptions {
  /** Reads KAFKA_SSL_CA_FILE; injectable for tests. */
  readFile?: (path: string) => string;
}

/**
 * Reads and validates the environment. Throws ConfigError listing every problem; returns a
 * deeply frozen config. An empty value counts as unset.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): SidecarConfig {
  const r = new EnvReader(env);
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));

  const authToken = r.string('AUTH_TOKEN');
  if (authToken !== undefined && authToken.length < 16)
    r.problem('AUTH_TOKEN must be at least 16 characters long when set');

  const http: HttpConfig = {
    host: r.string('HTTP_HOST', '0.0.0.0'),
    port: r.int('HTTP_PORT', 4001, PORT),
    maxBodyBytes: r.int('MAX_BODY_BYTES', 1_048_576, { min: 1024, max: 104_857_600 }),
    maxBatchEvents: r.int('MAX_BATCH_EVENTS', 1000, { min: 1, max: 100_000 }),
    ...(authToken === undefined ? {} : { authToken }),
    requestTimeoutMs: r.int('HTTP_REQUEST_TIMEOUT_MS', 30_000, { min: 0, max: MS.max }),
    headersTimeoutMs: r.int('HTTP_HEADERS_TIMEOUT_MS', 10_000, { min: 0, max: MS.max }),
    keepAliveTimeoutMs: r.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, { min: 0, max: MS.max }),
    maxEventLoopDelayMs: r.int('MAX_EVENT_LOOP_DELAY_MS', 1_000, { min: 0, max: MS.max }),
    maxInFlightBytes: r.int('MAX_IN_FLIGHT_BYTES', 16_777_216, { min: 0, max: 1_073_741_824 }),
  };
  if (http.requestTimeoutMs > 0 && http.headersTimeoutMs > http.requestTimeoutMs)
    r.problem('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');

  const grpc: GrpcConfig = {
    host: r.string('GRPC_HOST', '0.0.0.0'),
    port: r.int('GRPC_PORT', 50051, PORT),
    ackMode: r.oneOf('ACK_MODE', ACK_MODES, 'confirmed'),
    maxConnectionIdleMs: r.int('GRPC_MAX_CONNECTION_IDLE_MS', 60_000, MS),
    maxConnectionAgeMs: r.int('GRPC_MAX_CONNECTION_AGE_MS', 1_800_000, { min: 1, max: 86_400_000 }),
  };

  const brokers = r.list('KAFKA_BROKERS', ['localhost:9092']);
  if (brokers.length === 0) r.problem('KAFKA_BROKERS must list at least one host:port');
  for (const broker of brokers) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(broker);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535)
      r.problem(`KAFKA_BROKERS must be host:port items separated by commas, got "${broker}"`);
  }

  const topic = r.string('EVENT_TOPIC', 'topic-event');
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic) || topic === '.' || topic === '..')
    r.problem(`EVENT_TOPIC must be a legal Kafka topic name (letters, digits, '.', '_', '-'), got "${topic}"`);

  const strategy = r.oneOf('PARTITION_STRATEGY', PARTITION_STRATEGIES, 'event-type');
  const partitionMap = r.string('PARTITION_MAP');
  if (partitionMap !== undefined && strategy !== 'event-type')
    r.problem('PARTITION_MAP applies only to PARTITION_STRATEGY=event-type');

  const createPartitions = r.int('KAFKA_CREATE_TOPIC_PARTITIONS', undefined, { min: 1, max: 10_000 });
  if (partitionMap !== undefined) {
    try {
      const needed = partitionsNeeded(parsePartitionMap(partitionMap));
      if (createPartitions !== undefined && createPartitions < needed)
        r.problem(`KAFKA_CREATE_TOPIC_PARTITIONS must be at least ${needed} for PARTITION_MAP`);
    } catch (err) {
      r.problem(`PARTITION_MAP is invalid: ${(err as Error).message}`);
    }
  }
  const replicationFactor = r.int('KAFKA_CREATE_TOPIC_REPLICATION_FACTOR', 1, { min: 1, max: 32 });

  const sslEnabled = r.bool('KAFKA_SSL', false);
  const caFile = r.string('KAFKA_SSL_CA_FILE');
  const rejectUnauthorized = r.bool('KAFKA_SSL_REJECT_UNAUTHORIZED', true);
  let ca: string | undefined;
  if (caFile !== undefined) {
    if (!sslEnabled) r.problem('KAFKA_SSL_CA_FILE needs KAFKA_SSL=true');
    try {
      ca = readFile(caFile);
    } catch (err) {
      r.problem(`KAFKA_SSL_CA_FILE cannot be read: ${(err as Error).message}`);
    }
  }

  const mechanism = r.oneOf('KAFKA_SASL_MECHANISM', SASL_MECHANISMS, undefined);
  const username = r.string('KAFKA_SASL_USERNAME');
  const password = r.string('KAFKA_SASL_PASSWORD');
  if (mechanism !== undefined) {
    if (username === undefined) r.problem('KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM');
    if (password === undefined) r.problem('KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM');
  } else if (username !== undefined || password !== undefined) {
    r.problem('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD need KAFKA_SASL_MECHANISM');
  }

  const kafka: KafkaConfig = {
    brokers,
    clientId: r.string('KAFKA_CLIENT_ID', 'event-sidecar'),
    topic,
    strategy,
    ...(partitionMap === undefined ? {} : { partitionMap }),
    createTopic: createPartitions === undefined ? false : { partitions: createPartitions, replicationFactor },
    ssl: sslEnabled ? { ...(ca === undefined ? {} : { ca }), rejectUnauthorized } : false,
    ...(mechanism !== undefined && username !== undefined && password !== undefined
      ? { sasl: { mechanism, username, password } }
      : {}),
    connectionTimeoutMs: r.int('KAFKA_CONNECTION_TIMEOUT_MS', PRODUCER_DEFAULTS.connectionTimeoutMs, MS),
    requestTimeoutMs: r.int('KAFKA_REQUEST_TIMEOUT_MS', PRODUCER_DEFAULTS.requestTimeoutMs, MS),
  };

  const batch = PRODUCER_DEFAULTS.batch;
  const producer: ProducerTuning = {
    publishTimeoutMs: r.int('PUBLISH_TIMEOUT_MS', PRODUCER_DEFAULTS.publishTimeoutMs, MS),
    lingerMs: r.int('PRODUCER_LINGER_MS', batch.lingerMs, { min: 0, max: 10_000 }),
    batchMaxEvents: r.int('PRODUCER_BATCH_MAX_EVENTS', batch.maxEvents, { min: 1, max: 100_000 }),
    batchMaxBytes: r.int('PRODUCER_BATCH_MAX_BYTES', batch.maxBytes, { min: 1024, max: 104_857_600 }),
    maxQueue: r.int('PRODUCER_MAX_QUEUE', batch.maxQueue, { min: 1, max: 10_000_000 }),
    lanes: r.int('PRODUCER_LANES', batch.lanes, { min: 1, max: 64 }),
  };
  if (producer.maxQueue < http.maxBatchEvents)
    r.problem('PRODUCER_MAX_QUEUE must be at least MAX_BATCH_EVENTS, or no full batch could ever be taken');

  const spoolDir = r.string('SPOOL_DIR');
  const spoolMaxBytes = r.int('SPOOL_MAX_BYTES', 1_073_741_824, { min: 1024, max: Number.MAX_SAFE_INTEGER });
  const spoolLingerMs = r.int('SPOOL_LINGER_MS', 2, { min: 0, max: 1000 });
  const spoolSync = r.oneOf('SPOOL_SYNC', SPOOL_SYNC_MODES, 'full');

  const config: SidecarConfig = {
    http,
    grpc,
    kafka,
    producer,
    ...(spoolDir === undefined
      ? {}
      : { spool: { dir: spoolDir, maxBytes: spoolMaxBytes, lingerMs: spoolLingerMs, sync: spoolSync } }),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 15_000, MS),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

/** The config as it may be logged: secrets replaced. */
export function redactConfig(config: SidecarConfig): unknown {
  return {
    ...config,
    http: { ...config.http, ...(config.http.authToken === undefined ? {} : { authToken: '[REDACTED]' }) },
    kafka: {
      ...config.kafka,
      ssl:
        config.kafka.ssl === false ? false : { ...config.kafka.ssl, ...(config.kafka.ssl.ca ? { ca: '[PEM]' } : {}) },
      ...(config.kafka.sasl === undefined ? {} : { sasl: { ...config.kafka.sasl, password: '[REDACTED]' } }),
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
