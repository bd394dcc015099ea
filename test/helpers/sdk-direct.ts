// @mojaloop/event-sdk's own direct-to-Kafka mode, as a service configured with EVENT_SDK_KAFKA runs it: the
// SDK's EventLoggingServiceClient in Kafka mode behind its DefaultSidecarRecorder, producing through
// @mojaloop/central-services-stream (node-rdkafka). The reference for what our recorder must write.
import { createRequire } from 'node:module';
import { Kafka, logLevel } from 'kafkajs';
import { chartSdkKafkaConfig } from '../../scripts/bench/lib/span-load.js';
import { createTopicsWithLeaders, readRecords, testBrokers, uniqueName, type ReadRecord } from './kafka.js';

const require = createRequire(import.meta.url);

/** The SDK's direct mode writes to these topics, whatever the service's configuration. */
export const SDK_TOPICS = ['topic-event-log', 'topic-event-audit', 'topic-event-trace'] as const;

/** The KAFKA section of a service's configuration, as Mojaloop's helm charts write it for the event SDK. */
export function sdkKafkaConfig(brokers = testBrokers()): Record<string, unknown> {
  return chartSdkKafkaConfig(brokers, uniqueName('sdk-direct'));
}

/** Creates the SDK's topics (it does not: a broker without auto-creation refuses its events). */
export async function createSdkTopics(partitions: number): Promise<void> {
  const admin = new Kafka({
    clientId: uniqueName('sdk-admin'),
    brokers: testBrokers(),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    const missing = SDK_TOPICS.filter((t) => !existing.includes(t));
    if (missing.length > 0) {
      await createTopicsWithLeaders(
        admin,
        missing.map((topic) => ({ topic, numPartitions: partitions })),
      );
    }
  } finally {
    await admin.disconnect();
  }
}

/** Disconnects the node-rdkafka producers central-services-stream keeps per topic. */
export async function disconnectSdkProducers(): Promise<void> {
  const stream = require('@mojaloop/central-services-stream') as {
    Util: { Producer: { disconnect(): Promise<void> } };
  };
  await stream.Util.Producer.disconnect().catch(() => undefined);
}

export type RawRecord = ReadRecord;

/** Reads `topics` from the beginning, records as bytes, until `done` says so (fails after `timeoutMs`). */
export function readRaw(
  topics: readonly string[],
  done: (records: RawRecord[]) => boolean,
  timeoutMs = 30_000,
): Promise<RawRecord[]> {
  return readRecords(topics, (record) => record, done, { timeoutMs });
}
