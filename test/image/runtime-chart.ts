// The rebuilt runtime stage run as Mojaloop's Helm chart runs the sidecar container (test/fixtures/mojaloop-helm):
// the chart's command (`npm run start`) in the image's WORKDIR, the image's ENV, the chart's env for the container
// (LOG_LEVEL, LOG_FILTER, EVENT_SDK_LOG_FILTER, EVENT_SDK_LOG_METADATA_ONLY), and the chart's ConfigMap, a
// default.json rendered from the chart's template with an operator's values (the broker, the ports), at the mount
// path. What stands in for the container: the ConfigMap mount is the file written at that path under the rebuilt
// stage (a mount would also hide what the image keeps there: the test checks it keeps nothing); the spool directory,
// on which the chart mounts no volume, is the image's own directory, made as its RUN makes it; the image's npm is the
// one its Node bundles (node-release.ts); the pod's service container is this test process, with the real
// @mojaloop/event-sdk configured as the chart configures it (EVENT_SDK_SIDECAR_DISABLED=false,
// EVENT_SDK_SERVER_HOST/PORT); the kubelet's probes are HTTP GETs of the chart's paths on the chart's port, and its
// stop is a SIGTERM to the container's first process, npm. The broker is one where `topic-event` does not exist yet
// and auto-creation is on (Kafka's default, with num.partitions=3): as the original's brokers did at its first
// event, the sidecar creates it with the broker's defaults, and says so.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { uniqueName } from '../helpers/kafka.js';
import { chartSidecar, chartValues, renderSidecarConfig } from '../helpers/mojaloop-chart.js';
import { freePorts } from '../helpers/ports.js';
import { call, consume, type ConsumedRecord } from '../helpers/sidecar.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';
import { runCli } from '../helpers/sidecar-process.js';
import { bundledNpm } from './node-release.js';
import { which, type RuntimeStage } from './runtime-stage.js';

type Line = Record<string, unknown>;

