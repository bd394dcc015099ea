// connect()'s check of the topics: each exists (or is created when asked), and has the partitions the strategy needs.
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { classifyKafkaError, ProducerError, rootKafkaError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { partitionMapProblems, partitionsNeeded } from './partitioning.js';
import { distinctTopics } from './topic-layout.js';

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

type TopicOptions = Pick<ResolvedOptions, 'topics' | 'createTopic' | 'strategy' | 'partitionMap' | 'brokers'>;

const quoted = (topics: readonly string[]) => topics.map((t) => `"${t}"`).join(', ');

/**
 * The partition count of each topic the producer writes to (one, or one per event type), after creating the
 * missing ones in one request if `createTopic` allows it; without it, a missing topic fails naming it.
 */
export async function checkTopics(admin: Admin, opts: TopicOptions, log: Logger): Promise<Map<string, number>> {
  const wanted = distinctTopics(opts.topics);
  const existing = await admin.listTopics().catch((e: unknown) => {
    throw connectionError(e, 'list topics', opts.brokers);
  });
  const missing = wanted.filter((topic) => !existing.includes(topic));
  if (missing.length > 0) {
    const create = opts.createTopic;
    if (!create) {
      throw new ProducerError(
        'TOPIC_NOT_FOUND',
        `${missing.length === 1 ? 'topic' : 'topics'} ${quoted(missing)} ${missing.length === 1 ? 'does' : 'do'} not exist; create ${missing.length === 1 ? 'it' : 'them'} (or set createTopic: { partitions })`,
      );
    }
    try {
      await admin.createTopics({
        topics: missing.map((topic) => ({
          topic,
          numPartitions: create.partitions,
          replicationFactor: create.replicationFactor,
        })),
        waitForLeaders: true,
      });
      log.info({ topics: missing, partitions: create.partitions }, 'topics created');
    } catch (e) {
      // Another instance may have created them meanwhile, or the broker created them and has not yet told every
      // listener (kafkajs's wait for the leaders gives up quickly): the metadata below tells.
      if (!SETTLING.has(String((rootKafkaError(e) as { type?: unknown } | null)?.type))) {
        throw classifyKafkaError(e, 'create topic').error;
      }
    }
  }
  const partitions = await partitionCounts(admin, wanted, missing.length > 0 ? SETTLE_MS : 0);
  const empty = wanted.filter((topic) => !(partitions.get(topic)! >= 1));
  if (empty.length > 0) throw new ProducerError('TOPIC_NOT_FOUND', `no partitions found for ${quoted(empty)}`);
  const map = opts.partitionMap;
  if (opts.strategy === 'event-type' && map) {
    // Only with one topic: per-type topics take no partition map.
    const [topic] = wanted as [string];
    const count = partitions.get(topic)!;
    const problems = partitionMapProblems(map, count);
    if (problems.length > 0) {
      throw new ProducerError(
        'NOT_ENOUGH_PARTITIONS',
        `topic "${topic}" has ${count} partitions, the partition map needs ${partitionsNeeded(map)}: ${problems.join('; ')}`,
      );
    }
  }
  return partitions;
}

/** Errors of a topic that exists but whose metadata has not reached every broker yet. */
const SETTLING = new Set(['TOPIC_ALREADY_EXISTS', 'UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);
/** How long a topic just created may take to show its partitions with leaders. */
const SETTLE_MS = 10_000;

/** The partition count of each topic; waits up to `settleMs` for topics just created to show theirs with leaders. */
async function partitionCounts(admin: Admin, topics: string[], settleMs: number): Promise<Map<string, number>> {
  const until = Date.now() + settleMs;
  for (;;) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      const ready = meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready || Date.now() >= until) return new Map(meta.topics.map((t) => [t.name, t.partitions.length]));
    } catch (e) {
      const type = String((rootKafkaError(e) as { type?: unknown } | null)?.type);
      if (!SETTLING.has(type) || Date.now() >= until) throw classifyKafkaError(e, 'read topic metadata').error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
