// The original sidecar's configuration: every key of the default.json that Mojaloop's chart renders (from the
// chart's own template, vendored in test/fixtures/mojaloop-helm), the ES_ variables by rc's rules, the warnings,
// a malformed file, where the file is looked for, and the precedence of variables, ES_ variables, file, defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RECORD_ENVELOPE_BYTES } from '@event-sidecar/producer';
import { chartValues, renderSidecarConfig } from '../../../test/helpers/mojaloop-chart.js';
import { loadConfig, loadConfigWithSources, type LoadConfigOptions } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { readOriginalConfig } from '../src/original-config/file.js';
import { ORIGINAL_KEYS } from '../src/original-config/keys.js';
import { mapOriginal, type OriginalMapping } from '../src/original-config/map.js';
import { keyName, layer, rcOverrides, type Json, type JsonObject } from '../src/original-config/rc-env.js';
import { originalConfigReport } from '../src/original-config/report.js';

const CHART_FILE = JSON.parse(renderSidecarConfig()) as JsonObject;
const FILE = '/opt/app/config/default.json';

/** The options of loadConfig over an in-memory file system, working in /opt/app, as the CLI (which looks for a file). */
function files(contents: Record<string, string>): LoadConfigOptions {
  return {
    findConfigFile: true,
    cwd: '/opt/app',
    exists: (path) => path in contents,
    readFile: (path) => {
      if (path in contents) return contents[path]!;
      throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    },
  };
}

interface Outcome {
  set: Record<string, string>;
  notHonoured: string[];
  unknown: string[];
  inert: string[];
  problems: string[];
}

/** A mapping as plain data: settings and the keys of each list. */
function outcome(m: OriginalMapping): Outcome {
  return {
    set: Object.fromEntries([...m.values].map(([name, v]) => [name, v.raw])),
    notHonoured: m.notHonoured.map((f) => `${f.variable ?? f.key}: ${f.reason}`),
    unknown: m.unknown.map((f) => `${f.variable ?? f.key}: ${f.reason}`),
    inert: [...m.inert],
    problems: [...m.problems],
  };
}
const none: Outcome = { set: {}, notHonoured: [], unknown: [], inert: [], problems: [] };

const mapKeys = (tree: JsonObject, env: Record<string, string> = {}) =>
  outcome(mapOriginal(layer(tree, rcOverrides(env)), FILE));

/** A tree holding only the value at `path` of `from`. */
function only(path: readonly string[], from: JsonObject): JsonObject {
  let value: Json = from;
  for (const level of path) value = (value as JsonObject)[level]!;
  return path.reduceRight<Json>((inner, level) => ({ [level]: inner }), value) as JsonObject;
}

const EVENT = 'KAFKA.PRODUCER.EVENT.config';
const IMPLIED_TOPIC =
  "the original's producer let the brokers create a missing topic at its first event (auto.create.topics.enable)";
const PREFIX_REASON =
  'INSTRUMENTATION.METRICS.config.prefix: metric names keep their documented prefix event_sidecar_ (the original served no metrics)';
const QUEUE_REASON = `${EVENT}.rdkafkaConf."queue.buffering.max.messages": events waiting for Kafka are bounded by PRODUCER_MAX_QUEUE (then refused with 429, or spooled), not held in memory`;

