// What the brokers would do with a missing topic at its first record (auto.create.topics.enable, num.partitions,
// default.replication.factor), read from their DescribeConfigs answers: createTopic 'broker' creates a topic only
// as they would. kafkajs 2.2.4 speaks CreateTopics up to v3, which takes no -1 for "the broker's default" (KIP-464,
// v4), so the numbers are read here and passed explicitly.
import type { DescribeConfigResponse } from 'kafkajs';

export const AUTO_CREATE = 'auto.create.topics.enable';
export const NUM_PARTITIONS = 'num.partitions';
export const REPLICATION_FACTOR = 'default.replication.factor';
export const BROKER_TOPIC_CONFIGS = [AUTO_CREATE, NUM_PARTITIONS, REPLICATION_FACTOR] as const;

export interface BrokerTopicDefaults {
  /** Node ids of the brokers that would not create it (auto.create.topics.enable not true); empty: every one would. */
  readonly refusing: readonly string[];
  /** num.partitions of the broker with the lowest node id. */
  readonly partitions: number;
  /** default.replication.factor of that broker. */
  readonly replicationFactor: number;
  /** Node id of the broker the numbers are from. */
  readonly broker: string;
  /** Node ids of the brokers whose numbers differ from it (a topic's first record may reach any of them). */
  readonly differing: readonly string[];
}

type Resource = Pick<DescribeConfigResponse['resources'][number], 'resourceName' | 'configEntries'>;

/** A positive integer of a broker's config, or undefined. */
function positive(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value.trim()) && Number(value) >= 1 ? Number(value) : undefined;
}

/**
 * The brokers' rules from their DescribeConfigs resources (one per broker, named by node id). A topic is created
 * only when every broker would create it: the one its first record would have reached is not known. Throws an
 * Error naming a broker whose numbers are missing or not positive integers.
 */
export function brokerTopicDefaults(resources: readonly Resource[]): BrokerTopicDefaults {
  if (resources.length === 0) throw new Error('no broker answered');
  const read = [...resources]
    .sort((a, b) => Number(a.resourceName) - Number(b.resourceName))
    .map(({ resourceName, configEntries }) => {
      const value = (name: string) => configEntries.find((e) => e.configName === name)?.configValue ?? undefined;
      const partitions = positive(value(NUM_PARTITIONS));
      const replicationFactor = positive(value(REPLICATION_FACTOR));
      if (partitions === undefined || replicationFactor === undefined)
        throw new Error(
          `broker ${resourceName} reports ${NUM_PARTITIONS}=${String(value(NUM_PARTITIONS))}, ${REPLICATION_FACTOR}=${String(value(REPLICATION_FACTOR))}`,
        );
      return {
        broker: resourceName,
        autoCreate: value(AUTO_CREATE)?.trim().toLowerCase() === 'true',
        partitions,
        replicationFactor,
      };
    });
  const first = read[0]!;
  return {
    refusing: read.filter((b) => !b.autoCreate).map((b) => b.broker),
    partitions: first.partitions,
    replicationFactor: first.replicationFactor,
    broker: first.broker,
    differing: read
      .filter((b) => b.partitions !== first.partitions || b.replicationFactor !== first.replicationFactor)
      .map((b) => b.broker),
  };
}
