// The original sidecar's configuration keys (its `default.json`, as Mojaloop's Helm charts render it), each with
// what it becomes here: a setting of settings.ts, nothing because the sidecar already does what the value asks,
// a note that it cannot be honoured (named in the start-up warning), or a problem that stops the start (a value
// that would make the sidecar connect otherwise than asked). map.ts walks a file with this table; CONFIG.md's
// table of the original's keys is rendered from it.
import { bool } from '../env.js';
import type { SettingName } from '../settings.js';
import type { Json } from './rc-env.js';

/** What one key's value becomes. Raw setting values are written as the variable would hold them. */
interface Outcome {
  readonly set?: Partial<Record<SettingName, string>>;
  /** Why the value cannot be honoured here (the start-up warning names the key with it). */
  readonly notHonoured?: string;
  /** A value the sidecar cannot run with (the start stops, naming the key). */
  readonly problem?: string;
}

export interface OriginalKey {
  readonly path: readonly string[];
  /** What the key becomes, for CONFIG.md. */
  readonly becomes: string;
  /** The key holds an object read as a whole (else a value: string, number or boolean). */
  readonly object?: true;
  /** From the key's value to its outcome; absent: accepted with no effect, as in the original. */
  readonly read?: (value: Json) => Outcome;
}

/** A level of the format that holds keys. `open`: other keys there are settings of a library, not unknown. */
export interface Container {
  readonly path: readonly string[];
  readonly open?: string;
}

const EVENT = ['KAFKA', 'PRODUCER', 'EVENT', 'config'];
const RDKAFKA = [...EVENT, 'rdkafkaConf'];
const TOPIC_CONF = [...EVENT, 'topicConf'];
const OPTIONS = [...EVENT, 'options'];
const METRICS = ['INSTRUMENTATION', 'METRICS'];
const TEMPLATE = ['KAFKA', 'TOPIC_TEMPLATES', 'GENERAL_TOPIC_TEMPLATE'];

/** The metric prefix of this sidecar (metrics.ts). */
const OUR_METRIC_PREFIX = 'event_sidecar_';

const LIBRDKAFKA = 'a librdkafka setting with no equivalent here';

/** A scalar as a variable would hold it. */
export function scalarText(value: Json): string | undefined {
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : undefined;
}

const to =
  (setting: SettingName) =>
  (value: Json): Outcome => ({ set: { [setting]: scalarText(value)! } });

/** A boolean key: `true`/`false`, or as a variable writes them (`"true"`, `"1"`, ...). */
function flag(value: Json, onTrue: Outcome, onFalse: Outcome): Outcome {
  const parsed = bool(scalarText(value)!.trim(), 'value');
  if (!parsed.ok) return { problem: `must be true or false, got ${JSON.stringify(value)}` };
  return parsed.value ? onTrue : onFalse;
}

const ok: Outcome = {};

/** Mustache as the original rendered the template, for the one variable it passed: `functionality`. */
function renderTopicTemplate(template: string, functionality = 'event'): Outcome {
  const unknown: string[] = [];
  const topic = template.replace(/\{\{(\{?)\s*(&?)\s*([^{}]*?)\s*\}?\}\}/g, (tag, _triple, _amp, name: string) => {
    if (name === 'functionality') return functionality;
    unknown.push(tag);
    return tag;
  });
  if (unknown.length > 0)
    return { problem: `holds ${unknown.join(', ')}: only {{functionality}} is known (it gives "${functionality}")` };
  return { set: { EVENT_TOPIC: topic } };
}

/** librdkafka's broker list: `[protocol://]host[:port]` separated by commas, 9092 when no port is given. */
function brokerList(value: Json): Outcome {
  const items = String(scalarText(value))
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => item.replace(/^(plaintext|ssl|sasl_plaintext|sasl_ssl):\/\//i, ''))
    .map((item) => (/:\d+$/.test(item) || /^\[[^\]]*\]:\d+$/.test(item) ? item : `${item}:9092`));
  return { set: { KAFKA_BROKERS: items.join(',') } };
}

const SECURITY: Record<string, string> = { plaintext: 'false', ssl: 'true', sasl_plaintext: 'false', sasl_ssl: 'true' };

const MECHANISMS: Record<string, string> = {
  plain: 'plain',
  'scram-sha-256': 'scram-sha-256',
  'scram-sha-512': 'scram-sha-512',
};

function saslMechanism(value: Json): Outcome {
  const name = String(scalarText(value)).trim().toLowerCase();
  const mechanism = MECHANISMS[name];
  return mechanism
    ? { set: { KAFKA_SASL_MECHANISM: mechanism } }
    : { problem: `${JSON.stringify(value)} is not supported: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512` };
}

function acks(value: Json): Outcome {
  const text = String(scalarText(value)).trim().toLowerCase();
  return text === 'all' || text === '-1'
    ? ok
    : { notHonoured: 'the idempotent producer always waits for every in-sync replica (acks=all)' };
}