/** Every key of the chart's default.json and what it gives alone. */
const CHART_KEYS: Record<string, Partial<Outcome>> = {
  PORT: { set: { HTTP_PORT: '4001' } },
  EVENT_LOGGER_GRPC_HOST: { set: { GRPC_HOST: 'localhost' } },
  EVENT_LOGGER_GRPC_PORT: { set: { GRPC_PORT: '50051' } },
  'INSTRUMENTATION.METRICS.DISABLED': {},
  'INSTRUMENTATION.METRICS.labels': { inert: ['INSTRUMENTATION.METRICS.labels'] },
  'INSTRUMENTATION.METRICS.config.timeout': { inert: ['INSTRUMENTATION.METRICS.config.timeout'] },
  'INSTRUMENTATION.METRICS.config.prefix': { notHonoured: [PREFIX_REASON] },
  'INSTRUMENTATION.METRICS.config.defaultLabels': {
    set: { METRICS_DEFAULT_LABELS: 'serviceName=centralledger-handler-transfer-fulfil-event-sidecar' },
  },
  'KAFKA.TOPIC_TEMPLATES.GENERAL_TOPIC_TEMPLATE.TEMPLATE': { set: { EVENT_TOPIC: 'topic-event' } },
  'KAFKA.TOPIC_TEMPLATES.GENERAL_TOPIC_TEMPLATE.REGEX': {
    inert: ['KAFKA.TOPIC_TEMPLATES.GENERAL_TOPIC_TEMPLATE.REGEX'],
  },
  [`${EVENT}.options.messageCharset`]: {},
  [`${EVENT}.rdkafkaConf."metadata.broker.list"`]: { set: { KAFKA_BROKERS: 'kafka:9092' } },
  [`${EVENT}.rdkafkaConf."client.id"`]: { set: { KAFKA_CLIENT_ID: 'es-prod-event' } },
  [`${EVENT}.rdkafkaConf.event_cb`]: { inert: [`${EVENT}.rdkafkaConf.event_cb`] },
  [`${EVENT}.rdkafkaConf.dr_cb`]: {},
  [`${EVENT}.rdkafkaConf."socket.keepalive.enable"`]: {},
  [`${EVENT}.rdkafkaConf."queue.buffering.max.messages"`]: { notHonoured: [QUEUE_REASON] },
  [`${EVENT}.topicConf."request.required.acks"`]: {},
  [`${EVENT}.topicConf.partitioner`]: { set: { PARTITION_STRATEGY: 'trace-id' } },
};

/** The paths of the chart's file that hold a value (an object read whole counts as one). */
function chartKeyPaths(node: JsonObject, path: string[] = []): string[][] {
  return Object.entries(node).flatMap(([name, value]) => {
    const child = [...path, name];
    const whole = ORIGINAL_KEYS.some((k) => k.object && keyName(k.path) === keyName(child));
    return value !== null && typeof value === 'object' && !whole ? chartKeyPaths(value as JsonObject, child) : [child];
  });
}

test("the chart's default.json holds exactly the keys pinned here", () => {
  assert.deepEqual(chartKeyPaths(CHART_FILE).map(keyName).sort(), Object.keys(CHART_KEYS).sort());
});

for (const path of chartKeyPaths(CHART_FILE)) {
  const key = keyName(path);
  test(`the chart's ${key} alone`, () => {
    assert.deepEqual(mapKeys(only(path, CHART_FILE)), { ...none, ...CHART_KEYS[key] });
  });
}

test("the chart's whole default.json: settings, two keys not honoured, four with no effect, nothing unknown", () => {
  const all = Object.values(CHART_KEYS);
  assert.deepEqual(mapKeys(CHART_FILE), {
    set: Object.assign({}, ...all.map((k) => k.set ?? {})),
    notHonoured: [PREFIX_REASON, QUEUE_REASON],
    unknown: [],
    inert: all.flatMap((k) => k.inert ?? []),
    problems: [],
  });
  const config = loadConfig({}, files({ [FILE]: renderSidecarConfig() }));
  assert.equal(config.http.port, 4001);
  assert.equal(config.grpc.host, 'localhost');
  assert.equal(config.grpc.port, 50051);
  assert.deepEqual(config.kafka.brokers, ['kafka:9092']);
  assert.equal(config.kafka.clientId, 'es-prod-event');
  assert.equal(config.kafka.topic, 'topic-event');
  assert.equal(config.kafka.topicStrategy, 'single');
  assert.equal(config.kafka.strategy, 'trace-id');
  assert.deepEqual(config.metricsDefaultLabels, { serviceName: 'centralledger-handler-transfer-fulfil-event-sidecar' });
  // The file sets no body limit nor record limit: the body limit is derived from the record limit, as without it.
  assert.equal(config.http.maxBodyBytes, config.producer.batchMaxBytes - RECORD_ENVELOPE_BYTES);
  assert.equal(config.http.maxBodyBytes, loadConfig({}).http.maxBodyBytes);
});

