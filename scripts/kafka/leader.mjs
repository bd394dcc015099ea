// Prints the node id that leads a partition: `kafka-local.sh leader TOPIC PARTITION`.
// Usage: node leader.mjs BROKERS TOPIC PARTITION (BROKERS comma-separated host:port).
// kafkajs is the repository's Kafka client; metadata is asked of whichever broker answers.
import kafkajs from 'kafkajs';

const [brokers, topic, partitionText] = process.argv.slice(2);
const partition = Number(partitionText);
if (!brokers || !topic || !Number.isInteger(partition) || partition < 0) {
  console.error('usage: leader.mjs BROKERS TOPIC PARTITION');
  process.exit(2);
}
const kafka = new kafkajs.Kafka({
  clientId: 'kafka-local-leader',
  brokers: brokers.split(','),
  logLevel: kafkajs.logLevel.NOTHING,
  retry: { retries: 3, initialRetryTime: 200 },
});
const admin = kafka.admin();
try {
  await admin.connect();
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const found = topics[0]?.partitions.find((p) => p.partitionId === partition);
  if (!found) throw new Error(`topic ${topic} has no partition ${partition}`);
  if (found.leader < 0) throw new Error(`partition ${partition} of ${topic} has no leader now`);
  console.log(found.leader);
} catch (err) {
  console.error(`kafka-local: error: ${err.message}`);
  process.exitCode = 1;
} finally {
  await admin.disconnect();
}
