// loadConfig: defaults as the original's, every setting read and checked, every problem listed at once, the frozen
// and redacted config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { CONFIG_VARIABLES, configTable, helpText, originalKeysTable } from '../src/config-doc.js';
import { loadConfig, redactConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { producerOptions } from '../src/sidecar.js';

const noFile = (path: string): string => {
  throw new Error(`ENOENT: no such file, open '${path}'`);
};

test('defaults match the original sidecar where it had one', () => {
  const config = loadConfig({});
  assert.equal(config.http.port, 4001);
  assert.equal(config.grpc.port, 50051);
  assert.deepEqual(config.kafka.brokers, ['localhost:9092']);
  assert.equal(config.kafka.topic, 'topic-event');
});

test('settings without a default leave their part of the config unset', () => {
  const config = loadConfig({});
  assert.equal(config.http.authToken, undefined);
  assert.equal('partitionMap' in config.kafka, false);
  assert.equal(config.kafka.createTopic, false);
  assert.equal(config.kafka.ssl, false);
  assert.equal('sasl' in config.kafka, false);
});

test('the documented default of every setting is the one loadConfig applies', () => {
  const unset = loadConfig({});
  const defaulted = CONFIG_VARIABLES.filter((v) => v.default !== undefined && !v.derived);
  assert.ok(defaulted.length > 30);
  for (const { name, default: shown } of defaulted) {
    assert.deepEqual(loadConfig({ [name]: shown }), unset, `${name}=${shown} is not the default`);
  }
});

test('a default derived from the environment is documented as loadConfig derives it', () => {
  const derived = CONFIG_VARIABLES.filter((v) => v.derived);
  assert.deepEqual(
    derived.map((v) => [v.name, v.default]),
    [
      ['MAX_BODY_BYTES', 'PRODUCER_BATCH_MAX_BYTES - 512'],
      ['SPOOL_DIR', '$XDG_STATE_HOME/event-sidecar/spool'],
      ['CONFIG_FILE', 'config/default.json'],
    ],
  );
  assert.equal(loadConfig({ XDG_STATE_HOME: '/x' }).spool?.dir, '/x/event-sidecar/spool');
  assert.equal(loadConfig({}).http.maxBodyBytes, 1_000_000 - 512);
  assert.equal(loadConfig({ PRODUCER_BATCH_MAX_BYTES: '65536' }).http.maxBodyBytes, 65_536 - 512);
  const read: string[] = [];
  loadConfig({}, { findConfigFile: true, cwd: '/srv', exists: (path) => (read.push(path), false) });
  assert.equal(read[0], '/srv/config/default.json');
});

test('empty and blank values count as unset', () => {
  const config = loadConfig({ HTTP_PORT: '', KAFKA_BROKERS: '  ', AUTH_TOKEN: '', KAFKA_SSL: '', LOG_LEVEL: ' ' });
  assert.equal(config.http.port, 4001);
  assert.deepEqual(config.kafka.brokers, ['localhost:9092']);
  assert.equal(config.http.authToken, undefined);
  assert.equal(config.kafka.ssl, false);
  assert.equal(config.logLevel, 'info');
});

test('reads every setting', () => {
  const config = loadConfig(
    {
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      MAX_BODY_BYTES: '2048',
      MAX_BATCH_EVENTS: '10',
      AUTH_TOKEN: 'a-token-of-16-chars',
      HTTP_REQUEST_TIMEOUT_MS: '1000',
      HTTP_HEADERS_TIMEOUT_MS: '500',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
      GRPC_HOST: '::',
      GRPC_PORT: '50052',
      ACK_MODE: 'Received',
      KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092,,[::1]:9093',
      KAFKA_CLIENT_ID: 'svc',
      EVENT_TOPIC: 'events.v1',
      TOPIC_STRATEGY: 'Single',
      TOPIC_TEMPLATE: 'events.{type}.v1',
      PARTITION_STRATEGY: 'EVENT-TYPE',
      PARTITION_MAP: 'log=0-3,audit=4-5,trace=6-9,error=10-11',
      KAFKA_CREATE_TOPIC_PARTITIONS: '12',
      KAFKA_CREATE_TOPIC_REPLICATION_FACTOR: '3',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: '/etc/ca.pem',
      KAFKA_SSL_REJECT_UNAUTHORIZED: 'no',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'user',
      KAFKA_SASL_PASSWORD: 'secret',
      KAFKA_CONNECTION_TIMEOUT_MS: '1000',
      KAFKA_REQUEST_TIMEOUT_MS: '2000',
      PUBLISH_TIMEOUT_MS: '3000',
      PRODUCER_LINGER_MS: '0',
      PRODUCER_BATCH_MAX_EVENTS: '100',
      PRODUCER_BATCH_MAX_BYTES: '65536',
      PRODUCER_MAX_QUEUE: '10',
      PRODUCER_LANES: '2',
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '2000',
      GRPC_MAX_CONNECTION_IDLE_MS: '20000',
      GRPC_MAX_CONNECTION_AGE_MS: '600000',
      SPOOL_DIR: '/var/spool/es',
      SPOOL_MAX_BYTES: '4096',
      SPOOL_LINGER_MS: '5',
      SPOOL_SYNC: 'normal',
    },
    { readFile: (path) => `PEM of ${path}` },
  );
  assert.deepEqual(config, {
    http: {
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 2048,
      maxEventLoopDelayMs: 1_000,
      maxInFlightBytes: 16_777_216,
      maxBatchEvents: 10,
      authToken: 'a-token-of-16-chars',
      requestTimeoutMs: 1000,
      headersTimeoutMs: 500,
      keepAliveTimeoutMs: 65000,
    },
    grpc: { host: '::', port: 50052, ackMode: 'received', maxConnectionIdleMs: 20_000, maxConnectionAgeMs: 600_000 },
    kafka: {
      brokers: ['kafka-1:9092', 'kafka-2:9092', '[::1]:9093'],
      clientId: 'svc',
      topic: 'events.v1',
      topicStrategy: 'single',
      topicTemplate: 'events.{type}.v1',
      strategy: 'event-type',
      partitionMap: 'log=0-3,audit=4-5,trace=6-9,error=10-11',
      createTopic: { partitions: 12, replicationFactor: 3 },
      ssl: { ca: 'PEM of /etc/ca.pem', rejectUnauthorized: false },
      sasl: { mechanism: 'scram-sha-512', username: 'user', password: 'secret' },
      connectionTimeoutMs: 1000,
      requestTimeoutMs: 2000,
    },
    producer: {
      publishTimeoutMs: 3000,
      lingerMs: 0,
      batchMaxEvents: 100,
      batchMaxBytes: 65536,
      maxQueue: 10,
      lanes: 2,
    },
    spool: { dir: '/var/spool/es', maxBytes: 4096, lingerMs: 5, sync: 'normal', deadLetterAfterMs: 60_000 },
    logLevel: 'warn',
    shutdownTimeoutMs: 2000,
  });
});

test('TOPIC_STRATEGY=per-type: topics from TOPIC_TEMPLATE, no partition strategy or map', () => {
  const config = loadConfig({ TOPIC_STRATEGY: 'per-type' });
  assert.equal(config.kafka.topicStrategy, 'per-type');
  assert.equal(config.kafka.topicTemplate, 'topic-event-{type}');
  assert.throws(
    () =>
      loadConfig({
        TOPIC_STRATEGY: 'per-type',
        TOPIC_TEMPLATE: 'events',
        PARTITION_STRATEGY: 'trace-id',
        PARTITION_MAP: 'log=0,audit=1,trace=2,error=3',
      }),
    (e: Error & { problems?: string[] }) => {
      assert.match(e.message, /TOPIC_TEMPLATE: "events" must contain \{type\}/);
      assert.match(e.message, /PARTITION_STRATEGY applies only to TOPIC_STRATEGY=single/);
      assert.match(e.message, /PARTITION_MAP applies only to TOPIC_STRATEGY=single/);
      return true;
    },
  );
  assert.throws(() => loadConfig({ TOPIC_STRATEGY: 'both' }), /TOPIC_STRATEGY must be/);
});

test('lists every problem at once', () => {
  const env = {
    HTTP_PORT: '70000',
    MAX_BODY_BYTES: '1k',
    MAX_BATCH_EVENTS: '0',
    AUTH_TOKEN: 'short',
    HTTP_REQUEST_TIMEOUT_MS: '100',
    HTTP_HEADERS_TIMEOUT_MS: '200',
    GRPC_PORT: '-1',
    KAFKA_BROKERS: 'kafka,kafka:99999',
    EVENT_TOPIC: 'bad topic',
    PARTITION_STRATEGY: 'random',
    KAFKA_CREATE_TOPIC_PARTITIONS: '0',
    KAFKA_SSL: 'maybe',
    KAFKA_SSL_CA_FILE: '/missing.pem',
    KAFKA_SASL_MECHANISM: 'gssapi',
    KAFKA_SASL_USERNAME: 'user',
    PUBLISH_TIMEOUT_MS: '1.5',
    LOG_LEVEL: 'loud',
    SHUTDOWN_TIMEOUT_MS: 'soon',
  };
  let error: unknown;
  try {
    loadConfig(env, { readFile: noFile });
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof ConfigError);
  assert.equal(error.code, 'INVALID_CONFIG');
  assert.deepEqual(error.problems, [
    'AUTH_TOKEN must be at least 16 characters long when set',
    'HTTP_PORT must be an integer from 0 to 65535, got "70000"',
    'MAX_BODY_BYTES must be an integer from 1024 to 104857600, got "1k"',
    'MAX_BATCH_EVENTS must be an integer from 1 to 100000, got "0"',
    'HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS',
    'GRPC_PORT must be an integer from 0 to 65535, got "-1"',
    'KAFKA_BROKERS must be host:port items separated by commas, got "kafka"',
    'KAFKA_BROKERS must be host:port items separated by commas, got "kafka:99999"',
    "EVENT_TOPIC must be a legal Kafka topic name (letters, digits, '.', '_', '-'), got \"bad topic\"",
    'PARTITION_STRATEGY must be one of event-type, trace-id, got "random"',
    'KAFKA_CREATE_TOPIC_PARTITIONS must be an integer from 1 to 10000, got "0"',
    'KAFKA_SSL must be true or false, got "maybe"',
    'KAFKA_SSL_CA_FILE needs KAFKA_SSL=true',
    "KAFKA_SSL_CA_FILE cannot be read: ENOENT: no such file, open '/missing.pem'",
    'KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512, got "gssapi"',
    'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD need KAFKA_SASL_MECHANISM',
    'PUBLISH_TIMEOUT_MS must be an integer from 1 to 3600000, got "1.5"',
    'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, audit, perf, verbose, silly, got "loud"',
    'SHUTDOWN_TIMEOUT_MS must be an integer from 1 to 3600000, got "soon"',
  ]);
  assert.match(error.message, /^invalid configuration:\n {2}AUTH_TOKEN/);
});

test('cross-field rules', () => {
  assert.throws(
    () => loadConfig({ KAFKA_SASL_MECHANISM: 'plain' }),
    (err: ConfigError) =>
      assert.deepEqual(err.problems, [
        'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM',
        'KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM',
      ]) === undefined,
  );
  assert.throws(
    () => loadConfig({ PARTITION_STRATEGY: 'trace-id', PARTITION_MAP: 'log=0' }),
    /PARTITION_MAP applies only to PARTITION_STRATEGY=event-type/,
  );
  assert.throws(
    () => loadConfig({ PRODUCER_MAX_QUEUE: '10', MAX_BATCH_EVENTS: '11' }),
    /PRODUCER_MAX_QUEUE must be at least MAX_BATCH_EVENTS/,
  );
  assert.equal(loadConfig({ KAFKA_SSL: 'true' }).kafka.ssl && true, true);
});

test('the config is deeply frozen', () => {
  const config = loadConfig({ KAFKA_CREATE_TOPIC_PARTITIONS: '3' });
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.http));
  assert.ok(Object.isFrozen(config.kafka.brokers));
  assert.ok(Object.isFrozen(config.kafka.createTopic));
  assert.throws(() => {
    (config.kafka.brokers as string[]).push('x:1');
  }, TypeError);
});

