#!/usr/bin/env node
// Waits until the broker named by KAFKA_BROKERS answers a metadata request. Its port opens seconds before it
// serves requests, and the first test would otherwise spend its retries on a broker still starting.
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) {
  console.error('wait-for-kafka: KAFKA_BROKERS is not set');
  process.exit(2);
}
const limitMs = Number(process.env.KAFKA_WAIT_MS ?? 120_000);
const started = Date.now();
const kafka = new Kafka({
  clientId: 'wait-for-kafka',
  brokers,
  logLevel: logLevel.NOTHING,
  connectionTimeout: 2_000,
  retry: { retries: 0 },
});

for (;;) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    console.log(
      `wait-for-kafka: ${brokers.join(',')} ready after ${Date.now() - started} ms (${cluster.brokers.length} broker)`,
    );
    await admin.disconnect();
    process.exit(0);
  } catch (error) {
    await admin.disconnect().catch(() => {});
    if (Date.now() - started > limitMs) {
      console.error(`wait-for-kafka: ${brokers.join(',')} not ready after ${limitMs} ms: ${error.message}`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