test('the start-up lines for the chart: settings and keys with no effect, then one warning', () => {
  const loaded = loadConfigWithSources({ HTTP_PORT: '4002' }, files({ [FILE]: renderSidecarConfig() }));
  const report = originalConfigReport(loaded.original, loaded.overridden);
  assert.deepEqual(report.info, {
    msg: 'original configuration read',
    fields: {
      configFile: FILE,
      settings: {
        GRPC_HOST: 'EVENT_LOGGER_GRPC_HOST',
        GRPC_PORT: 'EVENT_LOGGER_GRPC_PORT',
        METRICS_DEFAULT_LABELS: 'INSTRUMENTATION.METRICS.config.defaultLabels',
        EVENT_TOPIC: 'KAFKA.TOPIC_TEMPLATES.GENERAL_TOPIC_TEMPLATE.TEMPLATE',
        KAFKA_BROKERS: `${EVENT}.rdkafkaConf."metadata.broker.list"`,
        KAFKA_CLIENT_ID: `${EVENT}.rdkafkaConf."client.id"`,
        PARTITION_STRATEGY: `${EVENT}.topicConf.partitioner`,
      },
      byDefault: {
        KAFKA_CREATE_TOPIC_PARTITIONS: `broker: ${IMPLIED_TOPIC}`,
      },
      overriddenByVariables: ['HTTP_PORT'],
      noEffect: [
        'INSTRUMENTATION.METRICS.labels',
        'INSTRUMENTATION.METRICS.config.timeout',
        'KAFKA.TOPIC_TEMPLATES.GENERAL_TOPIC_TEMPLATE.REGEX',
        `${EVENT}.rdkafkaConf.event_cb`,
      ],
    },
  });
  assert.equal(report.warn?.msg, 'original configuration: 2 keys not honoured');
  assert.deepEqual(report.warn?.fields, {
    configFile: FILE,
    notHonoured: [
      {
        key: 'INSTRUMENTATION.METRICS.config.prefix',
        value: 'moja_',
        reason: 'metric names keep their documented prefix event_sidecar_ (the original served no metrics)',
      },
      {
        key: `${EVENT}.rdkafkaConf."queue.buffering.max.messages"`,
        value: 10000000,
        reason:
          'events waiting for Kafka are bounded by PRODUCER_MAX_QUEUE (then refused with 429, or spooled), not held in memory',
      },
    ],
  });
  // Nothing at all without a file or ES_ variable; no warning for a file with nothing to say.
  assert.deepEqual(originalConfigReport(loadConfigWithSources({}, files({})).original, []), {});
  const quiet = loadConfigWithSources({}, files({ [FILE]: '{"EVENT_LOGGER_GRPC_PORT": 50051}' }));
  assert.equal(originalConfigReport(quiet.original, quiet.overridden).warn, undefined);
});

test('unknown keys, and keys of librdkafka with no equivalent, are named with their reason', () => {
  const tree = {
    PORTT: 1,
    port: 2,
    KAFKA: {
      CONSUMER: {},
      PRODUCER: { EVENT: { config: { rdkafkaConf: { 'compression.codec': 'gzip', 'ssl.keystore.password': 'x' } } } },
    },
  };
  assert.deepEqual(mapKeys(tree), {
    ...none,
    notHonoured: [
      `${EVENT}.rdkafkaConf."compression.codec": a librdkafka setting with no equivalent here`,
      `${EVENT}.rdkafkaConf."ssl.keystore.password": a librdkafka setting with no equivalent here`,
    ],
    unknown: [
      'PORTT: unknown key',
      'port: unknown key (keys are case-sensitive: PORT?)',
      'KAFKA.CONSUMER: unknown key',
    ],
  });
  // A secret's value never reaches the warning.
  const found = mapOriginal(layer(tree, []), FILE).notHonoured.find((f) => f.key.includes('keystore'));
  assert.equal(found?.value, '[REDACTED]');
});

