// EventProducer against a real broker: placement per strategy, record bytes, close() under load, topic checks,
// overload. Every "published" claim is checked by consuming the records back.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type IHeaders } from 'kafkajs';
import type { EventMessage, EventType } from '@event-sidecar/contract';
import {
  EventProducer,
  eventTypePartition,
  isProducerError,
  parsePartitionMap,
  partitionsForType,
  toKafkaRecord,
  traceIdPartition,
  type EventProducerOptions,
  type PartitionStrategy,
  type PublishResult,
} from '@event-sidecar/producer';
import { createTopicsWithLeaders, testBrokers, uniqueName } from '../helpers/kafka.js';

const TYPES: EventType[] = ['log', 'audit', 'trace', 'error'];
const ACTIONS = { log: 'info', audit: 'default', trace: 'span', error: 'internal' } as const;

function traceId(): string {
  return randomBytes(16).toString('hex');
}

function makeEvent(type: EventType, trace: string, seq: number, extra: Record<string, unknown> = {}): EventMessage {
  return {
    id: `${trace.slice(0, 8)}-${type}-${seq}`,
    from: 'dfsp1',
    to: 'dfsp2',
    type: 'application/json',
    content: { seq, payload: 'p'.repeat(200), nested: { z: 1, a: [true, null, 'x'] }, ...extra },
    metadata: {
      event: {
        id: randomBytes(8).toString('hex'),
        type,
        action: ACTIONS[type],
        createdAt: new Date().toISOString(),
        state: { status: 'success' },
      },
      trace: { service: 'it-service', traceId: trace, spanId: randomBytes(8).toString('hex'), sampled: seq % 2 },
    } as EventMessage['metadata'],
  };
}

interface Consumed {
  key: string;
  value: Buffer;
  headers: IHeaders;
  partition: number;
  offset: string;
  timestamp: string;
}

function kafkaClient(): Kafka {
  return new Kafka({ clientId: uniqueName('it-producer'), brokers: testBrokers(), logLevel: logLevel.NOTHING });
}

async function withAdmin(t: TestContext): Promise<Admin> {
  const admin = kafkaClient().admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  return admin;
}

async function createTopic(admin: Admin, partitions: number): Promise<string> {
  const topic = uniqueName('it-producer');
  await createTopicsWithLeaders(admin, [{ topic, numPartitions: partitions }]);
  return topic;
}

