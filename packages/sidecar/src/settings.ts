// Every setting of the sidecar, once: its environment variable, parser, default, description and group.
// loadConfig (config.ts) reads exactly these; `--help` and CONFIG.md's table are rendered from them
// (config-doc.ts). A setting is added here, then given its place in SidecarConfig.
import {
  PRODUCER_DEFAULTS,
  RECORD_ENVELOPE_BYTES,
  TOPIC_STRATEGIES,
  topicTemplateProblems,
  parsePartitionMap,
  type CustomPartitioner,
  type EventProducerOptions,
  type PartitionStrategy,
} from '@event-sidecar/producer';
import { bad, bool, int, ok, oneOf, rawValue, splitList, text, type Env, type IntRange, type Parser } from './env.js';
import { eventLogFilter } from './event-echo.js';
import { logFilter, logLevel, MOJALOOP_LEVELS } from './log-levels.js';
import { DEFAULT_CONFIG_FILES } from './original-config/location.js';
import { producerAccepts } from './producer-checks.js';
import { DEFAULT_SPOOL_DIR_SHOWN, spoolDir } from './spool/location.js';

/** The producer's strategies that can be named in the environment (not a custom function). */
type NamedStrategy = Exclude<PartitionStrategy, CustomPartitioner>;
type ProducerSasl = NonNullable<EventProducerOptions['sasl']>['mechanism'];

const PARTITION_STRATEGIES = ['event-type', 'trace-id'] as const satisfies readonly NamedStrategy[];
export type PartitionStrategyName = (typeof PARTITION_STRATEGIES)[number];
const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const satisfies readonly ProducerSasl[];
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];
// The lists above are checked against the producer's types both ways: no value it refuses, none it takes missing.
const everyStrategy: Exclude<NamedStrategy, PartitionStrategyName> extends never ? true : never = true;
const everyMechanism: Exclude<ProducerSasl, SaslMechanism> extends never ? true : never = true;
void everyStrategy;
void everyMechanism;

/** gRPC Log answers: `confirmed` once Kafka has the event, `received` on receipt (as the original). */
const ACK_MODES = ['confirmed', 'received'] as const;
export type AckMode = (typeof ACK_MODES)[number];
export type { LogLevel } from './log-levels.js';
const SPOOL_SYNC_MODES = ['full', 'normal'] as const;
export type SpoolSyncMode = (typeof SPOOL_SYNC_MODES)[number];

export type SettingGroup = 'Access' | 'HTTP' | 'gRPC' | 'Kafka' | 'Producer' | 'Spool' | 'Logging' | 'Process';

interface SettingSpec<T> {
  readonly group: SettingGroup;
  readonly parse: Parser<T>;
  readonly description: string;
}
export interface Setting<T> extends SettingSpec<T> {
  /** Absent: the setting is unset unless given (or its default is derived at load, see `derivedDefault`). */
  readonly default?: T;
  /** How the docs show a default that loadConfig derives from the environment, not a fixed value. */
  readonly derivedDefault?: string;
}
interface Defaulted<T> extends Setting<T> {
  readonly default: T;
}

// Overloads keep in the type whether a setting has a default, so that its value is `T` or `T | undefined`;
// the parser alone decides T (NoInfer), so that a default 'info' does not widen a level to string.
function setting<T>(spec: SettingSpec<T> & { readonly default: NoInfer<T> }): Defaulted<T>;
function setting<T>(spec: SettingSpec<T> & { readonly derivedDefault?: string }): Setting<T>;
function setting<T>(spec: Setting<T>): Setting<T> {
  return Object.freeze(spec);
}

const PORT = int({ min: 0, max: 65535 });
const MS_MAX = 3_600_000;
const ms = (range: IntRange = {}): Parser<number> => int({ min: 1, max: MS_MAX, ...range });

const token: Parser<string> = (value, name) =>
  value.length < 16 ? bad(`${name} must be at least 16 characters long when set`) : ok(value);