test('values the original would have taken differently: not honoured, each with its reason', () => {
  const rd = (conf: JsonObject) => ({ KAFKA: { PRODUCER: { EVENT: { config: { rdkafkaConf: conf } } } } });
  assert.deepEqual(mapKeys(rd({ dr_cb: false, 'socket.keepalive.enable': 'false', acks: 1 })).notHonoured, [
    `${EVENT}.rdkafkaConf.dr_cb: every event is confirmed by Kafka before it counts as delivered`,
    `${EVENT}.rdkafkaConf."socket.keepalive.enable": kafkajs always keeps TCP keep-alive on`,
    `${EVENT}.rdkafkaConf.acks: the idempotent producer always waits for every in-sync replica (acks=all)`,
  ]);
  assert.deepEqual(mapKeys(rd({ partitioner: 'consistent_random' })), {
    ...none,
    set: { PARTITION_STRATEGY: 'trace-id' },
    notHonoured: [
      `${EVENT}.rdkafkaConf.partitioner: records are partitioned by murmur2 of the trace id (Java-compatible), as with murmur2`,
    ],
  });
  assert.deepEqual(mapKeys({ INSTRUMENTATION: { METRICS: { DISABLED: true } } }).notHonoured, [
    'INSTRUMENTATION.METRICS.DISABLED: /metrics is served all the same (the original served no metrics at all)',
  ]);
  assert.deepEqual(
    mapKeys({ KAFKA: { PRODUCER: { EVENT: { config: { options: { messageCharset: 'latin1', sync: true } } } } } })
      .notHonoured,
    [
      `${EVENT}.options.messageCharset: records are always UTF-8 JSON`,
      `${EVENT}.options.sync: a central-services-stream option with no equivalent here`,
    ],
  );
});

