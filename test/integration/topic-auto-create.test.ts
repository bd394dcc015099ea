// A missing topic created as the brokers would create it at its first event (createTopic 'broker',
// KAFKA_CREATE_TOPIC_PARTITIONS=broker, and the default with the original's default.json): on a broker of its own
// with auto.create.topics.enable=true and num.partitions=3, the topic gets 3 partitions and a warning says so, and
// events are read back; a partition map that needs more stops the start and creates nothing. On the suite's broker
// (auto.create.topics.enable=false, as scripts/kafka-local.sh configures it) the start stops, naming the topic and
// the setting, and creates nothing.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs, { type Admin } from 'kafkajs';
import { EventProducer } from '@event-sidecar/producer';
import { testBrokers, uniqueName } from '../helpers/kafka.js';
import { chartSidecar, chartValues, renderSidecarConfig } from '../helpers/mojaloop-chart.js';
import { freePorts } from '../helpers/ports.js';
import { call, consume, LogCapture, sampleEvent } from '../helpers/sidecar.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';
import { runCli } from '../helpers/sidecar-process.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
const CREATED = /^topic ".*" created as the brokers would at the first event \(auto\.create\.topics\.enable=true\)/;

async function withAdmin(t: TestContext, brokers: string[]): Promise<Admin> {
  const admin = new Kafka({ clientId: uniqueName('it-auto-admin'), brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  return admin;
}

/** A broker's auto.create.topics.enable, as the producer reads it. */
async function autoCreate(admin: Admin): Promise<string | undefined> {
  const { brokers } = await admin.describeCluster();
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      {
        type: ConfigResourceTypes.BROKER,
        name: String(brokers[0]!.nodeId),
        configNames: ['auto.create.topics.enable'],
      },
    ],
  });
  return resources[0]?.configEntries[0]?.configValue;
}

