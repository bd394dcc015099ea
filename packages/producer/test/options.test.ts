// The producer's options: defaults, one INVALID_OPTIONS error listing every problem, and the produce retries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkProducerOptions,
  EventProducer,
  PRODUCER_DEFAULTS,
  ProducerError,
  type EventProducerOptions,
} from '../src/index.js';
import { produceRetryFor, resolveOptions } from '../src/options.js';

test('defaults are applied and the result is frozen', () => {
  const o = resolveOptions({ brokers: ['127.0.0.1:9092'] });
  assert.equal(o.topic, 'topic-event');
  assert.equal(o.clientId, 'event-sidecar');
  assert.equal(o.strategy, 'event-type');
  assert.equal(o.idempotent, true);
  assert.equal(o.createTopic, false);
  assert.deepEqual(o.batch, PRODUCER_DEFAULTS.batch);
  assert.equal(o.publishTimeoutMs, 10_000);
  assert.equal(o.whenUnavailable, 'refuse');
  assert.ok(Object.isFrozen(o) && Object.isFrozen(o.batch) && Object.isFrozen(o.brokers));
});

test("whenUnavailable 'wait' defaults to librdkafka's message.timeout.ms and queue.buffering.max.messages", () => {
  const o = resolveOptions({ brokers: ['127.0.0.1:9092'], whenUnavailable: 'wait' });
  assert.equal(o.publishTimeoutMs, 300_000);
  assert.equal(o.batch.maxQueue, 100_000);
  assert.equal(o.batch.maxQueueBytes, 256 * 1024 * 1024);
  const given = resolveOptions({
    brokers: ['127.0.0.1:9092'],
    whenUnavailable: 'wait',
    publishTimeoutMs: 60_000,
    batch: { maxQueue: 5000 },
  });
  assert.equal(given.publishTimeoutMs, 60_000);
  assert.equal(given.batch.maxQueue, 5000);
});

test('a partition map string is parsed once', () => {
  const o = resolveOptions({ brokers: ['kafka:9092'], partitionMap: 'log=0-3,audit=4-5,trace=6-9,error=10-11' });
  assert.deepEqual(o.partitionMap?.trace, [6, 7, 8, 9]);
});

test('invalid options: one INVALID_OPTIONS error listing every problem', () => {
  const options = {
    brokers: ['nohost', 'ok:9092', 'bad:99999'],
    topic: 'bad topic',
    strategy: 'round-robin',
    publishTimeoutMs: 0,
    whenUnavailable: 'retry',
    batch: { maxEvents: 0, lingerMs: -1, maxQueueBytes: 10, color: 'red' },
    createTopic: { replicationFactor: 0 },
    sasl: { mechanism: 'gssapi', username: '' },
    metrics: { published: 'yes', other: () => {} },
    extra: true,
  } as unknown as EventProducerOptions;
  assert.throws(
    () => new EventProducer(options),
    (e: unknown) => {
      assert.ok(e instanceof ProducerError);
      assert.equal(e.code, 'INVALID_OPTIONS');
      for (const fragment of [
        'unknown option "extra"',
        'broker "nohost"',
        'broker "bad:99999"',
        'topic "bad topic"',
        "strategy must be 'event-type', 'trace-id' or a function",
        'publishTimeoutMs must be an integer from 1',
        'whenUnavailable must be refuse or wait, got "retry"',
        'batch.maxQueueBytes must be an integer from 1024',
        'batch.maxEvents',
        'batch.lingerMs',
        'unknown option "batch.color"',
        'createTopic.partitions is required',
        'createTopic.replicationFactor',
        'sasl.mechanism',
        'sasl.username',
        'sasl.password',
        'metrics.published must be a function',
        'unknown metrics hook "other"',
      ]) {
        assert.ok(e.message.includes(fragment), `message lists ${fragment}: ${e.message}`);
      }
      return true;
    },
  );
  assert.throws(() => new EventProducer({ brokers: [] }), { code: 'INVALID_OPTIONS', message: /brokers/ });
  assert.throws(() => new EventProducer({ brokers: ['k:1'], partitionMap: 'log=0' }), {
    code: 'INVALID_OPTIONS',
    message: /"audit" has no partitions/,
  });
});

test("createTopic 'broker' is kept as is; any other word is refused, naming the choices", () => {
  assert.equal(resolveOptions({ brokers: ['k:1'], createTopic: 'broker' }).createTopic, 'broker');
  assert.deepEqual(resolveOptions({ brokers: ['k:1'], createTopic: { partitions: 3 } }).createTopic, {
    partitions: 3,
    replicationFactor: 1,
  });
  for (const word of ['brokers', 'Broker', 'auto', true]) {
    assert.throws(() => resolveOptions({ brokers: ['k:1'], createTopic: word } as unknown as EventProducerOptions), {
      code: 'INVALID_OPTIONS',
      message: `invalid producer options: createTopic must be false, 'broker' or { partitions, replicationFactor? }, got ${JSON.stringify(word)}`,
    });
  }
});

test('produceRetryFor keeps kafkajs retries within half the publish timeout', () => {
  assert.deepEqual(produceRetryFor(10_000), { retries: 7, initialRetryTime: 100, maxRetryTime: 1000 });
  assert.deepEqual(produceRetryFor(3000), { retries: 4, initialRetryTime: 100, maxRetryTime: 1000 });
  assert.equal(produceRetryFor(50).retries, 1);
});

test('checkProducerOptions throws what the constructor throws, and creates nothing', () => {
  const bad = { brokers: ['kafka:9092'], topic: '', batch: { maxEvents: 0 } } as unknown as EventProducerOptions;
  let fromConstructor: unknown;
  try {
    void new EventProducer(bad);
  } catch (err) {
    fromConstructor = err;
  }
  assert.ok(fromConstructor instanceof ProducerError);
  assert.throws(
    () => checkProducerOptions(bad),
    (err: unknown) =>
      err instanceof ProducerError &&
      err.code === 'INVALID_OPTIONS' &&
      err.message === (fromConstructor as ProducerError).message,
  );
  assert.equal(checkProducerOptions({ brokers: ['kafka:9092'], topic: 'events' }), undefined);
});