test('broker lists as librdkafka writes them, security and SASL as librdkafka applies them', () => {
  const rd = (conf: JsonObject) => mapKeys({ KAFKA: { PRODUCER: { EVENT: { config: { rdkafkaConf: conf } } } } });
  assert.deepEqual(rd({ 'bootstrap.servers': 'SASL_SSL://k0:9093, k1,[::1]:9094' }).set, {
    KAFKA_BROKERS: 'k0:9093,k1:9092,[::1]:9094',
  });
  assert.deepEqual(
    rd({
      'security.protocol': 'SASL_SSL',
      'sasl.mechanisms': 'SCRAM-SHA-512',
      'sasl.username': 'u',
      'sasl.password': 'p',
      'ssl.ca.location': '/etc/ca.pem',
      'enable.ssl.certificate.verification': false,
      'linger.ms': 5,
      'batch.num.messages': 100,
      'client.id': 'c',
    }).set,
    {
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      KAFKA_SSL_CA_FILE: '/etc/ca.pem',
      KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
      PRODUCER_LINGER_MS: '5',
      PRODUCER_BATCH_MAX_EVENTS: '100',
      KAFKA_CLIENT_ID: 'c',
    },
  );
  // Without a sasl_* (ssl) protocol librdkafka ignores the sasl.* (ssl.*) keys: so does the sidecar, aloud.
  const plain = rd({ 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'u', 'ssl.ca.location': '/ca.pem' });
  assert.deepEqual(plain.set, {});
  assert.deepEqual(plain.notHonoured, [
    `${EVENT}.rdkafkaConf."sasl.mechanisms": SASL applies only with security.protocol sasl_plaintext or sasl_ssl`,
    `${EVENT}.rdkafkaConf."sasl.username": SASL applies only with security.protocol sasl_plaintext or sasl_ssl`,
    `${EVENT}.rdkafkaConf."ssl.ca.location": TLS settings apply only with security.protocol ssl or sasl_ssl`,
  ]);
  // What the sidecar cannot connect with stops the start.
  assert.deepEqual(rd({ 'security.protocol': 'sasl_plaintext' }).problems, [
    `${FILE}: ${EVENT}.rdkafkaConf."security.protocol" is sasl_plaintext: sasl.mechanisms must name PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (librdkafka's default, GSSAPI, is not supported)`,
  ]);
  assert.deepEqual(rd({ 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': 'GSSAPI' }).problems, [
    `${FILE}: ${EVENT}.rdkafkaConf."sasl.mechanisms" "GSSAPI" is not supported: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`,
  ]);
  assert.deepEqual(rd({ 'ssl.key.location': '/k.pem' }).problems, [
    `${FILE}: ${EVENT}.rdkafkaConf."ssl.key.location" client certificates (mutual TLS) are not supported`,
  ]);
  assert.deepEqual(rd({ 'security.protocol': 'kerberos' }).problems, [
    `${FILE}: ${EVENT}.rdkafkaConf."security.protocol" must be plaintext, ssl, sasl_plaintext or sasl_ssl, got "kerberos"`,
  ]);
});

test('the topic template is rendered as the original rendered it, for its one variable', () => {
  const template = (t: string) => mapKeys({ KAFKA: { TOPIC_TEMPLATES: { GENERAL_TOPIC_TEMPLATE: { TEMPLATE: t } } } });
  assert.deepEqual(template('topic-{{ functionality }}-x').set, { EVENT_TOPIC: 'topic-event-x' });
  assert.deepEqual(template('{{{functionality}}}s').set, { EVENT_TOPIC: 'events' });
  assert.deepEqual(template('topic-{{action}}').problems, [
    `${FILE}: KAFKA.TOPIC_TEMPLATES.GENERAL_TOPIC_TEMPLATE.TEMPLATE holds {{action}}: only {{functionality}} is known (it gives "event")`,
  ]);
  assert.deepEqual(template('topic {{functionality}}').problems, [
    `${FILE}: KAFKA.TOPIC_TEMPLATES.GENERAL_TOPIC_TEMPLATE.TEMPLATE must be a legal Kafka topic name (letters, digits, '.', '_', '-'), got "topic event"`,
  ]);
});

test('ES_ variables by rc: any case of the prefix, __ between levels, strings read by the setting parser', () => {
  assert.deepEqual(
    rcOverrides({ ES_PORT: '4002', es_KAFKA____X: 'y', ES_: 'bare', ES_BLANK: ' ', OTHER: '1' }).map((o) => [
      o.variable,
      o.path,
      o.value,
    ]),
    [
      ['ES_PORT', ['PORT'], '4002'],
      ['es_KAFKA____X', ['KAFKA', 'X'], 'y'],
    ],
  );
  const env = {
    ES_PORT: '4002',
    'ES_KAFKA__PRODUCER__EVENT__config__rdkafkaConf__metadata.broker.list': 'k9:9092',
    ES_INSTRUMENTATION__METRICS__DISABLED: 'false',
  };
  assert.deepEqual(mapKeys(CHART_FILE, env).set, {
    ...Object.assign({}, ...Object.values(CHART_KEYS).map((k) => k.set ?? {})),
    HTTP_PORT: '4002',
    KAFKA_BROKERS: 'k9:9092',
  });
  // Without a file, the variables alone.
  assert.deepEqual(mapKeys({}, { ES_EVENT_LOGGER_GRPC_PORT: '50052' }).set, { GRPC_PORT: '50052' });
  // A bad value names the variable.
  assert.deepEqual(mapKeys({}, { ES_PORT: 'http' }).problems, [
    'ES_PORT must be an integer from 0 to 65535, got "http"',
  ]);
});

test('ES_ variables: a value replaces an object, the nested one under a value is dropped, rc files are not read', () => {
  assert.deepEqual(mapKeys(CHART_FILE, { ES_KAFKA: 'none' }).problems, [
    'ES_KAFKA must be an object of keys, got "none"',
  ]);
  assert.deepEqual(mapKeys({}, { ES_PORT: '4003', ES_PORT__X: '1' }), {
    ...none,
    set: { HTTP_PORT: '4003' },
    notHonoured: ['ES_PORT__X: ES_PORT sets a level above it to a value (rc drops it too)'],
  });
  assert.deepEqual(mapKeys({ PORT: 4001 }, { ES_PORT__X: '1' }).problems, [
    'ES_PORT__X must be a value, got an object',
  ]);
  assert.deepEqual(mapKeys({}, { ES_config: '/etc/other.json' }).notHonoured, [
    'ES_config: rc would read another file named here; this sidecar reads CONFIG_FILE',
  ]);
  assert.deepEqual(mapKeys({}, { es_port: '1' }).unknown, ['es_port: unknown key (keys are case-sensitive: PORT?)']);
});

test('a file implies KAFKA_CREATE_TOPIC_PARTITIONS=broker (its brokers created topics); a variable wins, unnamed', () => {
  const chart = files({ [FILE]: renderSidecarConfig() });
  const loaded = loadConfigWithSources({}, chart);
  assert.equal(loaded.config.kafka.createTopic, 'broker');
  assert.deepEqual(loaded.original.values.get('KAFKA_CREATE_TOPIC_PARTITIONS'), {
    raw: 'broker',
    from: `${FILE}, by default: ${IMPLIED_TOPIC}`,
    key: IMPLIED_TOPIC,
    implied: true,
  });
  // The chart's partitioner gives trace-id: any partition count the brokers give places every event.
  assert.equal(loaded.config.kafka.strategy, 'trace-id');
  assert.equal(
    loadConfigWithSources({}, files({ [FILE]: '{"EVENT_LOGGER_GRPC_PORT": 50051}' })).config.kafka.createTopic,
    'broker',
  );

  // A variable of the table wins, and is not reported as overriding a key the file does not have.
  const own = loadConfigWithSources({ KAFKA_CREATE_TOPIC_PARTITIONS: '12', HTTP_PORT: '4002' }, chart);
  assert.deepEqual(own.config.kafka.createTopic, { partitions: 12, replicationFactor: 1 });
  assert.deepEqual(own.overridden, ['HTTP_PORT']);
  assert.equal(originalConfigReport(own.original, own.overridden).info?.fields.byDefault, undefined);

  // Without the original's file (no file, CONFIG_FILE=off, ES_ variables alone) a missing topic stops the start.
  assert.equal(loadConfig({}, files({})).kafka.createTopic, false);
  assert.equal(loadConfig({ CONFIG_FILE: 'off' }, chart).kafka.createTopic, false);
  assert.equal(loadConfig({ ES_PORT: '4002' }, files({})).kafka.createTopic, false);

  // A replication factor asked for beside it is refused, saying where `broker` came from.
  assert.throws(
    () => loadConfig({ KAFKA_CREATE_TOPIC_REPLICATION_FACTOR: '3' }, chart),
    (err: ConfigError) =>
      assert.deepEqual(err.problems, [
        `KAFKA_CREATE_TOPIC_REPLICATION_FACTOR applies only to a number of KAFKA_CREATE_TOPIC_PARTITIONS: with broker, the topic gets the brokers' default.replication.factor (KAFKA_CREATE_TOPIC_PARTITIONS from ${FILE}, by default: ${IMPLIED_TOPIC})`,
      ]) === undefined,
  );
});

test('precedence: the table variables, then ES_ variables, then the file, then the defaults', () => {
  const fs = files({ [FILE]: JSON.stringify({ PORT: 4101, EVENT_LOGGER_GRPC_PORT: 50101 }) });
  assert.equal(loadConfig({}, files({})).http.port, 4001, 'default');
  assert.equal(loadConfig({}, fs).http.port, 4101, 'file');
  assert.equal(loadConfig({ ES_PORT: '4201' }, fs).http.port, 4201, 'ES_ over the file');
  assert.equal(loadConfig({ ES_PORT: '4201', HTTP_PORT: '4301' }, fs).http.port, 4301, 'variable over ES_');
  assert.equal(loadConfig({ HTTP_PORT: '4301' }, fs).http.port, 4301, 'variable over the file');
  // An empty variable is unset at each level.
  assert.equal(loadConfig({ ES_PORT: '', HTTP_PORT: ' ' }, fs).http.port, 4101);
  const loaded = loadConfigWithSources({ HTTP_PORT: '4301' }, fs);
  assert.deepEqual(loaded.overridden, ['HTTP_PORT']);
  assert.equal(loaded.config.grpc.port, 50101);
});

test('where the file is: CONFIG_FILE, else config/default.json of the working directory, else the older mount', () => {
  const legacy = '/opt/event-sidecar/config/default.json';
  const port = (env: Record<string, string>, contents: Record<string, string>) =>
    loadConfig(env, files(contents)).http.port;
  const sidecarFile = (port: number) => JSON.stringify({ PORT: port, EVENT_LOGGER_GRPC_PORT: 50051 });
  assert.equal(port({}, { [FILE]: sidecarFile(1), [legacy]: sidecarFile(2) }), 1);
  assert.equal(port({}, { [legacy]: sidecarFile(2) }), 2);
  assert.equal(port({ CONFIG_FILE: 'elsewhere.json' }, { '/opt/app/elsewhere.json': '{"PORT": 3}', [FILE]: '{}' }), 3);
  assert.equal(port({ CONFIG_FILE: 'off' }, { [FILE]: sidecarFile(1) }), 4001);
  assert.equal(readOriginalConfig({}, files({})).file, undefined);
  // A program embedding the sidecar reads only a file CONFIG_FILE names.
  assert.equal(loadConfig({}, { ...files({ [FILE]: sidecarFile(1) }), findConfigFile: false }).http.port, 4001);
  // Another program's config/default.json (a Mojaloop service's: its PORT, its Kafka topics) is not taken for one.
  const service = JSON.stringify({ PORT: 3001, KAFKA: { PRODUCER: { TRANSFER: {} } } });
  assert.throws(
    () => loadConfig({}, files({ [FILE]: service })),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems[0] ===
        `${FILE} is not an event sidecar configuration (it has none of EVENT_LOGGER_GRPC_HOST, EVENT_LOGGER_GRPC_PORT, KAFKA.PRODUCER.EVENT): name the sidecar's file with CONFIG_FILE, or set CONFIG_FILE=off`,
  );
  // A file CONFIG_FILE names must be there.
  assert.throws(
    () => loadConfig({ CONFIG_FILE: '/nowhere.json' }, files({})),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems[0] ===
        "CONFIG_FILE: cannot read /nowhere.json: ENOENT: no such file or directory, open '/nowhere.json'",
  );
});

test('a malformed file stops the start, naming the file and the key', () => {
  const problems = (text: string, env: Record<string, string> = {}) => {
    try {
      loadConfig({ CONFIG_FILE: FILE, ...env }, files({ [FILE]: text }));
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems;
    }
    return [];
  };
  const [syntax] = problems('{\n  "PORT": 4001,\n}\n');
  assert.match(syntax!, new RegExp(`^${FILE}: not valid JSON: .*line 3 column 1`));
  assert.deepEqual(problems('[1]'), [`${FILE} must hold a JSON object of keys, got an array`]);
  assert.deepEqual(problems('{"PORT": "four thousand"}'), [
    `${FILE}: PORT must be an integer from 0 to 65535, got "four thousand"`,
  ]);
  assert.deepEqual(problems('{"PORT": {"value": 1}}'), [`${FILE}: PORT must be a value, got an object`]);
  assert.deepEqual(problems('{"KAFKA": []}'), [`${FILE}: KAFKA must be an object of keys, got an array`]);
  assert.deepEqual(
    problems('{"PORT": 1, "EVENT_LOGGER_GRPC_PORT": 1}', { ES_PORT: '2', ES_EVENT_LOGGER_GRPC_PORT: 'x' }),
    ['ES_EVENT_LOGGER_GRPC_PORT must be an integer from 0 to 65535, got "x"'],
  );
  // A rule of the table broken by a value from the file says where that value came from.
  assert.deepEqual(
    problems(
      JSON.stringify({
        KAFKA: {
          PRODUCER: {
            EVENT: { config: { rdkafkaConf: { 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': 'PLAIN' } } },
          },
        },
      }),
    ),
    [
      `KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM (KAFKA_SASL_MECHANISM from ${FILE}: ${EVENT}.rdkafkaConf."sasl.mechanisms")`,
      `KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM (KAFKA_SASL_MECHANISM from ${FILE}: ${EVENT}.rdkafkaConf."sasl.mechanisms")`,
    ],
  );
});

test("the chart's file with an operator's values: the broker and ports they set", () => {
  const values = chartValues({
    config: { kafka_host: 'kafka-0.kafka', kafka_port: 9093 },
    sidecar: { service: { internalPort: 4011 }, config: { event_log_grpc_port: 50061 } },
  });
  const config = loadConfig({}, files({ [FILE]: renderSidecarConfig(values) }));
  assert.deepEqual(config.kafka.brokers, ['kafka-0.kafka:9093']);
  assert.equal(config.http.port, 4011);
  assert.equal(config.grpc.port, 50061);
});
