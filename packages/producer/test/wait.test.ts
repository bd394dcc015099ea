// whenUnavailable 'wait' (a service logging straight to Kafka): events Kafka cannot take yet wait in memory and are
// sent again, in order per partition, until confirmed or their deadline; bounded by a count and a byte limit.
// Driven through the fake kafkajs client; a broker killed for real is in test/reliability/recorder-restart.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs, { type Message } from 'kafkajs';
import { EventProducer, type ProducerError } from '../src/index.js';
import { connected, FakeKafka } from './fake-kafka.js';
import { makeEvent } from './fixtures.js';

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;
const TRACES = ['bbd7b2c7bbd7b2c7bbd7b2c7bbd7b2c7', '0af7651916cd43dd8448eb211c80319c'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Events alternating between two traces, numbered in publish order. */
function events(n: number) {
  return Array.from({ length: n }, (_, i) => makeEvent('log', TRACES[i % 2]!, { id: `e${i}` }));
}

const idOf = (m: Message) => (JSON.parse(m.value!.toString()) as { id: string }).id;

/** A broker that can be switched off: requests and connections then fail as kafkajs fails them (ECONNREFUSED). */
function switchable(fake: FakeKafka) {
  const refused = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('connect ECONNREFUSED'), {
    retryCount: 3,
    retryTime: 100,
  });
  const broker = {
    up: true,
    set(up: boolean) {
      broker.up = up;
      fake.connectError = up ? undefined : refused;
    },
  };
  fake.onSend = async (_p, messages) => {
    await sleep(2);
    if (!broker.up) throw refused;
    return fake.store(messages);
  };
  return broker;
}

test('wait: while the brokers are unreachable events are taken and wait; once back they go, in order per partition', async () => {
  const fake = new FakeKafka();
  const broker = switchable(fake);
  const states: string[] = [];
  const producer = await connected(fake, {
    whenUnavailable: 'wait',
    batch: { maxEvents: 3, lingerMs: 0 },
    metrics: { connectionState: (s) => states.push(s) },
  });
  broker.set(false);
  const all = events(20);
  const first = all.slice(0, 10).map((e) => producer.publish(e));
  while (producer.health().state !== 'down') await sleep(5);
  // Down: the refusing producer fails these at once; this one takes them.
  const second = all.slice(10).map((e) => producer.publish(e));
  await sleep(50);
  assert.equal(producer.health().queueDepth, 20);
  assert.equal(fake.stored, 0);
  broker.set(true);
  const results = await Promise.all([...first, ...second]);
  assert.equal(results.length, 20);
  assert.equal(producer.health().queueDepth, 0);
  assert.deepEqual(states, ['connected', 'down', 'connected']);
  // Each partition holds its trace's events once each, in publish order.
  const stored = [...fake.logs.values()].map((log) => log.map(idOf));
  assert.equal(stored.length, 2);
  for (const ids of stored) {
    const order = ids.map((id) => Number(id.slice(1)));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
      `in publish order: ${ids.join(',')}`,
    );
  }
  assert.equal(stored.flat().length, 20);
  await producer.close();
});

test('wait: a request failing transiently is sent again after a backoff until Kafka takes it', async () => {
  const fake = new FakeKafka();
  let failures = 3;
  fake.onSend = async (_p, messages) => {
    if (failures-- > 0) {
      throw new KafkaJSProtocolError({
        type: 'NOT_ENOUGH_REPLICAS',
        code: 19,
        retriable: true,
        message: 'NOT_ENOUGH_REPLICAS',
      } as unknown as Error);
    }
    return fake.store(messages);
  };
  const producer = await connected(fake, { whenUnavailable: 'wait', batch: { lanes: 1 } });
  const started = performance.now();
  const results = await Promise.all(events(4).map((e) => producer.publish(e)));
  // Backoffs of 100, 200 and 400 ms between the four requests.
  assert.ok(performance.now() - started >= 650, `${performance.now() - started} ms`);
  assert.equal(results.length, 4);
  assert.equal(fake.stored, 4);
  // Each failed request's producer replaced, as after any failure.
  assert.deepEqual(
    fake.producers.map((p) => p.sends.length),
    [1, 1, 1, 1],
  );
  await producer.close();
});

test('wait: the deadline passes: PUBLISH_TIMEOUT naming publishTimeoutMs', async () => {
  const fake = new FakeKafka();
  const broker = switchable(fake);
  const producer = await connected(fake, { whenUnavailable: 'wait', publishTimeoutMs: 300 });
  broker.set(false);
  const started = performance.now();
  const outcomes = await producer.publishMany(events(4));
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 299 && elapsed < 2000, `${elapsed} ms`);
  for (const o of outcomes) {
    assert.equal(o.ok, false);
    if (!o.ok) {
      assert.equal(o.error.code, 'PUBLISH_TIMEOUT');
      assert.match(o.error.message, /publishTimeoutMs \(300 ms\)/);
    }
  }
  assert.equal(producer.health().queueDepth, 0);
  await producer.close();
});