/** Brokers as the producer accepts them; each one it refuses is reported on its own. */
const brokers: Parser<string[]> = (value, name) => {
  const items = splitList(value);
  if (producerAccepts({ brokers: items })) return ok(items);
  if (items.length === 0) return bad(`${name} must list at least one host:port`);
  const refused = items.filter((broker) => !producerAccepts({ brokers: [broker] }));
  return bad(...refused.map((broker) => `${name} must be host:port items separated by commas, got "${broker}"`));
};

const topicName: Parser<string> = (value, name) =>
  producerAccepts({ topic: value })
    ? ok(value)
    : bad(`${name} must be a legal Kafka topic name (letters, digits, '.', '_', '-'), got "${value}"`);

/** Checked with the producer's parser; kept as written, for the producer to parse again. */
const partitionMap: Parser<string> = (value, name) => {
  try {
    parsePartitionMap(value);
    return ok(value);
  } catch (err) {
    return bad(`${name} is invalid: ${(err as Error).message}`);
  }
};

/** Checked with the producer's own check: every type must get a legal topic name. */
const topicTemplate: Parser<string> = (value, name) => {
  const problems = topicTemplateProblems(value);
  return problems.length === 0
    ? ok(value)
    : bad(...problems.map((p) => `${name}: ${p.replace(/^topicTemplate /, '')}`));
};

/** A partition count, or `broker`: as the brokers would create the topic (auto.create.topics.enable). */
const partitionCount = int({ min: 1, max: 10_000 });
const createTopicPartitions: Parser<number | 'broker'> = (value, name) =>
  value.toLowerCase() === 'broker'
    ? ok('broker')
    : /^[+-]?\d+$/.test(value)
      ? partitionCount(value, name)
      : bad(`${name} must be a number of partitions from 1 to 10000, or broker, got "${value}"`);

const topicStrategy = oneOf(TOPIC_STRATEGIES);
const ackMode = oneOf(ACK_MODES);
const strategy = oneOf(PARTITION_STRATEGIES);
const saslMechanism = oneOf(SASL_MECHANISMS);
const spoolSync = oneOf(SPOOL_SYNC_MODES);

