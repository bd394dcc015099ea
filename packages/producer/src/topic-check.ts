// connect()'s check of the topics: each exists (or is created when asked), and has the partitions the strategy needs.
// kafkajs is CommonJS: Node finds this name only on its default export.
import kafkajs, { type Admin } from 'kafkajs';
import type { Logger } from 'pino';
import {
  AUTO_CREATE,
  BROKER_TOPIC_CONFIGS,
  brokerTopicDefaults,
  NUM_PARTITIONS,
  type BrokerTopicDefaults,
  REPLICATION_FACTOR,
} from './broker-defaults.js';
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
/** `topic "a" does not exist` / `topics "a", "b" do not exist`, and the pronoun for them. */
const absent = (topics: readonly string[]) =>
  topics.length === 1
    ? { absent: `topic ${quoted(topics)} does not exist`, them: 'it' }
    : { absent: `topics ${quoted(topics)} do not exist`, them: 'them' };

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
      const { absent: what, them } = absent(missing);
      throw new ProducerError('TOPIC_NOT_FOUND', `${what}; create ${them} (or set createTopic: { partitions })`);
    }
    const brokers = create === 'broker' ? await asTheBrokersWould(admin, missing, opts) : undefined;
    const spec = create === 'broker' ? brokers! : create;
    try {
      await admin.createTopics({
        topics: missing.map((topic) => ({
          topic,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor,
        })),
        waitForLeaders: true,
      });
      if (brokers) warnCreated(log, missing, brokers);
      else log.info({ topics: missing, partitions: spec.partitions }, 'topics created');
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

/**
 * createTopic 'broker': the partitions and replication factor the brokers would give the missing topics, read from
 * them; fails naming the topics when a broker would not create them, or when the partition map needs more
 * partitions than they would give (nothing is created then).
 */
async function asTheBrokersWould(
  admin: Admin,
  missing: readonly string[],
  opts: TopicOptions,
): Promise<BrokerTopicDefaults> {
  const { absent: topics, them } = absent(missing);
  let defaults: BrokerTopicDefaults;
  try {
    const { brokers } = await admin.describeCluster();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: brokers.map((b) => ({
        type: kafkajs.ConfigResourceTypes.BROKER,
        name: String(b.nodeId),
        configNames: [...BROKER_TOPIC_CONFIGS],
      })),
    });
    defaults = brokerTopicDefaults(resources);
  } catch (e) {
    const error = connectionError(e, `read the brokers' ${AUTO_CREATE}`, opts.brokers);
    if (error.canRetry) throw error;
    throw new ProducerError(
      'TOPIC_NOT_FOUND',
      `${topics}, and the brokers' ${AUTO_CREATE} cannot be read (${e instanceof Error ? e.message : String(e)}): create ${them} (or set createTopic: { partitions })`,
      { cause: e },
    );
  }
  if (defaults.refusing.length > 0) {
    const which = defaults.refusing.length === 1 ? 'broker' : 'brokers';
    throw new ProducerError(
      'TOPIC_NOT_FOUND',
      `${topics}, and the brokers do not create topics (${AUTO_CREATE}=false on ${which} ${defaults.refusing.join(', ')}): create ${them} (or set createTopic: { partitions })`,
    );
  }
  const map = opts.strategy === 'event-type' ? opts.partitionMap : undefined;
  if (map && partitionsNeeded(map) > defaults.partitions) {
    throw new ProducerError(
      'NOT_ENOUGH_PARTITIONS',
      `${topics}, and the brokers would create ${them} with ${defaults.partitions} ${defaults.partitions === 1 ? 'partition' : 'partitions'} (${NUM_PARTITIONS}); the partition map needs ${partitionsNeeded(map)}: create ${them} with at least ${partitionsNeeded(map)} partitions (or set createTopic: { partitions })`,
    );
  }
  return defaults;
}

/** Said once, as a warning: a topic made without being asked for by name, as the original's brokers made it. */
function warnCreated(log: Logger, topics: readonly string[], d: BrokerTopicDefaults): void {
  const partitions = `${d.partitions} ${d.partitions === 1 ? 'partition' : 'partitions'}`;
  log.warn(
    {
      topics,
      partitions: d.partitions,
      replicationFactor: d.replicationFactor,
      ...(d.differing.length > 0 ? { numbersOfBroker: d.broker, brokersDiffering: d.differing } : {}),
    },
    `${topics.length === 1 ? 'topic' : 'topics'} ${quoted(topics)} created as the brokers would at the first event (${AUTO_CREATE}=true): ${partitions} (${NUM_PARTITIONS}), replication factor ${d.replicationFactor} (${REPLICATION_FACTOR})`,
  );
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
