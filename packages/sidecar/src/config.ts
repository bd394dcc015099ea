// The sidecar's configuration: the settings of settings.ts read from the environment once, checked as a whole
// (every problem listed in one ConfigError, in the order of the table), then deeply frozen.
import { readFileSync } from 'node:fs';
import {
  RECORD_ENVELOPE_BYTES,
  parsePartitionMap,
  partitionsNeeded,
  type TopicStrategy,
} from '@event-sidecar/producer';
import { rawValue, type Env } from './env.js';
import { ConfigError } from './errors.js';
import { defaultSpoolDir } from './spool/location.js';
import {
  SETTING_NAMES,
  readSettings,
  type AckMode,
  type LogLevel,
  type PartitionStrategyName,
  type SaslMechanism,
  type SettingName,
  type SettingProblem,
  type SettingValues,
  type SpoolSyncMode,
} from './settings.js';

export {
  ACK_MODES,
  LOG_LEVELS,
  PARTITION_STRATEGIES,
  SASL_MECHANISMS,
  SPOOL_SYNC_MODES,
  type AckMode,
  type LogLevel,
  type PartitionStrategyName,
  type SaslMechanism,
  type SpoolSyncMode,
} from './settings.js';

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
  readonly topicStrategy: TopicStrategy;
  /** With topicStrategy 'per-type'. */
  readonly topicTemplate: string;
  /** With topicStrategy 'single' (per-type topics are partitioned by trace id). */
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

/** The durable local spool (on unless SPOOL_DIR=off). */
export interface SpoolSettings {
  readonly dir: string;
  readonly maxBytes: number;
  readonly lingerMs: number;
  readonly sync: SpoolSyncMode;
  /** How long an event may keep failing for a reason that may clear before it becomes a dead letter. */
  readonly deadLetterAfterMs: number;
}

export interface SidecarConfig {
  readonly http: HttpConfig;
  readonly grpc: GrpcConfig;
  readonly kafka: KafkaConfig;
  readonly producer: ProducerTuning;
  /** Unset only with SPOOL_DIR=off: events Kafka cannot take are kept on disk and answered 202. */
  readonly spool?: SpoolSettings;
  readonly logLevel: LogLevel;
  readonly shutdownTimeoutMs: number;
}

export interface LoadConfigOptions {
  /** Reads KAFKA_SSL_CA_FILE; injectable for tests. */
  readFile?: (path: string) => string;
  /** The user's home when `env` has no HOME (for the default spool directory); default: os.homedir. */
  homedir?: () => string;
}

/**
 * Reads and validates the environment. Throws ConfigError listing every problem; returns a
 * deeply frozen config. An empty value counts as unset.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): SidecarConfig {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const { values: v, problems } = readSettings(env);
  const problem = (setting: SettingName, message: string) => problems.push({ setting, message });

  if (v.HTTP_REQUEST_TIMEOUT_MS > 0 && v.HTTP_HEADERS_TIMEOUT_MS > v.HTTP_REQUEST_TIMEOUT_MS)
    problem('HTTP_HEADERS_TIMEOUT_MS', 'HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  if (v.MAX_BODY_BYTES !== undefined && v.MAX_BODY_BYTES > v.PRODUCER_BATCH_MAX_BYTES - RECORD_ENVELOPE_BYTES)
    problem(
      'MAX_BODY_BYTES',
      `MAX_BODY_BYTES must be at most PRODUCER_BATCH_MAX_BYTES - ${RECORD_ENVELOPE_BYTES} (${v.PRODUCER_BATCH_MAX_BYTES - RECORD_ENVELOPE_BYTES}): an event that large would be read but never fit in a Kafka record; lower it, or raise PRODUCER_BATCH_MAX_BYTES (within the brokers' message.max.bytes)`,
    );
  if (v.PRODUCER_MAX_QUEUE < v.MAX_BATCH_EVENTS)
    problem(
      'PRODUCER_MAX_QUEUE',
      'PRODUCER_MAX_QUEUE must be at least MAX_BATCH_EVENTS, or no full batch could ever be taken',
    );

  if (v.TOPIC_STRATEGY === 'per-type') {
    for (const name of ['PARTITION_STRATEGY', 'PARTITION_MAP'] as const)
      if (rawValue(env, name) !== undefined)
        problem(name, `${name} applies only to TOPIC_STRATEGY=single: per-type topics are partitioned by trace id`);
  }
  // Said even when the map itself is refused: the two are separate mistakes.
  if (rawValue(env, 'PARTITION_MAP') !== undefined && v.PARTITION_STRATEGY !== 'event-type')
    problem('PARTITION_MAP', 'PARTITION_MAP applies only to PARTITION_STRATEGY=event-type');
  if (v.PARTITION_MAP !== undefined && v.KAFKA_CREATE_TOPIC_PARTITIONS !== undefined) {
    const needed = partitionsNeeded(parsePartitionMap(v.PARTITION_MAP));
    if (v.KAFKA_CREATE_TOPIC_PARTITIONS < needed)
      problem(
        'KAFKA_CREATE_TOPIC_PARTITIONS',
        `KAFKA_CREATE_TOPIC_PARTITIONS must be at least ${needed} for PARTITION_MAP`,
      );
  }

  let ca: string | undefined;
  if (v.KAFKA_SSL_CA_FILE !== undefined) {
    if (!v.KAFKA_SSL) problem('KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CA_FILE needs KAFKA_SSL=true');
    try {
      ca = readFile(v.KAFKA_SSL_CA_FILE);
    } catch (err) {
      problem('KAFKA_SSL_CA_FILE', `KAFKA_SSL_CA_FILE cannot be read: ${(err as Error).message}`);
    }
  }

  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = v;
  if (mechanism !== undefined) {
    if (username === undefined)
      problem('KAFKA_SASL_USERNAME', 'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM');
    if (password === undefined)
      problem('KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM');
  } else if (username !== undefined || password !== undefined) {
    problem('KAFKA_SASL_USERNAME', 'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD need KAFKA_SASL_MECHANISM');
  }

  if (problems.length > 0) throw new ConfigError(inTableOrder(problems));
  const sasl =
    mechanism !== undefined && username !== undefined && password !== undefined
      ? { mechanism, username, password }
      : undefined;
  // Derived from XDG_STATE_HOME / HOME, which locate the user's state: read only when SPOOL_DIR is unset.
  const spoolDir = v.SPOOL_DIR ?? defaultSpoolDir(env, options.homedir);
  return deepFreeze(assemble(v, { ca, sasl, spoolDir }));
}

interface Derived {
  readonly ca: string | undefined;
  readonly sasl: KafkaConfig['sasl'];
  /** The spool's directory, or false with SPOOL_DIR=off. */
  readonly spoolDir: string | false;
}

