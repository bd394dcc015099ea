// What the brokers' DescribeConfigs answers say they would do with a missing topic (broker-defaults.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brokerTopicDefaults } from '../src/broker-defaults.js';

/** One broker's DescribeConfigs resource, as kafkajs decodes it (the fields read here). */
function broker(nodeId: number, configs: Record<string, string | null>) {
  return {
    resourceName: String(nodeId),
    configEntries: Object.entries(configs).map(([configName, configValue]) => ({
      configName,
      configValue: configValue as string,
    })) as never,
  };
}

const allows = { 'auto.create.topics.enable': 'true', 'num.partitions': '3', 'default.replication.factor': '1' };

test('every broker allows auto-creation: their num.partitions and default.replication.factor', () => {
  assert.deepEqual(brokerTopicDefaults([broker(1, allows)]), {
    refusing: [],
    partitions: 3,
    replicationFactor: 1,
    broker: '1',
    differing: [],
  });
});

test('a broker with auto.create.topics.enable=false (or not saying true) is named as refusing', () => {
  const d = brokerTopicDefaults([
    broker(3, { ...allows, 'auto.create.topics.enable': 'false' }),
    broker(1, allows),
    broker(2, { ...allows, 'auto.create.topics.enable': null }),
  ]);
  assert.deepEqual(d.refusing, ['2', '3']);
});

test('the numbers are those of the lowest node id; brokers that differ are named', () => {
  const d = brokerTopicDefaults([
    broker(10, { ...allows, 'num.partitions': '12', 'default.replication.factor': '3' }),
    broker(2, { ...allows, 'num.partitions': '6', 'default.replication.factor': '3' }),
    broker(5, { ...allows, 'num.partitions': '6', 'default.replication.factor': '3' }),
    broker(7, { ...allows, 'num.partitions': '6', 'default.replication.factor': '1' }),
  ]);
  assert.deepEqual(d, { refusing: [], partitions: 6, replicationFactor: 3, broker: '2', differing: ['7', '10'] });
});

test('a broker without usable numbers, or no broker at all, is an error naming it', () => {
  assert.throws(() => brokerTopicDefaults([broker(1, { ...allows, 'num.partitions': '0' })]), {
    message: 'broker 1 reports num.partitions=0, default.replication.factor=1',
  });
  assert.throws(() => brokerTopicDefaults([broker(4, { 'auto.create.topics.enable': 'true' })]), {
    message: 'broker 4 reports num.partitions=undefined, default.replication.factor=undefined',
  });
  assert.throws(() => brokerTopicDefaults([]), { message: 'no broker answered' });
});
