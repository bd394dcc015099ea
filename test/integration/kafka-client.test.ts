// Proves the Kafka client we wrap (kafkajs 2.2.4) against the broker version under test:
// admin createTopics, idempotent produce with acks=-1, consume in a group, commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { testBrokers, uniqueName } from '../helpers/kafka.js';

test('kafkajs produces idempotently with acks=-1 and consumes back in a group', async (t) => {
  const kafka = new Kafka({ clientId: uniqueName('it'), brokers: testBrokers(), logLevel: logLevel.NOTHING });
  const topic = uniqueName('it-client');
  const groupId = uniqueName('it-group');
  const partitions = 4;

  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  assert.equal(
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true }),
    true,
  );
  const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
  assert.equal(meta?.partitions.length, partitions);

  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  t.after(() => producer.disconnect());
  const sent = Array.from({ length: 200 }, (_, i) => ({
    key: `key-${i % 17}`,
    value: JSON.stringify({ i, text: 'x'.repeat(i % 50) }),
    headers: { 'event-type': i % 2 === 0 ? 'log' : 'audit' },
  }));
  const acks = await producer.send({ topic, acks: -1, messages: sent });
  assert.equal(
    acks.reduce((n, r) => n + Number(r.errorCode === 0), 0),
    acks.length,
  );

  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const received = new Map<number, { key: string; header: string; partition: number }>();
  const partitionOfKey = new Map<string, number>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${received.size} of ${sent.length} records consumed`)),
      30_000,
    );
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const body = JSON.parse(message.value!.toString()) as { i: number };
          const key = message.key!.toString();
          received.set(body.i, { key, header: message.headers!['event-type']!.toString(), partition });
          // One key always lands on one partition.
          assert.equal(partitionOfKey.get(key) ?? partition, partition);
          partitionOfKey.set(key, partition);
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
          if (received.size === sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });

  for (const [i, record] of sent.entries()) {
    const got = received.get(i);
    assert.ok(got, `record ${i} consumed`);
    assert.equal(got.key, record.key);
    assert.equal(got.header, record.headers['event-type']);
  }
  assert.ok(new Set(partitionOfKey.values()).size > 1, 'records spread over several partitions');

  // The group's committed offsets cover every record.
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committedTotal = committed[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0);
  assert.equal(committedTotal, sent.length);
});