test('secrets are redacted for logging', () => {
  const config = loadConfig({
    AUTH_TOKEN: 'a-token-of-16-chars',
    KAFKA_SASL_MECHANISM: 'plain',
    KAFKA_SASL_USERNAME: 'user',
    KAFKA_SASL_PASSWORD: 'secret',
  });
  const text = JSON.stringify(redactConfig(config));
  assert.doesNotMatch(text, /a-token-of-16-chars|secret/);
  assert.match(text, /"username":"user"/);
});

test('loadConfig reads exactly the documented variables', () => {
  const read = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get: (_target, name) => {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  loadConfig(env);
  // Read only when another is set.
  loadConfig(
    new Proxy(
      {
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      } as Record<string, string | undefined>,
      {
        get: (target, name) => {
          if (typeof name === 'string') read.add(name);
          return typeof name === 'string' ? target[name] : undefined;
        },
      },
    ),
  );
  // Besides them, the two that locate the user's state directory, for the default spool (SPOOL_DIR unset).
  assert.deepEqual([...read].sort(), [...CONFIG_VARIABLES.map((v) => v.name), 'HOME', 'XDG_STATE_HOME'].sort());
});

test("CONFIG.md holds the current tables (settings, the original's keys)", () => {
  const doc = readFileSync(new URL('../CONFIG.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(configTable()), 'CONFIG.md is stale: run npm run config-doc -w packages/sidecar');
  assert.ok(doc.includes(originalKeysTable()), 'CONFIG.md is stale: run npm run config-doc -w packages/sidecar');
});

test('PARTITION_MAP is checked with the producer parser and against the partitions to create', () => {
  assert.equal(
    loadConfig({ PARTITION_MAP: 'log=0-3,audit=4-5,trace=6-9,error=10-11', KAFKA_CREATE_TOPIC_PARTITIONS: '12' }).kafka
      .partitionMap,
    'log=0-3,audit=4-5,trace=6-9,error=10-11',
  );
  assert.throws(
    () => loadConfig({ PARTITION_MAP: 'log=0-3,audit=4-5,trace=6-9,error=10-11', KAFKA_CREATE_TOPIC_PARTITIONS: '8' }),
    /KAFKA_CREATE_TOPIC_PARTITIONS must be at least 12 for PARTITION_MAP/,
  );
  assert.throws(() => loadConfig({ PARTITION_MAP: 'log=0-3' }), /PARTITION_MAP is invalid: .*partition map/);
});

test('KAFKA_CREATE_TOPIC_PARTITIONS=broker: created as the brokers would; the map and the factor are theirs', () => {
  assert.equal(loadConfig({ KAFKA_CREATE_TOPIC_PARTITIONS: 'broker' }).kafka.createTopic, 'broker');
  assert.equal(loadConfig({ KAFKA_CREATE_TOPIC_PARTITIONS: ' Broker ' }).kafka.createTopic, 'broker');
  assert.deepEqual(loadConfig({ KAFKA_CREATE_TOPIC_PARTITIONS: '6' }).kafka.createTopic, {
    partitions: 6,
    replicationFactor: 1,
  });
  // The brokers' num.partitions is known at connect only: the producer checks the map there.
  const mapped = { PARTITION_MAP: 'log=0-3,audit=4-5,trace=6-9,error=10-11', KAFKA_CREATE_TOPIC_PARTITIONS: 'broker' };
  assert.equal(loadConfig(mapped).kafka.createTopic, 'broker');
  for (const [value, problem] of [
    [
      'brokers',
      'KAFKA_CREATE_TOPIC_PARTITIONS must be a number of partitions from 1 to 10000, or broker, got "brokers"',
    ],
    ['auto', 'KAFKA_CREATE_TOPIC_PARTITIONS must be a number of partitions from 1 to 10000, or broker, got "auto"'],
    ['10001', 'KAFKA_CREATE_TOPIC_PARTITIONS must be an integer from 1 to 10000, got "10001"'],
  ] as const)
    assert.throws(
      () => loadConfig({ KAFKA_CREATE_TOPIC_PARTITIONS: value }),
      (err: ConfigError) => assert.deepEqual(err.problems, [problem]) === undefined,
    );
  assert.throws(
    () => loadConfig({ KAFKA_CREATE_TOPIC_PARTITIONS: 'broker', KAFKA_CREATE_TOPIC_REPLICATION_FACTOR: '3' }),
    (err: ConfigError) =>
      assert.deepEqual(err.problems, [
        "KAFKA_CREATE_TOPIC_REPLICATION_FACTOR applies only to a number of KAFKA_CREATE_TOPIC_PARTITIONS: with broker, the topic gets the brokers' default.replication.factor",
      ]) === undefined,
  );
  const producer = producerOptions(
    loadConfig({ KAFKA_CREATE_TOPIC_PARTITIONS: 'broker' }),
    createLogger('silent'),
    createMetrics(new Registry()),
  );
  assert.equal(producer.createTopic, 'broker');
});

test('the spool is on by default, in the user state directory; SPOOL_DIR=off turns it off', () => {
  const defaults = { maxBytes: 1_073_741_824, lingerMs: 0, sync: 'full', deadLetterAfterMs: 60_000 };
  const noHome = () => '/home/from-passwd';
  assert.deepEqual(loadConfig({ XDG_STATE_HOME: '/state' }).spool, { dir: '/state/event-sidecar/spool', ...defaults });
  assert.equal(loadConfig({ HOME: '/home/u' }).spool?.dir, '/home/u/.local/state/event-sidecar/spool');
  // The XDG specification ignores a relative XDG_STATE_HOME.
  assert.equal(
    loadConfig({ HOME: '/home/u', XDG_STATE_HOME: 'rel' }).spool?.dir,
    '/home/u/.local/state/event-sidecar/spool',
  );
  assert.equal(loadConfig({}, { homedir: noHome }).spool?.dir, '/home/from-passwd/.local/state/event-sidecar/spool');
  assert.equal(loadConfig({ SPOOL_DIR: '', HOME: '/h' }).spool?.dir, '/h/.local/state/event-sidecar/spool');
  for (const off of ['off', 'OFF', ' off ']) assert.equal('spool' in loadConfig({ SPOOL_DIR: off }), false, off);
  assert.equal(loadConfig({ SPOOL_DIR: 'off', SPOOL_MAX_BYTES: '2048' }).spool, undefined);
});

test('SPOOL_DIR is made absolute; a switch word is refused, not taken for a directory', () => {
  assert.deepEqual(loadConfig({ SPOOL_DIR: '/var/spool/x' }).spool, {
    dir: '/var/spool/x',
    maxBytes: 1_073_741_824,
    lingerMs: 0,
    sync: 'full',
    deadLetterAfterMs: 60_000,
  });
  assert.equal(loadConfig({ SPOOL_DIR: 'state/spool' }).spool?.dir, join(process.cwd(), 'state/spool'));
  for (const word of ['false', 'none', '0', 'no', 'disabled', 'true', 'on'])
    assert.throws(
      () => loadConfig({ SPOOL_DIR: word }),
      (err: ConfigError) =>
        err.problems.length === 1 &&
        err.problems[0] === `SPOOL_DIR must be a directory, or off to run without a spool, got "${word}"`,
      word,
    );
});

test('the spool settings are checked', () => {
  assert.deepEqual(
    loadConfig({
      SPOOL_DIR: '/s',
      SPOOL_MAX_BYTES: '2048',
      SPOOL_LINGER_MS: '0',
      SPOOL_SYNC: 'normal',
      SPOOL_DEAD_LETTER_AFTER_MS: '5000',
    }).spool,
    { dir: '/s', maxBytes: 2048, lingerMs: 0, sync: 'normal', deadLetterAfterMs: 5000 },
  );
  assert.throws(
    () => loadConfig({ SPOOL_DIR: '/s', SPOOL_MAX_BYTES: '10', SPOOL_SYNC: 'off', SPOOL_DEAD_LETTER_AFTER_MS: '0' }),
    (err: ConfigError) => err.problems.length === 3,
  );
});

test('MAX_BODY_BYTES and the producer record limit agree: an event read is an event that fits in a record', () => {
  assert.equal(loadConfig({ MAX_BODY_BYTES: String(1_000_000 - 512) }).http.maxBodyBytes, 999_488);
  assert.throws(
    () => loadConfig({ MAX_BODY_BYTES: '1048576' }),
    (err: ConfigError) =>
      err.problems.length === 1 &&
      err.problems[0]!.startsWith('MAX_BODY_BYTES must be at most PRODUCER_BATCH_MAX_BYTES - 512 (999488)'),
  );
  const raised = loadConfig({ MAX_BODY_BYTES: '1048576', PRODUCER_BATCH_MAX_BYTES: String(1_048_576 + 512) });
  assert.equal(raised.http.maxBodyBytes, 1_048_576);
});

test('--help lists every setting under its group, with its default', () => {
  const lines = helpText().split('\n');
  let group = '';
  let found = 0;
  for (const line of lines) {
    if (/^\S.*:$/.test(line)) group = line.slice(0, -1);
    const variable = CONFIG_VARIABLES.find((v) => line.startsWith(`  ${v.name} `));
    if (variable === undefined) continue;
    found++;
    assert.equal(group, variable.group, variable.name);
    if (variable.default !== undefined) assert.ok(line.endsWith(`(default: ${variable.default})`), line);
  }
  assert.equal(found, CONFIG_VARIABLES.length);
});

test("brokers and topic names are checked by the producer's own option checks", () => {
  // '/' in a host passes a plain host:port pattern but not the producer, which would refuse it at start.
  assert.throws(
    () => loadConfig({ KAFKA_BROKERS: 'kafka-1:9092,kafka/2:9092', EVENT_TOPIC: 'a'.repeat(250) }),
    (err: ConfigError) =>
      assert.deepEqual(err.problems, [
        'KAFKA_BROKERS must be host:port items separated by commas, got "kafka/2:9092"',
        `EVENT_TOPIC must be a legal Kafka topic name (letters, digits, '.', '_', '-'), got "${'a'.repeat(250)}"`,
      ]) === undefined,
  );
  assert.throws(() => loadConfig({ KAFKA_BROKERS: ' , ' }), /KAFKA_BROKERS must list at least one host:port/);
  assert.deepEqual(loadConfig({ EVENT_TOPIC: 'a'.repeat(249) }).kafka.topic, 'a'.repeat(249));
});
