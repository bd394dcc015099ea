// The batching, timeout and recovery logic of EventProducer, driven through a fake kafkajs client so that each
// situation (a request that hangs, a producer kafkajs cannot use any more, ...) is exact and repeatable.
// The same behaviour against a real broker is in test/integration/producer*.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { EventProducer, RECORD_ENVELOPE_BYTES, sizedRecord, type ProducerError } from '../src/index.js';
import { connected, FakeKafka } from './fake-kafka.js';
import { makeEvent } from './fixtures.js';

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;
const TRACE = 'bbd7b2c7bbd7b2c7bbd7b2c7bbd7b2c7';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function events(n: number, type: 'log' | 'audit' | 'trace' | 'error' = 'log') {
  return Array.from({ length: n }, (_, i) => makeEvent(type, TRACE, { id: `e${i}` }));
}

function protocolError(type: string, code: number, retriable: boolean) {
  return new KafkaJSProtocolError({ type, code, retriable, message: type } as unknown as Error);
}

test('one lane: concurrent publishes are coalesced into batches, one request in flight, offsets per partition', async () => {
  const fake = new FakeKafka();
  fake.onSend = async (_p, messages) => {
    await sleep(5);
    return fake.store(messages);
  };
  const batches: number[] = [];
  const producer = await connected(fake, {
    batch: { maxEvents: 300, lingerMs: 5, lanes: 1 },
    metrics: { batchSize: (n) => batches.push(n) },
  });
  const all = [...events(500, 'log'), ...events(500, 'trace')];
  const results = await Promise.all(all.map((e) => producer.publish(e)));
  assert.deepEqual(
    fake.producers[0]!.sends.map((s) => s.length),
    [300, 300, 300, 100],
  );
  assert.deepEqual(batches, [300, 300, 300, 100]);
  assert.equal(fake.maxInFlight, 1);
  // each result points at the stored record of that event
  for (const [i, r] of results.entries()) {
    const stored = fake.logs.get(r.partition)![Number(r.offset)]!;
    assert.equal(JSON.parse(stored.value!.toString()).id, all[i]!.id);
    assert.equal(r.partition, producer.partitionFor(all[i]!));
  }
  // a log and a trace event of one trace: two partitions, each with its events in publish order
  assert.equal(fake.logs.size, 2);
  await producer.close();
  assert.ok(fake.producers[0]!.disconnected);
});

test('an idle lane sends at once: events published together share one request, without the linger', async () => {
  const fake = new FakeKafka();
  const producer = await connected(fake, { batch: { lingerMs: 1000 } });
  const started = performance.now();
  await Promise.all(events(3).map((e) => producer.publish(e)));
  assert.ok(performance.now() - started < 500, 'not held for the linger');
  assert.deepEqual(
    fake.producers[0]!.sends.map((s) => s.length),
    [3],
  );
  await producer.close();
});

test('behind a request in flight, events gather until it completes and the oldest has waited lingerMs', async () => {
  const fake = new FakeKafka();
  let release: (() => void) | undefined;
  fake.onSend = (_p, messages) =>
    release === undefined
      ? new Promise((resolve) => (release = () => resolve(fake.store(messages))))
      : Promise.resolve(fake.store(messages));
  const producer = await connected(fake, { batch: { lingerMs: 60 } });
  const [first, second, third] = events(3);
  const sent = producer.publish(first!);
  while (release === undefined) await sleep(1);
  const gatheredAt = performance.now();
  const gathered = [producer.publish(second!), producer.publish(third!)];
  await sleep(5);
  release!();
  await sent;
  await sleep(20);
  assert.equal(fake.producers[0]!.sends.length, 1, 'the gathered batch waits for the linger');
  await Promise.all(gathered);
  const held = performance.now() - gatheredAt;
  assert.ok(held >= 59, `held ${held.toFixed(1)} ms, until its oldest event waited lingerMs`);
  assert.deepEqual(
    fake.producers[0]!.sends.map((s) => s.length),
    [1, 2],
  );
  await producer.close();
});