/** Prometheus label names; `__` is Prometheus's own, `le` and `quantile` are taken by histograms and summaries. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const labels: Parser<Readonly<Record<string, string>>> = (value, name) => {
  const out: Record<string, string> = {};
  const refused: string[] = [];
  for (const item of splitList(value)) {
    const [label = '', ...rest] = item.split('=');
    const key = label.trim();
    if (rest.length !== 1 || !LABEL_NAME.test(key) || key.startsWith('__') || ['le', 'quantile'].includes(key))
      refused.push(item);
    else out[key] = rest[0]!.trim();
  }
  return refused.length > 0
    ? bad(`${name} must be name=value items separated by commas, got "${refused.join('", "')}"`)
    : ok(out);
};

const batch = PRODUCER_DEFAULTS.batch;

export const SETTINGS = {
  AUTH_TOKEN: setting({
    group: 'Access',
    parse: token,
    description:
      'When set (16+ characters), requests need `Authorization: Bearer <token>` (gRPC: an `authorization` metadata entry, else UNAUTHENTICATED); `/health`, `/live`, `/metrics`, `/openapi.json`, `/docs` and the gRPC health service stay open',
  }),
  HTTP_HOST: setting({
    group: 'HTTP',
    parse: text,
    default: '0.0.0.0',
    description: 'Address the HTTP server listens on',
  }),
  HTTP_PORT: setting({ group: 'HTTP', parse: PORT, default: 4001, description: 'HTTP port (0 picks a free port)' }),
  MAX_BODY_BYTES: setting({
    group: 'HTTP',
    parse: int({ min: 1024, max: 104_857_600 }),
    derivedDefault: `PRODUCER_BATCH_MAX_BYTES - ${RECORD_ENVELOPE_BYTES}`,
    description: `Largest request body (larger bodies get 413) and gRPC message (RESOURCE_EXHAUSTED). At most \`PRODUCER_BATCH_MAX_BYTES\` less the ${RECORD_ENVELOPE_BYTES} bytes a Kafka record adds to an event (key, headers, envelope), so that an event read is an event that fits in a record; one that still does not fit as a record gets 413 too, whether Kafka is up or away`,
  }),
  MAX_BATCH_EVENTS: setting({
    group: 'HTTP',
    parse: int({ min: 1, max: 100_000 }),
    default: 1000,
    description: 'Most events in one `POST /events`',
  }),
  HTTP_REQUEST_TIMEOUT_MS: setting({
    group: 'HTTP',
    parse: ms({ min: 0 }),
    default: 30_000,
    description:
      "Time to receive a whole request (0: none); also bounds the wait for a gRPC call's message (then `DEADLINE_EXCEEDED`)",
  }),
  HTTP_HEADERS_TIMEOUT_MS: setting({
    group: 'HTTP',
    parse: ms({ min: 0 }),
    default: 10_000,
    description: 'Time to receive the request headers',
  }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: setting({
    group: 'HTTP',
    parse: ms({ min: 0 }),
    default: 5_000,
    description: 'Idle time before a keep-alive connection closes',
  }),
  MAX_EVENT_LOOP_DELAY_MS: setting({
    group: 'HTTP',
    parse: ms({ min: 0 }),
    default: 1_000,
    description:
      'Load shedding: while the event loop runs later than this, events (HTTP and gRPC) are not queued until clients time out: with a spool they are spooled (202 / `accepted`, delivered later; a full spool refuses), with `SPOOL_DIR=off` refused at once with 503 / `UNAVAILABLE` and `Retry-After` (0: never)',
  }),
  MAX_IN_FLIGHT_BYTES: setting({
    group: 'HTTP',
    parse: int({ min: 0, max: 1_073_741_824 }),
    default: 16_777_216,
    description:
      'Admission control: bytes of `POST /event` and `/events` bodies (by Content-Length; a chunked body counts as `MAX_BODY_BYTES`) handled at once; beyond it a request is answered 429 with `Retry-After` before its body is read (a request alone is always taken; 0: no bound)',
  }),
  GRPC_HOST: setting({
    group: 'gRPC',
    parse: text,
    default: '0.0.0.0',
    description: 'Address the gRPC server listens on',
  }),
  GRPC_PORT: setting({
    group: 'gRPC',
    parse: PORT,
    default: 50051,
    description: 'gRPC port (0 picks a free port), as the original sidecar',
  }),
  GRPC_MAX_CONNECTION_IDLE_MS: setting({
    group: 'gRPC',
    parse: ms(),
    default: 60_000,
    description:
      'A gRPC connection without a call for this long is closed with GOAWAY (the client reconnects on its next call); bounds connections that never send a call',
  }),
  GRPC_MAX_CONNECTION_AGE_MS: setting({
    group: 'gRPC',
    parse: ms({ max: 86_400_000 }),
    default: 1_800_000,
    description:
      'A gRPC connection is asked to go away (GOAWAY; clients reconnect) after this long (±10%), and closed `HTTP_REQUEST_TIMEOUT_MS` later with any call left: bounds a client that keeps a call open after its answer',
  }),
  ACK_MODE: setting({
    group: 'gRPC',
    parse: ackMode,
    default: 'confirmed',
    description:
      'When gRPC `Log` answers `accepted`: `confirmed`, once Kafka acknowledged the event; `received`, on receipt of a valid event (as the original), later failures only logged and counted',
  }),
  KAFKA_BROKERS: setting({
    group: 'Kafka',
    parse: brokers,
    default: ['localhost:9092'],
    description: 'Bootstrap brokers, `host:port` separated by commas',
  }),
  KAFKA_CLIENT_ID: setting({
    group: 'Kafka',
    parse: text,
    default: PRODUCER_DEFAULTS.clientId,
    description: 'Kafka client id',
  }),
  EVENT_TOPIC: setting({
    group: 'Kafka',
    parse: topicName,
    default: PRODUCER_DEFAULTS.topic,
    description: 'Topic every event is published to with `TOPIC_STRATEGY=single`',
  }),
  TOPIC_STRATEGY: setting({
    group: 'Kafka',
    parse: topicStrategy,
    default: PRODUCER_DEFAULTS.topicStrategy,
    description:
      "`single`: every event on `EVENT_TOPIC` (the original sidecar's layout); `per-type`: each event type on its own topic named by `TOPIC_TEMPLATE` (what event-sdk's direct Kafka mode writes), partitioned by murmur2 of the trace id",
  }),
  TOPIC_TEMPLATE: setting({
    group: 'Kafka',
    parse: topicTemplate,
    default: PRODUCER_DEFAULTS.topicTemplate,
    description:
      'With `TOPIC_STRATEGY=per-type`: the topic of each type, `{type}` replaced by `log`, `audit`, `trace` or `error`',
  }),
  PARTITION_STRATEGY: setting({
    group: 'Kafka',
    parse: strategy,
    default: PRODUCER_DEFAULTS.strategy,
    description:
      '`event-type` (partitions reserved per event type) or `trace-id` (murmur2 of the trace id, as the original)',
  }),
  PARTITION_MAP: setting({
    group: 'Kafka',
    parse: partitionMap,
    description:
      'Partitions per event type with `event-type`, e.g. `log=0-3,audit=4-5,trace=6-9,error=10-11`; default: an even split of the topic',
  }),
  KAFKA_CREATE_TOPIC_PARTITIONS: setting({
    group: 'Kafka',
    parse: createTopicPartitions,
    description:
      "A number: a missing topic (each per-type topic) is created at start with this many partitions. `broker`: created as the brokers would create it at its first event (the original's way), only if every broker has `auto.create.topics.enable=true`, with their `num.partitions` and `default.replication.factor`, and named in a warning; if not, the start stops naming the topic and that setting. Unset: a missing topic stops the start, naming it; with the original's `default.json` (`CONFIG_FILE`), unset means `broker`",
  }),
  KAFKA_CREATE_TOPIC_REPLICATION_FACTOR: setting({
    group: 'Kafka',
    parse: int({ min: 1, max: 32 }),
    default: 1,
    description:
      "Replication factor of a topic created at start with a number of `KAFKA_CREATE_TOPIC_PARTITIONS` (with `broker`: the brokers' `default.replication.factor`)",
  }),
  KAFKA_SSL: setting({ group: 'Kafka', parse: bool, default: false, description: 'Connect to Kafka over TLS' }),
  KAFKA_SSL_CA_FILE: setting({
    group: 'Kafka',
    parse: text,
    description: 'PEM file of the CAs to trust (needs `KAFKA_SSL=true`); default: the system CAs',
  }),
  KAFKA_SSL_REJECT_UNAUTHORIZED: setting({
    group: 'Kafka',
    parse: bool,
    default: true,
    description: "Verify the brokers' certificates",
  }),
  KAFKA_SASL_MECHANISM: setting({
    group: 'Kafka',
    parse: saslMechanism,
    description: '`plain`, `scram-sha-256` or `scram-sha-512`; unset: no SASL',
  }),
  KAFKA_SASL_USERNAME: setting({
    group: 'Kafka',
    parse: text,
    description: 'SASL user name (required with a mechanism)',
  }),
  KAFKA_SASL_PASSWORD: setting({
    group: 'Kafka',
    parse: text,
    description: 'SASL password (required with a mechanism)',
  }),
  KAFKA_CONNECTION_TIMEOUT_MS: setting({
    group: 'Kafka',
    parse: ms(),
    default: PRODUCER_DEFAULTS.connectionTimeoutMs,
    description: 'Time to open a connection to a broker',
  }),
  KAFKA_REQUEST_TIMEOUT_MS: setting({
    group: 'Kafka',
    parse: ms(),
    default: PRODUCER_DEFAULTS.requestTimeoutMs,
    description: 'Time for a broker to answer a request',
  }),
  PUBLISH_TIMEOUT_MS: setting({
    group: 'Producer',
    parse: ms(),
    default: PRODUCER_DEFAULTS.publishTimeoutMs,
    description: 'Time for Kafka to acknowledge an event before the request fails with 503',
  }),
  PRODUCER_LINGER_MS: setting({
    group: 'Producer',
    parse: int({ min: 0, max: 10_000 }),
    default: batch.lingerMs,
    description:
      'Under load, how long the batch that gathers behind a produce request may wait to fill; an event on an idle lane is sent at once',
  }),
  PRODUCER_BATCH_MAX_EVENTS: setting({
    group: 'Producer',
    parse: int({ min: 1, max: 100_000 }),
    default: batch.maxEvents,
    description: 'Most events in one produce request',
  }),
  PRODUCER_BATCH_MAX_BYTES: setting({
    group: 'Producer',
    parse: int({ min: 1024, max: 104_857_600 }),
    default: batch.maxBytes,
    description: 'Most bytes in one produce request',
  }),
  PRODUCER_MAX_QUEUE: setting({
    group: 'Producer',
    parse: int({ min: 1, max: 10_000_000 }),
    default: batch.maxQueue,
    description:
      'Most events waiting for Kafka (at least `MAX_BATCH_EVENTS`); beyond it a single event (`POST /event`, gRPC) is spooled (202 / `accepted`), or with `SPOOL_DIR=off` refused with 429 / `RESOURCE_EXHAUSTED` and `Retry-After`; a `POST /events` gets 429 before it is read',
  }),
  PRODUCER_LANES: setting({
    group: 'Producer',
    parse: int({ min: 1, max: 64 }),
    default: batch.lanes,
    description:
      "Produce requests in flight at once, each through its own producer (at most the partition count); under load each serves its share of the partitions, and a quiet moment's few events share one request",
  }),
  SPOOL_DIR: setting({
    group: 'Spool',
    parse: spoolDir,
    derivedDefault: DEFAULT_SPOOL_DIR_SHOWN,
    description:
      'Directory of the durable spool (SQLite), on by default: an event Kafka cannot take (unavailable, not confirmed within `PUBLISH_TIMEOUT_MS`) is kept on disk, answered 202 (gRPC `accepted`) and delivered when Kafka is back, and the sidecar also starts while Kafka is down. Default `$XDG_STATE_HOME/event-sidecar/spool`, else `~/.local/state/event-sidecar/spool` (the container: `/var/lib/event-sidecar/spool`); a relative path is taken from the working directory. One sidecar per directory (a second one fails to start). `off`: no spool, and events are refused with 503 / `UNAVAILABLE` while Kafka is away, which `@mojaloop/event-sdk` drops',
  }),
  SPOOL_MAX_BYTES: setting({
    group: 'Spool',
    parse: int({ min: 1024, max: Number.MAX_SAFE_INTEGER }),
    default: 1_073_741_824,
    description: 'Most bytes of events (JSON) on the spool; beyond it events get 503 with `Retry-After` again',
  }),
  SPOOL_LINGER_MS: setting({
    group: 'Spool',
    parse: int({ min: 0, max: 1000 }),
    default: 0,
    description:
      'How long a spool write waits for others to share its transaction (group commit); 0: the writes of one turn of the event loop share one, and groups grow with the load (a commit blocks the loop for its fsync, and what arrives meanwhile forms the next group)',
  }),
  SPOOL_DEAD_LETTER_AFTER_MS: setting({
    group: 'Spool',
    parse: ms({ max: 86_400_000 }),
    default: 60_000,
    description:
      'A spooled event Kafka keeps refusing while it is reachable, for a reason it calls retriable (an unknown topic or partition, ...), is moved to the dead letters after this long; a failure that never clears (record too large, authorization refused, ...) moves it at once. Dead letters no longer hold their trace; `event-sidecar dead-letters` lists, exports, requeues and drops them. Kafka being away never makes a dead letter',
  }),
  SPOOL_SYNC: setting({
    group: 'Spool',
    parse: spoolSync,
    default: 'full',
    description:
      '`full`: every spool commit is fsynced (an answered event survives a power cut); `normal`: it survives a crash of the process only',
  }),
  LOG_LEVEL: setting({
    group: 'Logging',
    parse: logLevel,
    default: 'info',
    description: `\`fatal\`, \`error\`, \`warn\`, \`info\`, \`debug\`, \`trace\` or \`silent\`; Mojaloop's names read as the nearest: ${Object.entries(
      MOJALOOP_LEVELS,
    )
      .map(([mojaloop, pino]) => `\`${mojaloop}\` as \`${pino}\``)
      .join(', ')}`,
  }),
  LOG_FILTER: setting({
    group: 'Logging',
    parse: logFilter,
    description:
      "Only these levels are written, e.g. `error, warn, info` (Mojaloop's logger's variable, which its charts set); `fatal` always is, `audit` has no effect. Unset: every level from `LOG_LEVEL` up",
  }),
  EVENT_SDK_LOG_FILTER: setting({
    group: 'Logging',
    parse: eventLogFilter,
    description:
      "Events echoed to the log as they arrive (once valid), selected as `@mojaloop/event-sdk` selects the events it logs (Mojaloop's charts set it on the sidecar): `type:action`, `type:*` or `*`, separated by commas, e.g. `audit:*, log:warn, log:error`. A log event is written at its action's level, others at `info`. Unset: none",
  }),
  EVENT_SDK_LOG_METADATA_ONLY: setting({
    group: 'Logging',
    parse: bool,
    default: false,
    description: "With `EVENT_SDK_LOG_FILTER`: echo only an event's id and `metadata`",
  }),
  CONFIG_FILE: setting({
    group: 'Process',
    parse: text,
    derivedDefault: DEFAULT_CONFIG_FILES[0],
    description: `The original sidecar's configuration file (its \`default.json\`, which Mojaloop's charts mount), read at start: each key that has a meaning here sets a setting (CONFIG.md lists them), and \`ES_*\` variables override its keys as the original's did. The variables of this table override both. Unset, the CLI reads \`${DEFAULT_CONFIG_FILES[0]}\` of the working directory (the image: \`/opt/app/config/default.json\`), else \`${DEFAULT_CONFIG_FILES[1]}\` (older charts), if either exists and is the sidecar's; \`off\`: none. A file that cannot be read or parsed stops the start`,
  }),
  METRICS_DEFAULT_LABELS: setting({
    group: 'Process',
    parse: labels,
    description:
      "Labels on every metric, `name=value` separated by commas (the original's `INSTRUMENTATION.METRICS.config.defaultLabels`)",
  }),
  SHUTDOWN_TIMEOUT_MS: setting({
    group: 'Process',
    parse: ms(),
    default: 15_000,
    description: 'Bound on a graceful stop (finish requests, flush the producer); past it the process exits 1',
  }),
} as const;

export type SettingName = keyof typeof SETTINGS;
type ValueOf<S> = S extends Defaulted<infer T> ? T : S extends Setting<infer T> ? T | undefined : never;
/** Each setting's value: as parsed, else its default (also when its value is refused). */
export type SettingValues = { readonly [K in SettingName]: ValueOf<(typeof SETTINGS)[K]> };

export const SETTING_NAMES = Object.freeze(Object.keys(SETTINGS) as SettingName[]);

export interface SettingProblem {
  readonly setting: SettingName;
  readonly message: string;
}

/** Reads every setting from `env`, in table order: an empty or blank value counts as unset. */
export function readSettings(env: Env): { values: SettingValues; problems: SettingProblem[] } {
  const values: Record<string, unknown> = {};
  const problems: SettingProblem[] = [];
  for (const name of SETTING_NAMES) {
    const spec: Setting<unknown> = SETTINGS[name];
    const raw = rawValue(env, name);
    const parsed = raw === undefined ? undefined : spec.parse(raw, name);
    if (parsed?.ok === false) for (const message of parsed.problems) problems.push({ setting: name, message });
    values[name] = parsed?.ok ? parsed.value : spec.default;
  }
  return { values: values as SettingValues, problems };
}

/** A default as written in the environment (and in the documentation). */
export function formatDefault(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}