/** The config's shape from the settings' values (all of them valid by now). */
function assemble(v: SettingValues, extra: Derived): SidecarConfig {
  return {
    http: {
      host: v.HTTP_HOST,
      port: v.HTTP_PORT,
      maxBodyBytes: v.MAX_BODY_BYTES ?? v.PRODUCER_BATCH_MAX_BYTES - RECORD_ENVELOPE_BYTES,
      maxBatchEvents: v.MAX_BATCH_EVENTS,
      ...(v.AUTH_TOKEN === undefined ? {} : { authToken: v.AUTH_TOKEN }),
      requestTimeoutMs: v.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: v.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: v.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxEventLoopDelayMs: v.MAX_EVENT_LOOP_DELAY_MS,
      maxInFlightBytes: v.MAX_IN_FLIGHT_BYTES,
    },
    grpc: {
      host: v.GRPC_HOST,
      port: v.GRPC_PORT,
      ackMode: v.ACK_MODE,
      maxConnectionIdleMs: v.GRPC_MAX_CONNECTION_IDLE_MS,
      maxConnectionAgeMs: v.GRPC_MAX_CONNECTION_AGE_MS,
    },
    kafka: {
      brokers: v.KAFKA_BROKERS,
      clientId: v.KAFKA_CLIENT_ID,
      topic: v.EVENT_TOPIC,
      topicStrategy: v.TOPIC_STRATEGY,
      topicTemplate: v.TOPIC_TEMPLATE,
      strategy: v.PARTITION_STRATEGY,
      ...(v.PARTITION_MAP === undefined ? {} : { partitionMap: v.PARTITION_MAP }),
      createTopic:
        v.KAFKA_CREATE_TOPIC_PARTITIONS === undefined
          ? false
          : { partitions: v.KAFKA_CREATE_TOPIC_PARTITIONS, replicationFactor: v.KAFKA_CREATE_TOPIC_REPLICATION_FACTOR },
      ssl: v.KAFKA_SSL
        ? { ...(extra.ca === undefined ? {} : { ca: extra.ca }), rejectUnauthorized: v.KAFKA_SSL_REJECT_UNAUTHORIZED }
        : false,
      ...(extra.sasl === undefined ? {} : { sasl: extra.sasl }),
      connectionTimeoutMs: v.KAFKA_CONNECTION_TIMEOUT_MS,
      requestTimeoutMs: v.KAFKA_REQUEST_TIMEOUT_MS,
    },
    producer: {
      publishTimeoutMs: v.PUBLISH_TIMEOUT_MS,
      lingerMs: v.PRODUCER_LINGER_MS,
      batchMaxEvents: v.PRODUCER_BATCH_MAX_EVENTS,
      batchMaxBytes: v.PRODUCER_BATCH_MAX_BYTES,
      maxQueue: v.PRODUCER_MAX_QUEUE,
      lanes: v.PRODUCER_LANES,
    },
    ...(extra.spoolDir === false
      ? {}
      : {
          spool: {
            dir: extra.spoolDir,
            maxBytes: v.SPOOL_MAX_BYTES,
            lingerMs: v.SPOOL_LINGER_MS,
            sync: v.SPOOL_SYNC,
            deadLetterAfterMs: v.SPOOL_DEAD_LETTER_AFTER_MS,
          },
        }),
    logLevel: v.LOG_LEVEL,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
  };
}

/** Problems in the order of the settings table (a variable's own problems before the rules naming it). */
function inTableOrder(problems: readonly SettingProblem[]): string[] {
  const rank = (p: SettingProblem) => SETTING_NAMES.indexOf(p.setting);
  return [...problems].sort((a, b) => rank(a) - rank(b)).map((p) => p.message);
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