const MURMUR2 = ['murmur2', 'murmur2_random'];
const PARTITIONERS = ['random', 'consistent', 'consistent_random', ...MURMUR2, 'fnv1a', 'fnv1a_random'];

/** The original keyed each record by its trace id: murmur2 of it is the trace-id strategy, partition for partition. */
function partitioner(value: Json): Outcome {
  const name = String(scalarText(value)).trim();
  if (!PARTITIONERS.includes(name)) return { problem: `must be one of ${PARTITIONERS.join(', ')}, got "${name}"` };
  const set = { PARTITION_STRATEGY: 'trace-id' };
  return MURMUR2.includes(name)
    ? { set }
    : { set, notHonoured: 'records are partitioned by murmur2 of the trace id (Java-compatible), as with murmur2' };
}

const CLIENT_CERTIFICATE = {
  becomes: 'refused: the start stops',
  read: (): Outcome => ({ problem: 'client certificates (mutual TLS) are not supported' }),
};

function defaultLabels(value: Json): Outcome {
  const entries = Object.entries(value as Record<string, Json>);
  const bad = entries.filter(([name, v]) => scalarText(v) === undefined || /[,=]/.test(`${name}${scalarText(v)}`));
  if (bad.length > 0)
    return { problem: `labels must be names with plain values (no "," or "="): ${bad.map(([n]) => n).join(', ')}` };
  return entries.length === 0
    ? ok
    : { set: { METRICS_DEFAULT_LABELS: entries.map(([name, v]) => `${name}=${scalarText(v)}`).join(',') } };
}