export async function chartCase(t: TestContext, image: RuntimeStage, dir: string): Promise<void> {
  const { stage, node, app } = image;
  const [filePort, fileGrpcPort, esGrpcPort] = (await freePorts(3)) as [number, number, number];
  const broker = await dedicatedBroker(t, {
    prefix: 'kafka-chart-',
    extraProperties: 'auto.create.topics.enable=true;num.partitions=3',
  });
  await broker.start();
  const [host, port] = broker.brokers[0]!.split(':');
  const admin = new Kafka({ clientId: uniqueName('chart-admin'), brokers: broker.brokers, logLevel: logLevel.NOTHING });
  const topics = async () => {
    const client = admin.admin();
    await client.connect();
    try {
      return await client.fetchTopicMetadata({ topics: [] });
    } finally {
      await client.disconnect();
    }
  };
  assert.ok(!(await topics()).topics.some((topic) => topic.name === 'topic-event'), 'topic-event does not exist yet');

  // The operator's values: where Kafka is, and ports free on this machine (the chart's are 4001 and 50051).
  const values = chartValues({
    config: { kafka_host: host, kafka_port: Number(port) },
    sidecar: { service: { internalPort: filePort }, config: { event_log_grpc_port: fileGrpcPort } },
  });
  const chart = chartSidecar(values);
  assert.deepEqual(chart.command, ['npm', 'run', 'start']);
  assert.equal(`${stage.workdir}/config`, chart.configMountPath, "the chart mounts the WORKDIR's config directory");

  // The ConfigMap, mounted: the image keeps nothing there for it to hide.
  const configDir = join(dir, chart.configMountPath);
  assert.ok(!existsSync(configDir), `the image has nothing in ${chart.configMountPath}`);
  mkdirSync(configDir, { recursive: true });
  const configFile = join(configDir, 'default.json');
  writeFileSync(configFile, renderSidecarConfig(values));
  t.after(() => rmSync(configDir, { recursive: true, force: true }));
  // No volume: the spool is the image's own directory (its RUN makes it; here, the same path under the stage).
  const spool = join(dir, stage.env.SPOOL_DIR!);
  mkdirSync(spool, { recursive: true });

  // The image's node and npm (both in /usr/local/bin of the official image).
  const npmRelease = bundledNpm(node);
  const env: Record<string, string> = {
    PATH: [node.binDir, npmRelease.binDir, '/usr/bin', '/bin'].join(delimiter),
    HOME: dir,
    ...stage.env,
    SPOOL_DIR: spool,
    ...chart.env,
    // An operator's ES_ override, by rc's rules: the gRPC port of the file replaced.
    ES_EVENT_LOGGER_GRPC_PORT: String(esGrpcPort),
  };
  const npm = which(chart.command[0]!, env.PATH!);
  assert.equal(npm, join(npmRelease.binDir, 'npm'), `npm ${npmRelease.version}, which Node ${node.version} bundles`);
  t.diagnostic(`${chart.command.join(' ')}: npm ${npmRelease.version} on Node ${node.version}`);
  const sidecar = runCli([], env, { argv: [npm, ...chart.command.slice(1)], cwd: app, detached: true });
  // npm and what it started (a node that npm's SIGTERM did not reach would outlive it).
  t.after(() => {
    try {
      process.kill(-sidecar.child.pid!, 'SIGKILL');
    } catch {
      // the group is gone
    }
  });
  const started = await sidecar.waitForLog((l) => l.msg === 'event-sidecar started', 90_000);
  assert.equal(started.kafka, 'connected');
  assert.equal(started.topic, 'topic-event', 'topic-{{functionality}} gives topic-event');

  // What the file and the ES_ variable set, and the one warning (the chart's file has two keys not honoured).
  const read = sidecar.logs.find((l) => l.msg === 'original configuration read')!;
  assert.equal(read.configFile, configFile);
  assert.deepEqual((read.settings as Line).GRPC_PORT, 'ES_EVENT_LOGGER_GRPC_PORT');
  assert.deepEqual(
    (read.settings as Line).KAFKA_BROKERS,
    'KAFKA.PRODUCER.EVENT.config.rdkafkaConf."metadata.broker.list"',
  );
  const warnings = sidecar.logs.filter((l) => String(l.msg).startsWith('original configuration:'));
  assert.deepEqual(
    warnings.map((l) => l.msg),
    ['original configuration: 2 keys not honoured'],
  );
  // The file has no key for topic creation: as the original, the broker's auto-creation decides, said once.
  assert.match(String((read.byDefault as Line).KAFKA_CREATE_TOPIC_PARTITIONS), /^broker: /);
  const created = sidecar.logs.filter((l) => String(l.msg).startsWith('topic "topic-event" created as the brokers'));
  assert.equal(created.length, 1, JSON.stringify(sidecar.logs));
  assert.deepEqual(
    [created[0]!.level, created[0]!.partitions, created[0]!.replicationFactor],
    [40, 3, 1],
    'a warning, with the partitions and replication factor the broker gave',
  );
  const made = (await topics()).topics.find((topic) => topic.name === 'topic-event');
  assert.equal(made?.partitions.length, 3, "the broker's num.partitions");

  // The probes: GET on the chart's paths and port.
  const url = `http://127.0.0.1:${chart.port}`;
  for (const path of [chart.readinessPath, chart.livenessPath]) {
    const probe = await call(`${url}${path}`);
    assert.equal(probe.status, 200, probe.text);
    assert.equal((probe.body as { status: string }).status, 'OK', probe.text);
  }
  const metrics = await call(`${url}/metrics`);
  assert.match(metrics.text, /serviceName="centralledger-handler-transfer-fulfil-event-sidecar"/);

  // The service container: event-sdk as the chart configures it, on the port the ES_ variable gave.
  process.env.EVENT_SDK_SIDECAR_DISABLED = 'false';
  process.env.EVENT_SDK_SERVER_HOST = String((values.sidecar as { config: Line }).config.event_log_grpc_host);
  process.env.EVENT_SDK_SERVER_PORT = String(esGrpcPort);
  process.env.EVENT_SDK_LOG_FILTER = 'none:none'; // the SDK's own echo, in this process: off
  const sdk = await import('@mojaloop/event-sdk');
  const span = sdk.Tracer.createSpan('chart-case', { transactionId: randomUUID() });
  const traceId = span.getContext().traceId;
  await span.audit({ step: 'one' }, sdk.AuditEventAction.start);
  await span.info('an info line');
  await span.debug('a debug line');
  await span.audit({ step: 'two' }, sdk.AuditEventAction.finish);
  await span.finish();
  const client = new sdk.EventLoggingServiceClient(process.env.EVENT_SDK_SERVER_HOST, esGrpcPort);
  t.after(() => (client as unknown as { grpcClient: { close(): void } }).grpcClient.close());
  const ids = [randomUUID(), randomUUID()];
  for (const id of ids) {
    const event = new sdk.EventMessage({
      id,
      type: 'application/json',
      content: { n: id },
      metadata: {
        event: {
          id: randomUUID(),
          type: 'log',
          action: 'warn',
          createdAt: new Date().toISOString(),
          state: { status: 'success' },
        },
        trace: { service: 'chart-case', traceId, spanId: '00f067aa0ba902b7', startTimestamp: new Date().toISOString() },
      },
    } as never);
    assert.deepEqual(await client.log(event), { status: 'accepted' });
  }
  // Sent: four span events (two audits, info, debug), the span's trace event, two logs: all on topic-event.
  const sent = 7;
  const records = await consume('topic-event', sent, {
    brokers: broker.brokers,
    timeoutMs: 60_000,
    done: (rs: ConsumedRecord[]) => rs.filter((r) => r.key === traceId).length >= sent,
  });
  const ours = records.filter((r) => r.key === traceId);
  assert.equal(ours.length, sent, 'every event the client sent, once');
  for (const id of ids)
    assert.ok(
      ours.some((r) => r.value.id === id),
      `${id} is on topic-event`,
    );
  const types = ours.map((r) => (r.value.metadata as { event: { type: string } }).event.type).sort();
  assert.deepEqual(types, ['audit', 'audit', 'log', 'log', 'log', 'log', 'trace']);

  // EVENT_SDK_LOG_FILTER (audit:*, log:info, log:warn, log:error), metadata only: the audits, the info and the
  // two warnings are echoed, not the debug line nor the trace.
  const echoed = sidecar.logs.filter((l) => l.component === 'events');
  assert.equal(echoed.length, 5, JSON.stringify(echoed));
  assert.ok(
    echoed.every((l) => l.metadata !== undefined && l.event === undefined),
    'metadata only',
  );

  // The kubelet's stop: SIGTERM to the first process, npm, which passes it to node; the exit code is node's, 0.
  sidecar.child.kill('SIGTERM');
  assert.equal(await sidecar.exited, 0, sidecar.stderr());
  assert.ok(
    sidecar.logs.some((l) => l.msg === 'stopping' && l.signal === 'SIGTERM'),
    'node had the signal',
  );
  assert.ok(sidecar.logs.some((l) => l.msg === 'shut down'));
  await assert.rejects(fetch(`${url}/health`), 'nothing answers once stopped');
}