/** The chart's default.json, rendered with an operator's values, in a file of the test; and the chart's env. */
async function chartFile(t: TestContext, brokers: string[]) {
  const [host, port] = brokers[0]!.split(':');
  const [httpPort, grpcPort] = (await freePorts(2)) as [number, number];
  const values = chartValues({
    config: { kafka_host: host, kafka_port: Number(port) },
    sidecar: { service: { internalPort: httpPort }, config: { event_log_grpc_port: grpcPort } },
  });
  const dir = mkdtempSync(join(tmpdir(), 'it-auto-chart-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'default.json');
  writeFileSync(file, renderSidecarConfig(values));
  return { file, env: chartSidecar(values).env, httpPort };
}

test('topic auto-creation, as the brokers would', async (t) => {
  // One broker of its own for these cases, stopped when they are done: it creates topics with 3 partitions.
  const broker = await dedicatedBroker(t, {
    prefix: 'kafka-auto-create-',
    extraProperties: 'auto.create.topics.enable=true;num.partitions=3;default.replication.factor=1',
  });
  await broker.start();
  const admin = await withAdmin(t, broker.brokers);
  assert.equal(await autoCreate(admin), 'true', 'the broker of this test allows auto-creation');

  await t.test("createTopic 'broker': the brokers' num.partitions and default.replication.factor, said", async (t) => {
    const topic = uniqueName('it-auto');
    const { logger, lines } = new LogCapture();
    const producer = new EventProducer({ brokers: broker.brokers, topic, createTopic: 'broker', logger });
    t.after(() => producer.close());
    await producer.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    assert.equal(meta.topics[0]?.partitions.length, 3, 'num.partitions of the broker');
    assert.deepEqual(
      meta.topics[0]?.partitions.map((p) => p.replicas.length),
      [1, 1, 1],
    );
    const warnings = lines.filter((l) => l.level === 40 && CREATED.test(String(l.msg)));
    assert.equal(warnings.length, 1, JSON.stringify(lines));
    assert.equal(
      warnings[0]!.msg,
      `topic "${topic}" created as the brokers would at the first event (auto.create.topics.enable=true): 3 partitions (num.partitions), replication factor 1 (default.replication.factor)`,
    );
    assert.deepEqual(
      { topics: warnings[0]!.topics, partitions: warnings[0]!.partitions, rf: warnings[0]!.replicationFactor },
      { topics: [topic], partitions: 3, rf: 1 },
    );
    const event = sampleEvent('audit');
    await producer.publish(event);
    const [record] = await consume(topic, 1, { brokers: broker.brokers });
    assert.equal(record?.value.id, event.id);

    // Connected again (the topic is there now): nothing created, nothing said.
    const again = new LogCapture();
    const second = new EventProducer({ brokers: broker.brokers, topic, createTopic: 'broker', logger: again.logger });
    t.after(() => second.close());
    await second.connect();
    assert.ok(!again.lines.some((l) => CREATED.test(String(l.msg))));
  });

  await t.test(
    'a partition map that needs more partitions than the brokers give: refused, nothing created',
    async (t) => {
      const topic = uniqueName('it-auto-map');
      const producer = new EventProducer({
        brokers: broker.brokers,
        topic,
        createTopic: 'broker',
        partitionMap: 'log=0-3,audit=4-5,trace=6-9,error=10-11',
      });
      t.after(() => producer.close());
      await assert.rejects(producer.connect(), {
        code: 'NOT_ENOUGH_PARTITIONS',
        message: `topic "${topic}" does not exist, and the brokers would create it with 3 partitions (num.partitions); the partition map needs 12: create it with at least 12 partitions (or set createTopic: { partitions })`,
      });
      assert.ok(!(await admin.listTopics()).includes(topic), 'no topic too small for the map is left behind');
    },
  );

  await t.test(
    "the chart's default.json: topic-event created as the original's brokers would, events read back",
    async (t) => {
      const chart = await chartFile(t, broker.brokers);
      assert.ok(!(await admin.listTopics()).includes('topic-event'));
      const cli = runCli([], { ...chart.env, CONFIG_FILE: chart.file, SPOOL_DIR: 'off' });
      t.after(() => cli.child.kill('SIGKILL'));
      const started = await cli.waitForLog((l) => l.msg === 'event-sidecar started', 90_000);
      assert.equal(started.topic, 'topic-event');
      const read = cli.logs.find((l) => l.msg === 'original configuration read');
      assert.deepEqual(read?.byDefault, {
        KAFKA_CREATE_TOPIC_PARTITIONS:
          "broker: the original's producer let the brokers create a missing topic at its first event (auto.create.topics.enable)",
      });
      const created = cli.logs.filter((l) => CREATED.test(String(l.msg)));
      assert.equal(created.length, 1, JSON.stringify(cli.logs));
      assert.deepEqual(
        { topics: created[0]!.topics, partitions: created[0]!.partitions, rf: created[0]!.replicationFactor },
        { topics: ['topic-event'], partitions: 3, rf: 1 },
      );
      const meta = await admin.fetchTopicMetadata({ topics: ['topic-event'] });
      assert.equal(meta.topics[0]?.partitions.length, 3);

      // The chart's partitioner (murmur2_random) is trace-id: every event placed by its trace id.
      const events = [sampleEvent('log'), sampleEvent('audit'), sampleEvent('trace')];
      for (const event of events) {
        const answer = await call(`http://127.0.0.1:${chart.httpPort}/event`, { body: event });
        assert.equal(answer.status, 201, answer.text);
      }
      const records = await consume('topic-event', events.length, { brokers: broker.brokers });
      assert.deepEqual(records.map((r) => r.value.id).sort(), events.map((e) => e.id).sort());
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0, cli.stderr());
    },
  );
});

test('auto-creation not allowed by the brokers: the start stops naming the topic and the setting', async (t) => {
  const admin = await withAdmin(t, testBrokers());
  assert.equal(
    await autoCreate(admin),
    'false',
    "this case needs the suite's broker as scripts/kafka-local.sh configures it (auto.create.topics.enable=false)",
  );

  await t.test("createTopic 'broker': TOPIC_NOT_FOUND naming the topic and auto.create.topics.enable", async (t) => {
    const topic = uniqueName('it-auto-refused');
    const producer = new EventProducer({ brokers: testBrokers(), topic, createTopic: 'broker' });
    t.after(() => producer.close());
    await assert.rejects(producer.connect(), {
      code: 'TOPIC_NOT_FOUND',
      message: `topic "${topic}" does not exist, and the brokers do not create topics (auto.create.topics.enable=false on broker 1): create it (or set createTopic: { partitions })`,
    });
    assert.ok(!(await admin.listTopics()).includes(topic));
  });

  await t.test(
    "the chart's default.json: exit 1, the error naming the topic and auto.create.topics.enable",
    async (t) => {
      const chart = await chartFile(t, testBrokers());
      const topic = uniqueName('it-auto-chart');
      const spool = mkdtempSync(join(tmpdir(), 'it-auto-spool-'));
      t.after(() => rmSync(spool, { recursive: true, force: true }));
      const cli = runCli([], {
        ...chart.env,
        CONFIG_FILE: chart.file,
        // The suite's broker is shared: a topic of this test's own, through the file's template as rc would set it.
        ES_KAFKA__TOPIC_TEMPLATES__GENERAL_TOPIC_TEMPLATE__TEMPLATE: `${topic}-{{functionality}}`,
        // With the spool on (the image's default), a missing topic still stops the start.
        SPOOL_DIR: spool,
      });
      const timer = setTimeout(() => cli.child.kill('SIGKILL'), 60_000);
      t.after(() => clearTimeout(timer));
      assert.equal(await cli.exited, 1, 'the start stopped with exit 1');
      const failed = cli.logs.find((l) => l.msg === 'start failed');
      assert.ok(failed, JSON.stringify(cli.logs));
      assert.match(
        (failed.err as { message: string }).message,
        new RegExp(
          `^topic "${topic}-event" does not exist, and the brokers do not create topics \\(auto\\.create\\.topics\\.enable=false on broker 1\\)`,
        ),
      );
      assert.ok(!(await admin.listTopics()).includes(`${topic}-event`));
    },
  );
});
