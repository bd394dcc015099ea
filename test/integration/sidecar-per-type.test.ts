// TOPIC_STRATEGY=per-type through the sidecar: POST /event, POST /events and gRPC Log each write every event to
// its type's topic (created at start), at Kafka's murmur2 partition of its trace id (computed here independently),
// and the HTTP answers name the real topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage, EventType } from '@event-sidecar/contract';
import { eventLoggerClient, toWire } from '../helpers/grpc.js';
import { uniqueName } from '../helpers/kafka.js';
import { javaDefaultPartition } from '../helpers/partition-oracle.js';
import { readRaw } from '../helpers/sdk-direct.js';
import { call, metricValue, sampleEvent, startTestSidecar } from '../helpers/sidecar.js';

const TYPES: EventType[] = ['log', 'audit', 'trace', 'error'];
const PARTITIONS = 3;

test('per-type through POST /event, POST /events and gRPC: every event on its type topic', async (t) => {
  const prefix = uniqueName('it-sc-pt');
  const topicOf = (type: string) => `${prefix}.${type}`;
  const { sidecar, url } = await startTestSidecar(t, {
    TOPIC_STRATEGY: 'per-type',
    TOPIC_TEMPLATE: `${prefix}.{type}`,
    KAFKA_CREATE_TOPIC_PARTITIONS: String(PARTITIONS),
  });
  const where = (event: EventMessage) => ({
    topic: topicOf(event.metadata.event.type),
    partition: javaDefaultPartition(event.metadata.trace.traceId, PARTITIONS),
  });

  const single = TYPES.map((type) => sampleEvent(type));
  for (const event of single) {
    const answer = await call(`${url}/event`, { body: event });
    assert.equal(answer.status, 201, answer.text);
    const body = answer.body as { topic: string; partition: number };
    assert.deepEqual({ topic: body.topic, partition: body.partition }, where(event), 'POST /event answer');
  }

  const batch = TYPES.flatMap((type) => [sampleEvent(type), sampleEvent(type)]);
  const answer = await call(`${url}/events`, { body: batch });
  assert.equal(answer.status, 200, answer.text);
  const results = (answer.body as { results: Array<{ status: string; topic: string; partition: number }> }).results;
  results.forEach((result, i) => {
    assert.equal(result.status, 'published');
    assert.deepEqual({ topic: result.topic, partition: result.partition }, where(batch[i]!), 'POST /events result');
  });

  const overGrpc = TYPES.map((type) => sampleEvent(type));
  const client = eventLoggerClient(sidecar.grpcPort);
  t.after(() => client.close());
  for (const event of overGrpc) assert.deepEqual((await client.log(toWire(event))).response, { status: 'accepted' });

  const all = [...single, ...batch, ...overGrpc];
  const ids = new Set(all.map((e) => e.id));
  const records = await readRaw(
    TYPES.map(topicOf),
    (seen) => seen.filter((r) => ids.has(JSON.parse(r.value.toString()).id)).length >= ids.size,
  );
  for (const event of all) {
    const record = records.find((r) => JSON.parse(r.value.toString()).id === event.id);
    assert.ok(record, `event ${event.id} read back`);
    assert.deepEqual({ topic: record.topic, partition: record.partition }, where(event));
    assert.equal(record.key, event.metadata.trace.traceId);
  }
  assert.equal(records.length, ids.size, 'nothing more on the topics');

  const metrics = (await call(`${url}/metrics`)).text;
  for (const type of TYPES) {
    const labels = { topic: topicOf(type), type };
    assert.equal(metricValue(metrics, 'event_sidecar_kafka_records_total', labels), 4, `records on ${labels.topic}`);
  }
  assert.deepEqual(
    sidecar.producer.health().topics,
    TYPES.map((type) => ({ topic: topicOf(type), partitions: PARTITIONS, types: [type] })),
  );
});

test('per-type without KAFKA_CREATE_TOPIC_PARTITIONS: a missing type topic stops the start, naming it', async (t) => {
  const prefix = uniqueName('it-sc-pt-missing');
  await assert.rejects(
    startTestSidecar(t, {
      TOPIC_STRATEGY: 'per-type',
      TOPIC_TEMPLATE: `${prefix}-{type}`,
      KAFKA_CREATE_TOPIC_PARTITIONS: '',
    }),
    new RegExp(`topics "${prefix}-log", "${prefix}-audit", "${prefix}-trace", "${prefix}-error" do not exist`),
  );
});