export const ORIGINAL_KEYS: readonly OriginalKey[] = Object.freeze([
  { path: ['PORT'], becomes: '`HTTP_PORT`', read: to('HTTP_PORT') },
  { path: ['EVENT_LOGGER_GRPC_HOST'], becomes: '`GRPC_HOST`', read: to('GRPC_HOST') },
  { path: ['EVENT_LOGGER_GRPC_PORT'], becomes: '`GRPC_PORT`', read: to('GRPC_PORT') },
  {
    path: [...METRICS, 'DISABLED'],
    becomes: '`false`: as is (`/metrics` is served); `true`: not honoured',
    read: (v) =>
      flag(v, { notHonoured: '/metrics is served all the same (the original served no metrics at all)' }, ok),
  },
  { path: [...METRICS, 'labels'], object: true, becomes: 'no effect (the original never used its metrics)' },
  { path: [...METRICS, 'config', 'timeout'], becomes: 'no effect (metrics are collected when scraped)' },
  {
    path: [...METRICS, 'config', 'prefix'],
    becomes: `\`${OUR_METRIC_PREFIX}\`: as is; another: not honoured`,
    read: (v) =>
      scalarText(v) === OUR_METRIC_PREFIX
        ? ok
        : {
            notHonoured: `metric names keep their documented prefix ${OUR_METRIC_PREFIX} (the original served no metrics)`,
          },
  },
  {
    path: [...METRICS, 'config', 'defaultLabels'],
    object: true,
    becomes: '`METRICS_DEFAULT_LABELS`',
    read: defaultLabels,
  },
  {
    path: [...TEMPLATE, 'TEMPLATE'],
    becomes:
      '`EVENT_TOPIC`: the template rendered with `functionality` = `event` (`topic-{{functionality}}` gives `topic-event`)',
    read: (v) => renderTopicTemplate(String(scalarText(v))),
  },
  { path: [...TEMPLATE, 'REGEX'], becomes: 'no effect (the original never used it)' },
  {
    path: [...OPTIONS, 'messageCharset'],
    becomes: '`utf8`: as is (records are UTF-8 JSON); another: not honoured',
    read: (v) =>
      /^utf-?8$/i.test(String(scalarText(v)).trim()) ? ok : { notHonoured: 'records are always UTF-8 JSON' },
  },
  {
    path: [...RDKAFKA, 'metadata.broker.list'],
    becomes: '`KAFKA_BROKERS` (port 9092 when none is given)',
    read: brokerList,
  },
  { path: [...RDKAFKA, 'bootstrap.servers'], becomes: '`KAFKA_BROKERS`, as `metadata.broker.list`', read: brokerList },
  { path: [...RDKAFKA, 'client.id'], becomes: '`KAFKA_CLIENT_ID`', read: to('KAFKA_CLIENT_ID') },
  { path: [...RDKAFKA, 'event_cb'], becomes: 'no effect (client events are always logged)' },
  {
    path: [...RDKAFKA, 'dr_cb'],
    becomes: '`true`: as is (every event is confirmed); `false`: not honoured',
    read: (v) => flag(v, ok, { notHonoured: 'every event is confirmed by Kafka before it counts as delivered' }),
  },
  {
    path: [...RDKAFKA, 'socket.keepalive.enable'],
    becomes: '`true`: as is (kafkajs keeps TCP keep-alive on); `false`: not honoured',
    read: (v) => flag(v, ok, { notHonoured: 'kafkajs always keeps TCP keep-alive on' }),
  },
  {
    path: [...RDKAFKA, 'queue.buffering.max.messages'],
    becomes: 'not honoured: `PRODUCER_MAX_QUEUE` bounds the events waiting for Kafka',
    read: () => ({
      notHonoured:
        'events waiting for Kafka are bounded by PRODUCER_MAX_QUEUE (then refused with 429, or spooled), not held in memory',
    }),
  },
  { path: [...RDKAFKA, 'linger.ms'], becomes: '`PRODUCER_LINGER_MS`', read: to('PRODUCER_LINGER_MS') },
  {
    path: [...RDKAFKA, 'queue.buffering.max.ms'],
    becomes: '`PRODUCER_LINGER_MS`, as `linger.ms`',
    read: to('PRODUCER_LINGER_MS'),
  },
  {
    path: [...RDKAFKA, 'batch.num.messages'],
    becomes: '`PRODUCER_BATCH_MAX_EVENTS`',
    read: to('PRODUCER_BATCH_MAX_EVENTS'),
  },
  {
    path: [...RDKAFKA, 'security.protocol'],
    becomes: '`KAFKA_SSL` (`ssl`, `sasl_ssl`: true); `sasl_*` needs `sasl.mechanisms`',
    read: (v) => {
      const ssl = SECURITY[String(scalarText(v)).trim().toLowerCase()];
      return ssl
        ? { set: { KAFKA_SSL: ssl } }
        : { problem: `must be plaintext, ssl, sasl_plaintext or sasl_ssl, got ${JSON.stringify(v)}` };
    },
  },
  {
    path: [...RDKAFKA, 'sasl.mechanisms'],
    becomes: '`KAFKA_SASL_MECHANISM` (GSSAPI, OAUTHBEARER: refused)',
    read: saslMechanism,
  },
  {
    path: [...RDKAFKA, 'sasl.mechanism'],
    becomes: '`KAFKA_SASL_MECHANISM`, as `sasl.mechanisms`',
    read: saslMechanism,
  },
  { path: [...RDKAFKA, 'sasl.username'], becomes: '`KAFKA_SASL_USERNAME`', read: to('KAFKA_SASL_USERNAME') },
  { path: [...RDKAFKA, 'sasl.password'], becomes: '`KAFKA_SASL_PASSWORD`', read: to('KAFKA_SASL_PASSWORD') },
  {
    path: [...RDKAFKA, 'ssl.ca.location'],
    becomes: '`KAFKA_SSL_CA_FILE` (`probe`: the system CAs)',
    read: (v) => (scalarText(v) === 'probe' ? ok : to('KAFKA_SSL_CA_FILE')(v)),
  },
  {
    path: [...RDKAFKA, 'enable.ssl.certificate.verification'],
    becomes: '`KAFKA_SSL_REJECT_UNAUTHORIZED`',
    read: to('KAFKA_SSL_REJECT_UNAUTHORIZED'),
  },
  ...[
    'ssl.certificate.location',
    'ssl.certificate.pem',
    'ssl.key.location',
    'ssl.key.pem',
    'ssl.keystore.location',
  ].map((key) => ({ path: [...RDKAFKA, key], ...CLIENT_CERTIFICATE })),
  ...[RDKAFKA, TOPIC_CONF].flatMap((conf) => [
    {
      path: [...conf, 'request.required.acks'],
      becomes: '`all` or `-1`: as is (acks=all); another: not honoured',
      read: acks,
    },
    { path: [...conf, 'acks'], becomes: 'as `request.required.acks`', read: acks },
    {
      path: [...conf, 'partitioner'],
      becomes: '`PARTITION_STRATEGY=trace-id` (murmur2, murmur2_random: the same partitions; others: noted)',
      read: partitioner,
    },
  ]),
]);

/** A setting the original's file implies without a key: what the original did when nothing asked otherwise. */
export interface Implied {
  readonly setting: SettingName;
  readonly raw: string;
  /** What the original did, for the start-up log and CONFIG.md. */
  readonly why: string;
}

/** Applied when a file is read and no key (nor variable of the table) sets the setting. */
export const IMPLIED: readonly Implied[] = Object.freeze([
  {
    setting: 'KAFKA_CREATE_TOPIC_PARTITIONS',
    raw: 'broker',
    why: "the original's producer let the brokers create a missing topic at its first event (auto.create.topics.enable)",
  },
]);

export const CONTAINERS: readonly Container[] = Object.freeze([
  { path: [] },
  { path: ['KAFKA'] },
  { path: ['KAFKA', 'TOPIC_TEMPLATES'] },
  { path: TEMPLATE },
  { path: ['KAFKA', 'PRODUCER'] },
  { path: ['KAFKA', 'PRODUCER', 'EVENT'] },
  { path: EVENT },
  { path: OPTIONS, open: 'a central-services-stream option with no equivalent here' },
  { path: RDKAFKA, open: LIBRDKAFKA },
  { path: TOPIC_CONF, open: LIBRDKAFKA },
  { path: ['INSTRUMENTATION'] },
  { path: METRICS },
  { path: [...METRICS, 'config'] },
]);