/** Reads `count` records of `topic` from the beginning (fails after 60 s). */
async function consume(t: TestContext, topic: string, count: number): Promise<Consumed[]> {
  const consumer = kafkaClient().consumer({ groupId: uniqueName('it-group'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const out: Consumed[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${out.length} of ${count} records`)), 60_000);
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            out.push({
              key: m.key!.toString(),
              value: m.value!,
              headers: m.headers ?? {},
              partition: batch.partition,
              offset: m.offset,
              timestamp: m.timestamp,
            });
          }
          if (out.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.stop();
  return out;
}

async function startProducer(t: TestContext, options: Partial<EventProducerOptions>): Promise<EventProducer> {
  const producer = new EventProducer({ brokers: testBrokers(), clientId: uniqueName('it-client'), ...options });
  t.after(() => producer.close());
  await producer.connect();
  return producer;
}

/** Publishes `perTraceType` events for every type of every trace, all concurrently; returns them with results. */
async function publishAll(producer: EventProducer, traces: string[], perTraceType: number) {
  const events: EventMessage[] = [];
  for (let seq = 0; seq < perTraceType; seq++) {
    for (const trace of traces) for (const type of TYPES) events.push(makeEvent(type, trace, seq));
  }
  const results = await Promise.all(events.map((e) => producer.publish(e)));
  return events.map((event, i) => ({ event, result: results[i]! }));
}

function seqOf(value: Buffer): number {
  return (JSON.parse(value.toString()) as { content: { seq: number } }).content.seq;
}

const MAP = 'log=0-3,audit=4-5,trace=6-9,error=10-11';
const custom: PartitionStrategy = (event, n) =>
  (TYPES.indexOf(event.metadata.event.type) * 3 + event.metadata.trace.traceId.charCodeAt(0)) % n;

const strategies: {
  name: string;
  partitions: number;
  options: Partial<EventProducerOptions>;
  expect: (e: EventMessage) => number;
}[] = [
  {
    name: 'event-type with a partition map',
    partitions: 12,
    options: { strategy: 'event-type', partitionMap: MAP },
    expect: (e) => eventTypePartition(e, 12, parsePartitionMap(MAP)),
  },
  {
    name: 'event-type with the default split',
    partitions: 6,
    options: {},
    expect: (e) => eventTypePartition(e, 6),
  },
  { name: 'trace-id', partitions: 12, options: { strategy: 'trace-id' }, expect: (e) => traceIdPartition(e, 12) },
  { name: 'a custom function', partitions: 5, options: { strategy: custom }, expect: (e) => custom(e, 5) },
];

for (const s of strategies) {
  test(`strategy ${s.name}: records are where the pure function says, in order per trace and type`, async (t) => {
    const admin = await withAdmin(t);
    const topic = await createTopic(admin, s.partitions);
    const published: Record<string, number> = {};
    const producer = await startProducer(t, {
      topic,
      ...s.options,
      metrics: { published: (type, n) => (published[type] = (published[type] ?? 0) + n) },
    });
    const traces = Array.from({ length: 8 }, traceId);
    const sent = await publishAll(producer, traces, 5);
    for (const { event, result } of sent) {
      assert.equal(result.topic, topic);
      assert.equal(result.partition, s.expect(event), `publish result of ${event.id}`);
      assert.equal(producer.partitionFor(event), result.partition);
    }
    assert.deepEqual(published, { log: 40, audit: 40, trace: 40, error: 40 });

    const records = await consume(t, topic, sent.length);
    assert.equal(records.length, sent.length);
    const byId = new Map(sent.map((x) => [x.event.id, x]));
    const lastSeq = new Map<string, { seq: number; offset: bigint }>();
    for (const r of records.sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1))) {
      const body = JSON.parse(r.value.toString()) as EventMessage;
      const x = byId.get(body.id)!;
      assert.ok(x, `record ${body.id} was published`);
      assert.equal(r.partition, s.expect(x.event), `partition of ${body.id}`);
      assert.deepEqual(
        { partition: r.partition, offset: r.offset },
        {
          partition: x.result.partition,
          offset: x.result.offset,
        },
      );
      if (s.options.strategy === undefined || s.options.strategy === 'event-type') {
        const map = s.options.partitionMap as string | undefined;
        assert.ok(partitionsForType(x.event.metadata.event.type, s.partitions, map).includes(r.partition));
      }
      // One trace's events of one type: in publish order.
      const k = `${x.event.metadata.trace.traceId}/${x.event.metadata.event.type}`;
      const seq = seqOf(r.value);
      const previous = lastSeq.get(k);
      if (previous && previous.offset < BigInt(r.offset)) assert.ok(seq > previous.seq, `${k} in order`);
      lastSeq.set(k, { seq, offset: BigInt(r.offset) });
    }
    assert.equal(lastSeq.size, traces.length * TYPES.length);
  });
}

test('the record: key, value byte for byte, timestamp and headers', async (t) => {
  const admin = await withAdmin(t);
  const topic = await createTopic(admin, 4);
  const producer = await startProducer(t, { topic, strategy: 'trace-id' });
  const trace = traceId();
  const event = makeEvent('audit', trace, 1, { ünïcode: 'ä€😀', '10': 'ten', '2': 'two', empty: {} });
  event.pp = 'pp-value';
  const before = Date.now();
  const result = await producer.publish(event);
  const after = Date.now();
  const [record] = await consume(t, topic, 1);
  assert.ok(record);
  assert.equal(record.key, trace);
  assert.equal(record.partition, result.partition);
  const createdAt = (JSON.parse(record.value.toString()) as { metadata: Record<string, number> }).metadata[
    'protocol.createdAt'
  ]!;
  assert.ok(createdAt >= before && createdAt <= after, 'protocol.createdAt is the publish time');
  assert.equal(record.timestamp, String(createdAt));
  assert.ok(record.value.equals(toKafkaRecord(event, createdAt).value), 'value bytes');
  const text = record.value.toString('utf8');
  assert.ok(text.startsWith('{"content":{"10":"ten","2":"two","empty":{},"nested":{"a":[true,null,"x"],"z":1},'));
  assert.ok(text.includes('"pp":"pp-value","to":"dfsp2","type":"application/json"}'));
  assert.ok(text.includes('"ünïcode":"ä€😀"'));
  const headers = Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, String(v)]));
  assert.deepEqual(headers, {
    'event-type': 'audit',
    'event-action': 'default',
    'content-type': 'application/json',
    traceparent: `00-${trace}-${event.metadata.trace.spanId}-01`,
  });
});

test('publishMany: one outcome per event in order; a bad event fails alone', async (t) => {
  const admin = await withAdmin(t);
  const topic = await createTopic(admin, 4);
  const producer = await startProducer(t, { topic });
  const trace = traceId();
  const bad = makeEvent('log', trace, 1);
  (bad.metadata.trace as { traceId?: string }).traceId = undefined;
  const outcomes = await producer.publishMany([makeEvent('log', trace, 0), bad, makeEvent('trace', trace, 2)]);
  assert.deepEqual(
    outcomes.map((o) => (o.ok ? 'ok' : o.error.code)),
    ['ok', 'INVALID_EVENT', 'ok'],
  );
  const records = await consume(t, topic, 2);
  assert.deepEqual(records.map((r) => seqOf(r.value)).sort(), [0, 2]);
});

test('close() with thousands of events in flight: every resolved publish is on the topic', async (t) => {
  const admin = await withAdmin(t);
  const topic = await createTopic(admin, 12);
  const producer = new EventProducer({ brokers: testBrokers(), topic, batch: { maxEvents: 200 } });
  await producer.connect();
  const traces = Array.from({ length: 50 }, traceId);
  const n = 5000;
  const settled: (PublishResult | Error)[] = [];
  const pending = Array.from({ length: n }, (_, i) =>
    producer.publish(makeEvent(TYPES[i % 4]!, traces[i % traces.length]!, i)).then(
      (r) => (settled[i] = r),
      (e: Error) => (settled[i] = e),
    ),
  );
  assert.ok(producer.health().queueDepth > 0);
  await producer.close();
  // close() returned: every publish has settled already.
  assert.equal(settled.filter((x) => x !== undefined).length, n);
  await Promise.all(pending);
  assert.equal(producer.health().state, 'closed');
  assert.equal(producer.health().queueDepth, 0);
  await assert.rejects(producer.publish(makeEvent('log', traces[0]!, 0)), { code: 'CLOSED' });

  const resolved = settled.filter((x): x is PublishResult => !(x instanceof Error));
  const failures = settled.filter((x) => x instanceof Error);
  assert.deepEqual(failures, [], 'a healthy broker confirms every event');
  const records = await consume(t, topic, resolved.length);
  const stored = new Set(records.map((r) => `${r.partition}/${r.offset}`));
  for (const r of resolved) assert.ok(stored.has(`${r.partition}/${r.offset}`), `${r.partition}/${r.offset} stored`);
  const seqs = new Set(records.map((r) => seqOf(r.value)));
  assert.equal(seqs.size, n);
});

test('connect(): missing topic, too few partitions, topic creation', async (t) => {
  const admin = await withAdmin(t);
  const missing = uniqueName('it-missing');
  const noTopic = new EventProducer({ brokers: testBrokers(), topic: missing });
  t.after(() => noTopic.close());
  await assert.rejects(noTopic.connect(), (e: unknown) => {
    assert.ok(isProducerError(e));
    assert.equal(e.code, 'TOPIC_NOT_FOUND');
    assert.equal(e.canRetry, false);
    assert.match(e.message, new RegExp(`"${missing}" does not exist`));
    return true;
  });
  assert.equal(noTopic.health().state, 'down');
  assert.equal(noTopic.health().lastError?.code, 'TOPIC_NOT_FOUND');
  // the check itself must not create the topic (brokers may auto-create on metadata requests)
  assert.ok(!(await admin.listTopics()).includes(missing));

  const small = await createTopic(admin, 4);
  const tooFew = new EventProducer({ brokers: testBrokers(), topic: small, partitionMap: MAP });
  t.after(() => tooFew.close());
  await assert.rejects(tooFew.connect(), {
    code: 'NOT_ENOUGH_PARTITIONS',
    message: /has 4 partitions, the partition map needs 12/,
  });

  const created = uniqueName('it-created');
  const creator = await startProducer(t, { topic: created, createTopic: { partitions: 3 } });
  const meta = await admin.fetchTopicMetadata({ topics: [created] });
  assert.equal(meta.topics[0]?.partitions.length, 3);
  // 3 partitions, default split: log and error share partition 0
  const trace = traceId();
  const results = await Promise.all(TYPES.map((type) => creator.publish(makeEvent(type, trace, 0))));
  assert.deepEqual(
    results.map((r) => r.partition),
    [0, 1, 2, 0],
  );
});

test('overload: a tiny maxQueue gives OVERLOADED at once', async (t) => {
  const admin = await withAdmin(t);
  const topic = await createTopic(admin, 2);
  const producer = await startProducer(t, { topic, batch: { maxQueue: 5, lingerMs: 20 } });
  const trace = traceId();
  const order: string[] = [];
  const all = Array.from({ length: 20 }, (_, i) =>
    producer.publish(makeEvent('log', trace, i)).then(
      () => order.push(`ok${i}`),
      (e: unknown) => {
        assert.ok(isProducerError(e));
        assert.equal(e.code, 'OVERLOADED');
        assert.equal(e.canRetry, true);
        assert.ok(e.retryAfterMs! > 0);
        order.push(`overloaded${i}`);
      },
    ),
  );
  assert.equal(producer.health().queueDepth, 5);
  await Promise.all(all);
  // the 15 refusals come before any confirmation
  assert.deepEqual(
    order.slice(0, 15),
    Array.from({ length: 15 }, (_, i) => `overloaded${i + 5}`),
  );
  assert.deepEqual(order.slice(15).sort(), ['ok0', 'ok1', 'ok2', 'ok3', 'ok4']);
  // once confirmed, there is room again
  await producer.publish(makeEvent('log', trace, 99));
});

test('a request the topic refuses as too large is split: every event that fits is on the topic, in order', async (t) => {
  // max.message.bytes bounds a record batch on the broker: the events together exceed it, each alone fits,
  // except one that the producer accepts (it is under batch.maxBytes) and the broker refuses even alone.
  const admin = await withAdmin(t);
  const topic = uniqueName('it-producer');
  await createTopicsWithLeaders(admin, [
    { topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '4096' }] },
  ]);
  const batches: { events: number; bytes: number }[] = [];
  const producer = await startProducer(t, {
    topic,
    batch: { lanes: 1 },
    metrics: { batchSize: (events, bytes) => batches.push({ events, bytes }) },
  });
  const trace = traceId();
  const small = Array.from({ length: 12 }, (_, seq) => makeEvent('log', trace, seq));
  const big = makeEvent('log', trace, 99, { blob: 'b'.repeat(6000) });
  const sent = [...small.slice(0, 6), big, ...small.slice(6)];
  const outcomes = await producer.publishMany(sent);
  assert.deepEqual(
    outcomes.map((o) => (o.ok ? 'ok' : o.error.code)),
    sent.map((e) => (e === big ? 'RECORD_TOO_LARGE' : 'ok')),
  );
  // The first request carried them all and was refused; then each event went alone.
  assert.equal(batches[0]?.events, sent.length, JSON.stringify(batches));
  assert.ok(batches[0]!.bytes > 4096, JSON.stringify(batches));
  assert.deepEqual(
    batches.slice(1).map((b) => b.events),
    sent.map(() => 1),
  );
  const records = await consume(t, topic, small.length);
  const idOf = (value: Buffer) => (JSON.parse(value.toString()) as { id: string }).id;
  assert.deepEqual(
    records.map((r) => idOf(r.value)),
    small.map((e) => e.id),
    'every event that fits, once, in publish order',
  );
});