test('a request that never returns: PUBLISH_TIMEOUT for the events in it and for those waiting', async () => {
  const fake = new FakeKafka();
  let release!: () => void;
  fake.onSend = (_p, messages) =>
    new Promise((resolve) => {
      release = () => resolve(fake.store(messages));
    });
  const producer = await connected(fake, { publishTimeoutMs: 150, batch: { maxEvents: 2, lingerMs: 0 } });
  const started = performance.now();
  const outcomes = await producer.publishMany(events(5));
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 149 && elapsed < 1000, `${elapsed}`);
  const errors = outcomes.map((o) => (o.ok ? undefined : o.error));
  assert.deepEqual(
    errors.map((e) => e?.code),
    Array(5).fill('PUBLISH_TIMEOUT'),
  );
  assert.match(errors[0]!.message, /may still be stored/);
  assert.match(errors[4]!.message, /was not sent/);
  assert.equal(producer.health().state, 'degraded');
  assert.equal(producer.health().queueDepth, 0);
  // the late acknowledgement changes nothing for the callers; the next batch goes out
  fake.onSend = async (_p, messages) => fake.store(messages);
  release();
  const r = await producer.publish(makeEvent('audit', TRACE));
  assert.equal(r.offset, '0');
  assert.equal(fake.stored, 3);
  assert.equal(producer.health().state, 'connected');
  await producer.close();
});

test('a producer kafkajs can no longer use is replaced, and the refused records are resent once', async () => {
  const fake = new FakeKafka();
  fake.onSend = async (p, messages) => {
    if (p.id === 1) throw protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER', 45, false);
    return fake.store(messages);
  };
  const producer = await connected(fake, { batch: { lanes: 1 } });
  const results = await Promise.all(events(3).map((e) => producer.publish(e)));
  assert.equal(results.length, 3);
  assert.equal(fake.producers.length, 2);
  assert.ok(fake.producers[0]!.disconnected);
  assert.equal(fake.stored, 3);
  assert.equal(producer.health().state, 'connected');
  await producer.close();
});

test('after an unknown error the next request goes through a new producer; unknown errors are not retriable', async () => {
  const fake = new FakeKafka();
  fake.onSend = async (p, messages) => {
    if (p.id === 1) throw new TypeError('kafkajs bug');
    return fake.store(messages);
  };
  const failed: string[] = [];
  const producer = await connected(fake, {
    batch: { lanes: 1 },
    metrics: { failed: (type, code, n) => failed.push(`${type}:${code}:${n}`) },
  });
  await assert.rejects(producer.publish(makeEvent('error', TRACE)), { code: 'UNKNOWN', canRetry: false });
  assert.deepEqual(failed, ['error:UNKNOWN:1']);
  assert.equal(producer.health().state, 'degraded');
  assert.equal(producer.health().lastError?.code, 'UNKNOWN');
  await producer.publish(makeEvent('error', TRACE));
  assert.equal(fake.producers.length, 2);
  assert.equal(producer.health().state, 'connected');
  await producer.close();
});

test('unreachable brokers: down, waiting events fail, new ones fail fast, probing brings it back', async () => {
  const fake = new FakeKafka();
  const refused = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('connect ECONNREFUSED'), {
    retryCount: 3,
    retryTime: 100,
  });
  let outage = false;
  fake.onSend = async (_p, messages) => {
    if (outage) {
      fake.connectError = refused;
      throw refused;
    }
    return fake.store(messages);
  };
  const states: string[] = [];
  const producer = await connected(fake, {
    batch: { maxEvents: 2, lingerMs: 0 },
    metrics: { connectionState: (s) => states.push(s) },
  });
  outage = true;
  const outcomes = await producer.publishMany(events(5));
  assert.deepEqual(
    outcomes.map((o) => (o.ok ? 'ok' : o.error.code)),
    Array(5).fill('KAFKA_UNAVAILABLE'),
  );
  assert.equal(producer.health().state, 'down');
  const started = performance.now();
  await assert.rejects(producer.publish(makeEvent('log', TRACE)), (e: ProducerError) => {
    assert.equal(e.code, 'KAFKA_UNAVAILABLE');
    assert.ok(e.retryAfterMs! >= 100 && e.retryAfterMs! <= 250);
    return true;
  });
  assert.ok(performance.now() - started < 20);
  // Probes: first after 250 ms (fails), then after 500 ms.
  await sleep(300);
  assert.equal(producer.health().state, 'down');
  outage = false;
  fake.connectError = undefined;
  await sleep(600);
  assert.equal(producer.health().state, 'connected');
  await producer.publish(makeEvent('log', TRACE));
  assert.deepEqual(states, ['connected', 'down', 'connected']);
  await producer.close();
});