test('wait: a full queue refuses at once with OVERLOADED naming batch.maxQueue, then batch.maxQueueBytes', async () => {
  const fake = new FakeKafka();
  const broker = switchable(fake);
  const producer = await connected(fake, { whenUnavailable: 'wait', batch: { maxQueue: 3 } });
  const bytes = await connected(fake, { whenUnavailable: 'wait', batch: { maxQueueBytes: 2048 } });
  broker.set(false);
  const taken = events(3).map((e) => producer.publish(e));
  for (const p of taken) p.catch(() => undefined);
  await assert.rejects(producer.publish(makeEvent('log', TRACES[0]!)), (e: ProducerError) => {
    assert.equal(e.code, 'OVERLOADED');
    assert.match(e.message, /batch\.maxQueue 3/);
    return true;
  });
  assert.equal((await producer.close({ timeoutMs: 0 })).undelivered, 3);

  // Events of about 1 KB as records: the third or so passes 2048 bytes.
  let refused: ProducerError | undefined;
  let accepted = 0;
  while (!refused && accepted < 10) {
    const p = bytes.publish(makeEvent('log', TRACES[0]!));
    const outcome = await Promise.race([
      p.then(
        () => undefined,
        (e: ProducerError) => e,
      ),
      sleep(20).then(() => undefined),
    ]);
    if (outcome) refused = outcome;
    else accepted++;
  }
  assert.ok(accepted >= 1 && accepted < 10, `${accepted} accepted`);
  assert.equal(refused?.code, 'OVERLOADED');
  assert.match(refused.message, /batch\.maxQueueBytes 2048/);
  await bytes.close({ timeoutMs: 0 });
});

test('wait: an event too large is refused at once for its size, before connect and while down; it never waits', async () => {
  const big = makeEvent('log', TRACES[0]!, { content: { text: 'x'.repeat(3000) } });
  const fake = new FakeKafka();
  const broker = switchable(fake);
  const early = new EventProducer(
    { brokers: ['fake:9092'], whenUnavailable: 'wait', batch: { maxBytes: 2048 } },
    { kafka: fake },
  );
  await assert.rejects(early.publish(big), { code: 'RECORD_TOO_LARGE', canRetry: false });
  await assert.rejects(early.publish(makeEvent('log', TRACES[0]!)), { code: 'KAFKA_UNAVAILABLE' });
  await early.close();

  const producer = await connected(fake, { whenUnavailable: 'wait', batch: { maxBytes: 2048 } });
  broker.set(false);
  const waiting = events(3).map((e) => producer.publish(e));
  while (producer.health().state !== 'down') await sleep(5);
  // Kafka is away: the small events wait for it, the large one is refused for what it is, at once.
  const outcome = await Promise.race([
    producer.publish(big).then(
      () => 'published',
      (e: ProducerError) => e.code,
    ),
    sleep(200).then(() => 'still waiting'),
  ]);
  assert.equal(outcome, 'RECORD_TOO_LARGE');
  assert.equal(producer.health().queueDepth, 3);
  broker.set(true);
  assert.equal((await Promise.all(waiting)).length, 3);
  assert.equal(fake.stored, 3);
  await producer.close();
});

test('wait: close() delivers what waits if Kafka comes back within its timeout', async () => {
  const fake = new FakeKafka();
  const broker = switchable(fake);
  const producer = await connected(fake, { whenUnavailable: 'wait' });
  broker.set(false);
  const pending = events(6).map((e) => producer.publish(e));
  while (producer.health().state !== 'down') await sleep(5);
  const closing = producer.close({ timeoutMs: 5000 });
  await assert.rejects(producer.publish(makeEvent('log', TRACES[0]!)), { code: 'CLOSED' });
  await sleep(100);
  broker.set(true);
  assert.deepEqual(await closing, { undelivered: 0 });
  assert.equal((await Promise.all(pending)).length, 6);
  assert.equal(fake.stored, 6);
  assert.equal(producer.health().state, 'closed');
});

test('wait: close() gives up after its timeout and says what it could not deliver; each such event fails CLOSED', async () => {
  const fake = new FakeKafka();
  const broker = switchable(fake);
  const producer = await connected(fake, { whenUnavailable: 'wait' });
  broker.set(false);
  const pending = events(5).map((e) => producer.publish(e));
  while (producer.health().state !== 'down') await sleep(5);
  const started = performance.now();
  const result = await producer.close({ timeoutMs: 200 });
  assert.ok(performance.now() - started >= 199, 'waited its timeout');
  assert.deepEqual(result, { undelivered: 5 });
  for (const p of pending) await assert.rejects(p, { code: 'CLOSED', message: /close timeout 200 ms/ });
  // Nothing is sent or probed after close: the brokers coming back changes nothing.
  const producers = fake.producers.length;
  broker.set(true);
  await sleep(600);
  assert.equal(fake.producers.length, producers);
  assert.equal(fake.stored, 0);
});
