// connect()'s check of the topic: it exists (or is created when asked), and has the partitions the strategy needs.
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { classifyKafkaError, ProducerError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { partitionMapProblems, partitionsNeeded } from './partitioning.js';

/** A failure to reach the brokers names them: the most common cause is a wrong address. */
export function connectionError(e: unknown, what: string, brokers: readonly string[]): ProducerError {
  const { error } = classifyKafkaError(e, what);
  if (error.code === 'KAFKA_UNAVAILABLE' || error.code === 'CONNECTION_FAILED') {
    return new ProducerError('CONNECTION_FAILED', `cannot connect to Kafka at ${brokers.join(',')}: ${error.message}`, {
      cause: e,
      canRetry: error.canRetry,
    });
  }
  return error;
}

type TopicOptions = Pick<ResolvedOptions, 'topic' | 'createTopic' | 'strategy' | 'partitionMap' | 'brokers'>;

/** The topic's partition count, after creating the topic if it is missing and `createTopic` allows it. */
export async function checkTopic(admin: Admin, opts: TopicOptions, log: Logger): Promise<number> {
  const topic = opts.topic;
  const topics = await admin.listTopics().catch((e: unknown) => {
    throw connectionError(e, 'list topics', opts.brokers);
  });
  if (!topics.includes(topic)) {
    const create = opts.createTopic;
    if (!create) {
      throw new ProducerError(
        'TOPIC_NOT_FOUND',
        `topic "${topic}" does not exist; create it (or set createTopic: { partitions })`,
      );
    }
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: create.partitions, replicationFactor: create.replicationFactor }],
        waitForLeaders: true,
      });
      log.info({ topic, partitions: create.partitions }, 'topic created');
    } catch (e) {
      // Another instance may have created it meanwhile; the metadata below tells.
      if ((e as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw classifyKafkaError(e, 'create topic').error;
    }
  }
  let partitions: number;
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    partitions = meta.topics[0]?.partitions.length ?? 0;
  } catch (e) {
    throw classifyKafkaError(e, 'read topic metadata').error;
  }
  if (partitions < 1) throw new ProducerError('TOPIC_NOT_FOUND', `topic "${topic}" has no partitions`);
  const map = opts.partitionMap;
  if (opts.strategy === 'event-type' && map) {
    const problems = partitionMapProblems(map, partitions);
    if (problems.length > 0) {
      throw new ProducerError(
        'NOT_ENOUGH_PARTITIONS',
        `topic "${topic}" has ${partitions} partitions, the partition map needs ${partitionsNeeded(map)}: ${problems.join('; ')}`,
      );
    }
  }
  return partitions;
}