test('a request refused as too large is split; only the large event fails', async () => {
  const fake = new FakeKafka();
  fake.onSend = async (_p, messages) => {
    if (messages.some((m) => (m.value as Buffer).length > 5000)) throw protocolError('MESSAGE_TOO_LARGE', 10, false);
    return fake.store(messages);
  };
  const producer = await connected(fake, { batch: { lingerMs: 5 } });
  const big = makeEvent('log', TRACE, { id: 'big', content: { text: 'x'.repeat(6000) } });
  const outcomes = await producer.publishMany([...events(2), big, ...events(2)]);
  assert.deepEqual(
    outcomes.map((o) => (o.ok ? 'ok' : o.error.code)),
    ['ok', 'ok', 'RECORD_TOO_LARGE', 'ok', 'ok'],
  );
  assert.equal(fake.stored, 4);
  await producer.close();
});

test('an event larger than batch.maxBytes fails at once with RECORD_TOO_LARGE', async () => {
  const fake = new FakeKafka();
  const producer = await connected(fake, { batch: { maxBytes: 2048 } });
  const big = makeEvent('log', TRACE, { content: { text: 'x'.repeat(3000) } });
  await assert.rejects(producer.publish(big), { code: 'RECORD_TOO_LARGE', canRetry: false });
  assert.equal(fake.producers[0]!.sends.length, 0);
  await producer.close();
});

test('an event too large is RECORD_TOO_LARGE whatever the state of Kafka: before connect, while down, after close', async () => {
  const big = makeEvent('log', TRACE, { content: { text: 'x'.repeat(3000) } });
  const fake = new FakeKafka();
  const early = new EventProducer({ brokers: ['127.0.0.1:9'], batch: { maxBytes: 2048 } }, { kafka: fake });
  await assert.rejects(early.publish(big), { code: 'RECORD_TOO_LARGE', canRetry: false });
  const refused = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('connect ECONNREFUSED'), {
    retryCount: 3,
    retryTime: 100,
  });
  fake.onSend = async () => {
    fake.connectError = refused;
    throw refused;
  };
  const producer = await connected(fake, { batch: { maxBytes: 2048 } });
  await assert.rejects(producer.publish(makeEvent('log', TRACE)), { code: 'KAFKA_UNAVAILABLE' });
  assert.equal(producer.health().state, 'down');
  // Kafka is away: a small event is refused for that (and may be kept elsewhere), a large one for its size.
  await assert.rejects(producer.publish(makeEvent('log', TRACE)), { code: 'KAFKA_UNAVAILABLE' });
  await assert.rejects(producer.publish(big), { code: 'RECORD_TOO_LARGE', canRetry: false });
  await producer.close();
  await early.close();
  await assert.rejects(producer.publish(big), { code: 'RECORD_TOO_LARGE' });
});

