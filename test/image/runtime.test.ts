// Image parity: no container engine runs here, so the Dockerfile's runtime stage is rebuilt in a directory (its
// Node from the npm registry, its production install run as the Dockerfile runs it, the dist/ of the build), once,
// and run against a real broker with the container's environment two ways: with its own ENTRYPOINT and
// HEALTHCHECK, as `docker run` runs it; and as Mojaloop's Helm chart runs it (runtime-chart.ts). Only the ports and
// the paths of volumes and mounts differ, as a container's port mapping and mounts would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { uniqueName } from '../helpers/kafka.js';
import { freePorts } from '../helpers/ports.js';
import { call, sampleEvent } from '../helpers/sidecar.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';
import { runCli } from '../helpers/sidecar-process.js';
import { consumeIds } from '../helpers/spool.js';
import { args, durationMs, stage as runtimeStageOf } from './dockerfile.js';
import { nodeRelease } from './node-release.js';
import { chartCase } from './runtime-chart.js';
import { buildRuntimeStage, which, type RuntimeStage } from './runtime-stage.js';

const dir = mkdtempSync(join(tmpdir(), 'image-parity-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let built: RuntimeStage | undefined;

/** The runtime stage, rebuilt by the first test that needs it (the install takes minutes). */
function runtimeStage(t: { diagnostic(message: string): void }): RuntimeStage {
  if (built) return built;
  const at = Date.now();
  built = buildRuntimeStage(dir);
  t.diagnostic(`runtime stage rebuilt in ${Date.now() - at} ms on Node ${built.node.version}`);
  for (const c of built.installed) t.diagnostic(`RUN ${c.command}: ${c.ms} ms`);
  t.diagnostic(`not run (the container's OS packages and directories): ${built.skipped.join(' | ')}`);
  return built;
}

test("the Dockerfile's runtime stage, on its Node, starts, spools, publishes, passes its HEALTHCHECK and stops on SIGTERM", async (t) => {
  // What the Dockerfile says, checked before the long install: the ENTRYPOINT's V8 flags on the image's Node, and
  // the volume that the spool is kept on.
  const stage = runtimeStageOf('runtime');
  const node = nodeRelease(args().NODE_VERSION!);
  const [command, ...rest] = stage.entrypoint;
  assert.equal(command, 'node', 'the ENTRYPOINT runs node');
  // V8 flags come and go between Node releases, and node refuses to start with one it does not know.
  const flags = rest.filter((a) => a.startsWith('--'));
  const accepted = spawnSync(node.node, [...flags, '-e', '0'], { encoding: 'utf8' });
  assert.equal(accepted.status, 0, `node ${node.version} ${flags.join(' ')}: ${accepted.stderr}`);
  assert.equal(stage.volumes.length, 1, 'one volume: the spool');
  const volume = stage.volumes[0]!;
  const onVolume = Object.entries(stage.env).filter(([, value]) => value === volume);
  assert.equal(onVolume.length, 1, `one ENV names the volume ${volume}: ${JSON.stringify(stage.env)}`);

  const spool = join(dir, 'volume');
  mkdirSync(spool);
  const image = runtimeStage(t);
  const { app } = image;
  assert.equal(image.node.version, node.version);

  // The production install holds what the CLI imports and nothing of the dev tree.
  assert.ok(existsSync(join(app, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')), 'built');
  for (const dev of ['typescript', 'tsx', '@mojaloop/event-sdk', 'eslint'])
    assert.ok(!existsSync(join(app, 'node_modules', dev)), `${dev} is a dev dependency, not in the image`);

  const [httpPort, grpcPort] = await freePorts(2);
  const broker = await dedicatedBroker(t, { prefix: 'kafka-image-' });
  const topic = uniqueName('image-parity');
  // The container's environment: the Dockerfile's ENV, with the volume's path mapped, and the ports as `-e` maps them.
  const env: Record<string, string> = {
    PATH: `${node.binDir}${delimiter}/usr/bin${delimiter}/bin`,
    HOME: dir,
    ...stage.env,
    HTTP_PORT: String(httpPort),
    GRPC_PORT: String(grpcPort),
    [onVolume[0]![0]]: spool,
    // What an operator sets (README, docker-compose.yml).
    KAFKA_BROKERS: broker.brokers.join(','),
    EVENT_TOPIC: topic,
    KAFKA_CREATE_TOPIC_PARTITIONS: '2',
  };
  assert.deepEqual(stage.expose, ['4001', '50051'], 'the image listens on 4001 and 50051 (EXPOSE, probes)');
  const nodeOnPath = which(command, env.PATH!);
  assert.equal(nodeOnPath, node.node, `the ENTRYPOINT runs Node ${node.version}`);

  const healthcheck = () => {
    const [hc, ...hcArgs] = stage.healthcheck.command;
    const r = spawnSync(which(hc!, env.PATH!), hcArgs, {
      cwd: app,
      env,
      encoding: 'utf8',
      timeout: durationMs(stage.healthcheck.options.timeout ?? '30s'),
    });
    return r.status;
  };

  // Kafka is not up yet: with the spool the container starts anyway and takes events on the volume.
  const sidecar = runCli([], env, { argv: [nodeOnPath, ...rest], cwd: app });
  t.after(() => sidecar.child.kill('SIGKILL'));
  const startedLine = await sidecar.waitForLog((l) => l.msg === 'event-sidecar started', 90_000);
  assert.equal(startedLine.kafka, 'connecting');
  const url = `http://127.0.0.1:${httpPort}`;
  assert.equal(healthcheck(), 0, 'HEALTHCHECK passes while events are spooled (DEGRADED is 200)');

  const spooled = sampleEvent('audit');
  const first = await call(`${url}/event`, { body: spooled });
  assert.equal(first.status, 202, first.text);
  assert.equal((first.body as { status: string }).status, 'spooled');
  const files = readdirSync(spool);
  assert.ok(files.length > 0, 'the spool is on the volume');
  assert.ok(
    files.some((f) => statSync(join(spool, f)).size > 0),
    `spool files hold data: ${files.join(', ')}`,
  );

  await broker.start();
  await sidecar.waitForLog((l) => l.msg === 'spool drained: every spooled event is on Kafka', 90_000);
  const direct = sampleEvent('log');
  const second = await call(`${url}/event`, { body: direct });
  assert.equal(second.status, 201, second.text);

  const health = await call(`${url}/health`);
  assert.equal(health.status, 200, health.text);
  assert.equal((health.body as { status: string }).status, 'OK', health.text);
  assert.equal(healthcheck(), 0, 'HEALTHCHECK passes');

  // Published: both events read back from the topic, as sent.
  const records = await consumeIds(topic, [spooled.id, direct.id], broker.brokers);
  for (const sent of [spooled, direct]) {
    const record = records.find((r) => r.value.id === sent.id);
    assert.ok(record, `${sent.id} is on ${topic}`);
    assert.deepEqual(record.value.content, sent.content);
    // The record's metadata is the event's, plus the original sidecar's `protocol.createdAt`.
    const metadata = record.value.metadata as typeof sent.metadata;
    assert.deepEqual(metadata.event, sent.metadata.event);
    assert.deepEqual(metadata.trace, sent.metadata.trace);
  }

  sidecar.child.kill('SIGTERM');
  assert.equal(await sidecar.exited, 0, sidecar.stderr());
  assert.notEqual(healthcheck(), 0, 'HEALTHCHECK fails once nothing answers');
});

test("Mojaloop's Helm chart: npm run start in the WORKDIR, the chart's default.json, event-sdk over gRPC, probes, SIGTERM", async (t) => {
  await chartCase(t, runtimeStage(t), dir);
});
