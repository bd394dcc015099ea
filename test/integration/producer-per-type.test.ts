// topicStrategy 'per-type' against a real broker: topics created at start, one topic per event type, the answer
// naming the real topic, partitions by Kafka's murmur2 of the trace id (computed here independently), a consumer
// of one type's topic sees only that type, and a missing topic stops connect() naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { EventMessage, EventType } from '@event-sidecar/contract';
import { EventProducer, type PublishResult } from '@event-sidecar/producer';
import { createTopicsWithLeaders, testBrokers, uniqueName } from '../helpers/kafka.js';
import { javaDefaultPartition } from '../helpers/partition-oracle.js';
import { readRaw } from '../helpers/sdk-direct.js';
import { sampleEvent } from '../helpers/sidecar.js';

const TYPES: EventType[] = ['log', 'audit', 'trace', 'error'];

test('per-type: each event on its type topic, at the partition of murmur2(traceId), answered with that topic', async (t) => {
  const prefix = uniqueName('it-pt');
  const producer = new EventProducer({
    brokers: testBrokers(),
    clientId: uniqueName('it-pt'),
    topicStrategy: 'per-type',
    topicTemplate: `${prefix}-{type}`,
    createTopic: { partitions: 5 },
  });
  await producer.connect();
  t.after(() => producer.close());
  const topicOf = (type: EventType) => `${prefix}-${type}`;
  for (const type of TYPES) {
    assert.equal(producer.topics[type], topicOf(type));
    assert.deepEqual(producer.partitionsForType(type), { topic: topicOf(type), partitions: [0, 1, 2, 3, 4] });
  }

  const events: EventMessage[] = [];
  for (let i = 0; i < 6; i++) for (const type of TYPES) events.push(sampleEvent(type));
  const answers = await Promise.all(events.map((event) => producer.publish(event)));
  const ids = new Set(events.map((e) => e.id));
  const records = await readRaw(
    TYPES.map(topicOf),
    (seen) => seen.filter((r) => ids.has(JSON.parse(r.value.toString()).id)).length >= ids.size,
  );

  events.forEach((event, i) => {
    const answer = answers[i] as PublishResult;
    const { type } = event.metadata.event;
    const partition = javaDefaultPartition(event.metadata.trace.traceId, 5);
    assert.equal(answer.topic, topicOf(type), 'the answer names the real topic');
    assert.equal(answer.partition, partition);
    assert.equal(producer.partitionFor(event), partition);
    const record = records.find((r) => JSON.parse(r.value.toString()).id === event.id);
    assert.ok(record, `event ${event.id} was read back`);
    assert.equal(record.topic, topicOf(type));
    assert.equal(record.partition, partition);
    assert.equal(record.key, event.metadata.trace.traceId);
    assert.equal(record.headers['event-type'], type);
  });
});

test('a consumer of the audit topic receives only audit events', async (t) => {
  const prefix = uniqueName('it-pt-audit');
  const producer = new EventProducer({
    brokers: testBrokers(),
    clientId: uniqueName('it-pt'),
    topicStrategy: 'per-type',
    topicTemplate: `${prefix}-{type}`,
    createTopic: { partitions: 2 },
  });
  await producer.connect();
  t.after(() => producer.close());
  // One trace, every type, interleaved: the same key must not pull other types onto the audit topic.
  const traceId = randomBytes(16).toString('hex');
  const events = Array.from({ length: 20 }, (_, i) => {
    const event = sampleEvent(TYPES[i % 4]);
    event.metadata.trace.traceId = traceId;
    return event;
  });
  await Promise.all(events.map((event) => producer.publish(event)));
  const audits = events.filter((e) => e.metadata.event.type === 'audit').map((e) => e.id);
  const sentinel = sampleEvent('audit');
  sentinel.metadata.trace.traceId = traceId;
  await producer.publish(sentinel);
  // Read until the last audit published, on the same partition: anything else there arrived before it.
  const records = await readRaw([`${prefix}-audit`], (seen) =>
    seen.some((r) => JSON.parse(r.value.toString()).id === sentinel.id),
  );
  const values = records.map((r) => JSON.parse(r.value.toString()) as EventMessage);
  assert.deepEqual(
    values.map((v) => v.metadata.event.type),
    values.map(() => 'audit'),
  );
  assert.deepEqual(values.map((v) => v.id).sort(), [...audits, sentinel.id].sort());
});

test('per-type: a missing topic stops connect(), naming it', async (t) => {
  const prefix = uniqueName('it-pt-missing');
  const admin = new Kafka({
    clientId: uniqueName('it-pt'),
    brokers: testBrokers(),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  await createTopicsWithLeaders(
    admin,
    ['log', 'audit', 'trace'].map((type) => ({ topic: `${prefix}-${type}`, numPartitions: 1 })),
  );
  const producer = new EventProducer({
    brokers: testBrokers(),
    clientId: uniqueName('it-pt'),
    topicStrategy: 'per-type',
    topicTemplate: `${prefix}-{type}`,
  });
  t.after(() => producer.close());
  await assert.rejects(producer.connect(), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'TOPIC_NOT_FOUND');
    assert.match(e.message, new RegExp(`topic "${prefix}-error" does not exist`));
    return true;
  });
});