test('RECORD_ENVELOPE_BYTES bounds what a record adds to the JSON of an event the contract accepts', () => {
  // The longest action, content type and a traceparent header; protocol.createdAt of the year 2286.
  const event = makeEvent('error', 'f'.repeat(32), { type: 'application/json', content: { text: 'x'.repeat(5000) } });
  const json = Buffer.byteLength(JSON.stringify(event));
  const { bytes } = sizedRecord(event, 9_999_999_999_999, 1 << 20);
  assert.ok(bytes - json > 200, `the envelope is ${bytes - json} bytes`);
  assert.ok(bytes - json <= RECORD_ENVELOPE_BYTES, `the envelope is ${bytes - json} bytes`);
  assert.throws(() => sizedRecord(event, Date.now(), json + RECORD_ENVELOPE_BYTES - 300), { code: 'RECORD_TOO_LARGE' });
  assert.equal(
    sizedRecord(event, Date.now(), json + RECORD_ENVELOPE_BYTES).bytes <= json + RECORD_ENVELOPE_BYTES,
    true,
  );
});

test('batches respect maxBytes', async () => {
  const fake = new FakeKafka();
  const producer = await connected(fake, { batch: { maxBytes: 4000, lingerMs: 5 } });
  const size = (await import('../src/index.js')).toKafkaRecord(makeEvent('log', TRACE), 0).value.length;
  await Promise.all(events(10).map((e) => producer.publish(e)));
  for (const s of fake.producers[0]!.sends) assert.ok(s.length * (size + 64) <= 4000 + size, `${s.length}`);
  assert.ok(fake.producers[0]!.sends.length > 1);
  await producer.close();
});

test('close(): delivers what it took, refuses new events, then disconnects', async () => {
  const fake = new FakeKafka();
  fake.onSend = async (_p, messages) => {
    await sleep(20);
    return fake.store(messages);
  };
  const producer = await connected(fake, { batch: { maxEvents: 50, lingerMs: 50 } });
  const pending = events(500).map((e) => producer.publish(e));
  const closing = producer.close();
  await assert.rejects(producer.publish(makeEvent('log', TRACE)), { code: 'CLOSED' });
  assert.equal(producer.close(), closing);
  await closing;
  assert.equal(fake.stored, 500);
  assert.equal((await Promise.all(pending)).length, 500);
  assert.ok(fake.producers[0]!.disconnected);
  assert.equal(producer.health().state, 'closed');
});

test('connect(): the partition map must fit the topic', async () => {
  const producer = new EventProducer(
    { brokers: ['fake:9092'], partitionMap: 'log=0-3,audit=4-5,trace=6-9,error=10-11' },
    { kafka: new FakeKafka(8) },
  );
  await assert.rejects(producer.connect(), { code: 'NOT_ENOUGH_PARTITIONS', message: /has 8 partitions/ });
  assert.equal(producer.health().state, 'down');
});

test('publish(event, { createdAt }): the given time is protocol.createdAt and the record timestamp', async () => {
  const fake = new FakeKafka();
  const producer = await connected(fake, { batch: { lingerMs: 0 } });
  const [late, now] = events(2);
  const before = Date.now();
  const a = await producer.publish(late!, { createdAt: 1_700_000_000_123 });
  const b = await producer.publish(now!);
  const stored = (r: { partition: number; offset: string }) => fake.logs.get(r.partition)![Number(r.offset)]!;
  assert.equal(JSON.parse(stored(a).value!.toString()).metadata['protocol.createdAt'], 1_700_000_000_123);
  assert.equal(stored(a).timestamp, '1700000000123');
  assert.ok(JSON.parse(stored(b).value!.toString()).metadata['protocol.createdAt'] >= before);
});

/** Events of every type over `n` traces, so that they spread over the partitions. */
function spread(n: number) {
  const types = ['log', 'audit', 'trace', 'error'] as const;
  return Array.from({ length: n }, (_, i) =>
    makeEvent(types[i % 4]!, (i % 97).toString(16).padStart(32, 'a'), { id: `s${i}` }),
  );
}

