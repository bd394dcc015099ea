// The sidecar's configuration: the settings of settings.ts read once, checked as a whole (every problem listed in
// one ConfigError, in the order of the table), then deeply frozen. Precedence, highest first: the settings'
// variables, the original sidecar's `ES_*` variables, its configuration file (original-config/), the defaults.
import { existsSync, readFileSync } from 'node:fs';
import {
  RECORD_ENVELOPE_BYTES,
  parsePartitionMap,
  partitionsNeeded,
  type TopicStrategy,
} from '@event-sidecar/producer';
import { rawValue, type Env } from './env.js';
import { ConfigError } from './errors.js';
import { effectiveLogLevels } from './log-levels.js';
import { readOriginalConfig, type OriginalConfig } from './original-config/file.js';
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

export type { AckMode, LogLevel } from './settings.js';

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
  /**
   * Create the topic at start when it is missing; 'broker': as the brokers would (auto.create.topics.enable, with
   * their defaults); false: a missing topic stops the start.
   */
  readonly createTopic: false | 'broker' | { readonly partitions: number; readonly replicationFactor: number };
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
  /** The level pino logs at (LOG_LEVEL, raised by LOG_FILTER when it lists nothing below). */
  readonly logLevel: LogLevel;
  /** LOG_FILTER, when it leaves a gap above `logLevel`: the only levels written. */
  readonly logOnly?: readonly LogLevel[];
  /** EVENT_SDK_LOG_FILTER: events echoed to the log. */
  readonly eventEcho?: { readonly events: readonly string[]; readonly metadataOnly: boolean };
  readonly metricsDefaultLabels?: Readonly<Record<string, string>>;
  readonly shutdownTimeoutMs: number;
}

export interface LoadConfigOptions {
  /** Reads CONFIG_FILE and KAFKA_SSL_CA_FILE; injectable for tests. */
  readFile?: (path: string) => string;
  /**
   * Look for the original's configuration file in its default places when CONFIG_FILE is unset (the CLI does, as
   * the original did; a program that embeds the sidecar reads only a file CONFIG_FILE names). Default false.
   */
  findConfigFile?: boolean;
  /** Whether a default location of the configuration file holds one; default: fs.existsSync. */
  exists?: (path: string) => boolean;
  /** Where relative paths of CONFIG_FILE start; default: the working directory. */
  cwd?: string;
  /** The user's home when `env` has no HOME (for the default spool directory); default: os.homedir. */
  homedir?: () => string;
}

/** The config and what the original's configuration (file and `ES_*` variables) gave, for the start-up log. */
export interface LoadedConfig {
  readonly config: SidecarConfig;
  readonly original: OriginalConfig;
  /** The settings the original's configuration set that a variable of the table overrode. */
  readonly overridden: readonly SettingName[];
}

/**
 * Reads and validates the environment. Throws ConfigError listing every problem; returns a
 * deeply frozen config. An empty value counts as unset.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): SidecarConfig {
  return loadConfigWithSources(env, options).config;
}

/** loadConfig, with what the original's configuration gave (the CLI logs it once at start). */
export function loadConfigWithSources(env: Env = process.env, options: LoadConfigOptions = {}): LoadedConfig {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const read = readOriginalConfig(env, {
    readFile,
    find: options.findConfigFile ?? false,
    exists: options.exists ?? existsSync,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  // A default the file implies (no key of it sets it) gives way to a variable as if it had never been.
  const original: OriginalConfig = {
    ...read,
    values: new Map([...read.values].filter(([name, v]) => !(v.implied && rawValue(env, name) !== undefined))),
  };
  // The table's variables win; the original's values fill the settings they leave unset.
  const overridden: SettingName[] = [];
  const layered: Record<string, string | undefined> = {};
  for (const name of SETTING_NAMES) {
    const own = rawValue(env, name);
    const fromOriginal = original.values.get(name)?.raw;
    if (own !== undefined && fromOriginal !== undefined) overridden.push(name);
    layered[name] = own ?? fromOriginal;
  }
  const { values: v, problems } = readSettings(layered);
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
  // With `broker` the brokers' num.partitions is known only at connect, where the producer checks the map.
  if (v.PARTITION_MAP !== undefined && typeof v.KAFKA_CREATE_TOPIC_PARTITIONS === 'number') {
    const needed = partitionsNeeded(parsePartitionMap(v.PARTITION_MAP));
    if (v.KAFKA_CREATE_TOPIC_PARTITIONS < needed)
      problem(
        'KAFKA_CREATE_TOPIC_PARTITIONS',
        `KAFKA_CREATE_TOPIC_PARTITIONS must be at least ${needed} for PARTITION_MAP`,
      );
  }

  if (v.KAFKA_CREATE_TOPIC_PARTITIONS === 'broker' && layered.KAFKA_CREATE_TOPIC_REPLICATION_FACTOR !== undefined)
    problem(
      'KAFKA_CREATE_TOPIC_REPLICATION_FACTOR',
      "KAFKA_CREATE_TOPIC_REPLICATION_FACTOR applies only to a number of KAFKA_CREATE_TOPIC_PARTITIONS: with broker, the topic gets the brokers' default.replication.factor",
    );

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

  if (problems.length > 0 || original.problems.length > 0)
    throw new ConfigError([...original.problems, ...inTableOrder(problems).map((p) => withSource(p, original))]);
  const sasl =
    mechanism !== undefined && username !== undefined && password !== undefined
      ? { mechanism, username, password }
      : undefined;
  // Derived from XDG_STATE_HOME / HOME, which locate the user's state: read only when SPOOL_DIR is unset.
  const spoolDir = v.SPOOL_DIR ?? defaultSpoolDir(env, options.homedir);
  const config = deepFreeze(assemble(v, { ca, sasl, spoolDir }));
  return { config, original, overridden };
}

/** A problem naming a setting that the original's configuration set says where that value came from. */
function withSource(message: string, original: OriginalConfig): string {
  const sources = [...original.values]
    .filter(([name]) => new RegExp(`\\b${name}\\b`).test(message))
    .map(([name, { from }]) => `${name} from ${from}`);
  return sources.length === 0 ? message : `${message} (${sources.join('; ')})`;
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
        typeof v.KAFKA_CREATE_TOPIC_PARTITIONS === 'number'
          ? { partitions: v.KAFKA_CREATE_TOPIC_PARTITIONS, replicationFactor: v.KAFKA_CREATE_TOPIC_REPLICATION_FACTOR }
          : (v.KAFKA_CREATE_TOPIC_PARTITIONS ?? false),
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
    ...logging(v),
    ...(v.METRICS_DEFAULT_LABELS === undefined ? {} : { metricsDefaultLabels: v.METRICS_DEFAULT_LABELS }),
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
  };
}

function logging(v: SettingValues): Pick<SidecarConfig, 'logLevel' | 'logOnly' | 'eventEcho'> {
  const { level, only } = effectiveLogLevels(v.LOG_LEVEL, v.LOG_FILTER);
  return {
    logLevel: level,
    ...(only === undefined ? {} : { logOnly: only }),
    ...(v.EVENT_SDK_LOG_FILTER === undefined || v.EVENT_SDK_LOG_FILTER.length === 0
      ? {}
      : { eventEcho: { events: v.EVENT_SDK_LOG_FILTER, metadataOnly: v.EVENT_SDK_LOG_METADATA_ONLY } }),
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
