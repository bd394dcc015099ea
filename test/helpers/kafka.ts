// The broker the tests use (KAFKA_BROKERS from scripts/with-kafka.sh), unique topic names, and reading records back.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';

/** Brokers of the broker this run uses; scripts/with-kafka.sh sets KAFKA_BROKERS. */
export function testBrokers(): string[] {
  const value = process.env.KAFKA_BROKERS?.trim();
  if (!value) throw new Error('KAFKA_BROKERS is not set: run integration tests through scripts/with-kafka.sh');
  return value.split(',').map((b) => b.trim());
}

/** A topic name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * Creates `topics` (those that exist already are left as they are) and waits until every partition has a leader.
 * Not kafkajs's `waitForLeaders`: it tolerates only LEADER_NOT_AVAILABLE, while a broker just started (or busy) may
 * answer UNKNOWN_TOPIC_OR_PARTITION for a moment after the creation, and createTopics then rejects.
 */
export async function createTopicsWithLeaders(admin: Admin, topics: ITopicConfig[], timeoutMs = 60_000): Promise<void> {
  await admin
    .createTopics({ topics, waitForLeaders: false })
    .catch((e: { type?: string; errors?: { type?: string }[] }) => {
      const types = e.errors?.map((err) => err.type) ?? [e.type];
      if (!types.every((type) => type === 'TOPIC_ALREADY_EXISTS')) throw e;
    });
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let lastError: unknown;
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: names });
      const ready = meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready && meta.length === names.length) return;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `topics ${names.join(', ')} have no leaders after ${timeoutMs} ms: ${String(lastError ?? 'none yet')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One record as read back, its value as bytes. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Reads `topics` from the beginning with a consumer group of its own, each record turned into a T by `map`, until
 * `done` says so; fails after `timeoutMs` with how many records it read.
 */
export async function readRecords<T>(
  topics: readonly string[],
  map: (record: ReadRecord) => T,
  done: (records: T[]) => boolean,
  options: { brokers?: string[]; timeoutMs?: number } = {},
): Promise<T[]> {
  const kafka = new Kafka({
    clientId: uniqueName('it-reader'),
    brokers: options.brokers ?? testBrokers(),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: uniqueName('it-reader'), maxWaitTimeInMs: 100 });
  const records: T[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${records.length} records from ${topics.join(', ')}; expected more`)),
        options.timeoutMs ?? 30_000,
      );
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(message.headers ?? {}))
              if (value !== undefined) headers[name] = value.toString();
            const key = message.key?.toString() ?? null;
            records.push(map({ topic, partition, offset: message.offset, key, value: message.value!, headers }));
            if (done(records)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