test('lanes: one request in flight per lane, a partition in one request at a time, in publish order', async () => {
  const fake = new FakeKafka(12);
  // The partitions of each producer's request in flight: no partition may be in two at once.
  const sending = new Map<number, Set<number>>();
  let overlaps = 0;
  fake.onSend = async (p, messages) => {
    const mine = new Set(messages.map((m) => m.partition!));
    for (const [id, theirs] of sending) if (id !== p.id) for (const x of mine) if (theirs.has(x)) overlaps++;
    sending.set(p.id, mine);
    await sleep(10 + Math.random() * 20);
    sending.delete(p.id);
    return fake.store(messages);
  };
  const producer = await connected(fake, { batch: { maxEvents: 20, lingerMs: 1, lanes: 4 } });
  assert.equal(fake.producers.length, 4);
  const all = spread(2000);
  const results = await Promise.all(all.map((e) => producer.publish(e)));
  assert.equal(fake.maxInFlight, 4);
  assert.equal(overlaps, 0);
  for (const p of fake.producers) assert.ok(p.sends.length > 1);
  // each partition holds its events in publish order, and each result points at its record
  const expected = new Map<number, string[]>();
  for (const [i, event] of all.entries()) {
    const partition = producer.partitionFor(event);
    assert.equal(results[i]!.partition, partition);
    expected.set(partition, [...(expected.get(partition) ?? []), event.id]);
    const stored = fake.logs.get(partition)![Number(results[i]!.offset)]!;
    assert.equal(JSON.parse(stored.value!.toString()).id, event.id);
  }
  assert.equal(expected.size, 12);
  for (const [partition, ids] of expected) {
    assert.deepEqual(
      fake.logs.get(partition)!.map((m) => JSON.parse(m.value!.toString()).id),
      ids,
    );
  }
  await producer.close();
  assert.ok(fake.producers.every((p) => p.disconnected));
});

test('lanes: no more lanes than partitions', async () => {
  const fake = new FakeKafka(4);
  const producer = await connected(fake, { strategy: 'trace-id', batch: { lanes: 8 } });
  assert.equal(fake.producers.length, 4);
  await producer.close();
});

test('lanes: a failed request replaces the producer of its lane only', async () => {
  const fake = new FakeKafka(12);
  const carriedBy = new Map<string, number>();
  fake.onSend = async (p, messages) => {
    for (const m of messages) carriedBy.set((JSON.parse(m.value!.toString()) as { id: string }).id, p.id);
    if (p.id === 1) throw new TypeError('kafkajs bug');
    return fake.store(messages);
  };
  // One event per request: each lane sends at once, so no lane takes another's events.
  const producer = await connected(fake, { batch: { lanes: 4, maxEvents: 1 } });
  const all = spread(200);
  const outcomes = await producer.publishMany(all);
  // The events of lane 0's failed request failed, and only those.
  for (const [i, o] of outcomes.entries()) assert.equal(o.ok, carriedBy.get(all[i]!.id) !== 1, all[i]!.id);
  assert.ok(outcomes.some((o) => !o.ok));
  assert.equal(producer.health().lastError?.code, 'UNKNOWN');
  // lane 0 goes on with a new producer; the other lanes keep theirs
  await Promise.all(spread(200).map((e) => producer.publish(e)));
  assert.equal(fake.producers.length, 5);
  assert.ok(fake.producers[0]!.disconnected);
  assert.ok(fake.producers.slice(1, 4).every((p) => !p.disconnected));
  assert.ok(fake.producers[4]!.sends.length > 0);
  assert.equal(producer.health().state, 'connected');
  await producer.close();
});

test('lanes: batch.maxQueue bounds the events of all lanes together', async () => {
  const fake = new FakeKafka(12);
  const releases: (() => void)[] = [];
  fake.onSend = (_p, messages) =>
    new Promise((resolve) => {
      releases.push(() => resolve(fake.store(messages)));
    });
  // One event per request: every lane has one in flight at once.
  const producer = await connected(fake, { batch: { lanes: 4, maxQueue: 40, lingerMs: 0, maxEvents: 1 } });
  const pending = spread(40).map((e) => producer.publish(e));
  await sleep(20);
  assert.equal(fake.inFlight, 4);
  assert.equal(producer.health().queueDepth, 40);
  await assert.rejects(producer.publish(spread(1)[0]!), { code: 'OVERLOADED' });
  while (releases.length > 0 || fake.stored < 40) {
    releases.splice(0).forEach((r) => r());
    await sleep(5);
  }
  assert.equal((await Promise.all(pending)).length, 40);
  assert.equal(producer.health().queueDepth, 0);
  await producer.close();
});

// The order of a partition under failure: an event that failed for a retriable reason is delivered again later
// (by the sidecar's spool), so no event after it on its partition may reach Kafka first.
function settled(promises: Promise<unknown>[]) {
  return Promise.all(
    promises.map((p) =>
      p.then(
        () => 'ok',
        (e: ProducerError) => e.code,
      ),
    ),
  );
}

test('order under failure: a retriable failure fails the events queued after it on its partition, not others', async () => {
  const fake = new FakeKafka();
  let first = true;
  fake.onSend = async (_p, messages) => {
    await sleep(5);
    if (first) {
      first = false;
      throw protocolError('NOT_LEADER_FOR_PARTITION', 6, true);
    }
    return fake.store(messages);
  };
  const producer = await connected(fake, { batch: { maxEvents: 1, lingerMs: 0, lanes: 1 } });
  const logs = events(4, 'log');
  const audits = events(2, 'audit');
  const p = producer.partitionFor(logs[0]!);
  assert.notEqual(producer.partitionFor(audits[0]!), p);
  // log 0 goes first and fails; logs 1..3 wait behind it on its partition, the audits on another
  const outcomes = await settled(
    [logs[0]!, audits[0]!, logs[1]!, logs[2]!, audits[1]!, logs[3]!].map((e) => producer.publish(e)),
  );
  assert.deepEqual(outcomes, [
    'KAFKA_UNAVAILABLE',
    'ok',
    'KAFKA_UNAVAILABLE',
    'KAFKA_UNAVAILABLE',
    'ok',
    'KAFKA_UNAVAILABLE',
  ]);
  assert.equal(fake.logs.get(p)?.length ?? 0, 0);
  assert.equal(producer.health().queueDepth, 0);
  await producer.close();
});

test('order under failure: an event refused for itself does not fail the events after it', async () => {
  const fake = new FakeKafka();
  let first = true;
  fake.onSend = async (_p, messages) => {
    await sleep(5);
    if (first) {
      first = false;
      throw new TypeError('kafkajs bug');
    }
    return fake.store(messages);
  };
  const producer = await connected(fake, { batch: { maxEvents: 1, lingerMs: 0, lanes: 1 } });
  const outcomes = await settled(events(3, 'log').map((e) => producer.publish(e)));
  assert.deepEqual(outcomes, ['UNKNOWN', 'ok', 'ok']);
  await producer.close();
});

test('order under failure: an event timed out in flight holds its partition until its request ends, then its failure fails the next', async () => {
  const fake = new FakeKafka();
  let fail: (() => void) | undefined;
  // the first request hangs until fail(); any later one is stored
  fake.onSend = (_p, messages) =>
    new Promise((resolve, reject) => {
      if (fail) return resolve(fake.store(messages));
      fail = () => reject(protocolError('NOT_LEADER_FOR_PARTITION', 6, true));
    });
  const producer = await connected(fake, { publishTimeoutMs: 150, batch: { maxEvents: 1, lingerMs: 0, lanes: 1 } });
  const [e0, e1] = events(2, 'log');
  const first = producer.publish(e0!).catch((e: ProducerError) => e.code);
  await sleep(100);
  const second = producer.publish(e1!).catch((e: ProducerError) => e.code);
  // e0's deadline passes while its request is in flight; e1 (due later) waits behind it
  assert.equal(await first, 'PUBLISH_TIMEOUT');
  fail!();
  assert.equal(await second, 'KAFKA_UNAVAILABLE');
  assert.equal(fake.stored, 0);
  await producer.close();
});
