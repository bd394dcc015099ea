// The built CLI: --help, --version, configuration errors, and graceful shutdown with requests in
// flight, held there by a broker that hangs (every request answered 201 is on the topic, and the process exits 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
// internals of the sidecar, from its build: the settings table --help is rendered from
import { CONFIG_VARIABLES } from '../../packages/sidecar/dist/config-doc.js';
import { testBrokers, uniqueName } from '../helpers/kafka.js';
import { call, consume, metricValue, sampleEvent } from '../helpers/sidecar.js';
import { dedicatedBroker } from '../helpers/sidecar-broker.js';
import { runCli } from '../helpers/sidecar-process.js';
import { spoolCliEnv, spoolDir } from '../helpers/spool.js';

const pkg = JSON.parse(readFileSync(new URL('../../packages/sidecar/package.json', import.meta.url), 'utf8')) as {
  version: string;
};

test('--version and --help', async () => {
  const version = runCli(['--version'], {});
  assert.equal(await version.exited, 0);
  assert.deepEqual(version.logs, [{ text: pkg.version }]);

  const help = runCli(['--help'], {});
  assert.equal(await help.exited, 0);
  const text = help.logs.map((l) => (l.text as string | undefined) ?? '').join('\n');
  assert.match(text, /^Usage: event-sidecar/);
  for (const variable of CONFIG_VARIABLES) assert.match(text, new RegExp(`\\b${variable.name}\\b`));

  const unknown = runCli(['--bogus'], {});
  assert.equal(await unknown.exited, 2);
  assert.match(unknown.stderr(), /unknown argument "--bogus"/);
});

test('a bad configuration lists every problem and exits 1', async () => {
  const cli = runCli([], { HTTP_PORT: 'x', KAFKA_BROKERS: 'nope', LOG_LEVEL: 'loud' });
  assert.equal(await cli.exited, 1);
  assert.equal(
    cli.stderr(),
    'event-sidecar: invalid configuration:\n' +
      '  HTTP_PORT must be an integer from 0 to 65535, got "x"\n' +
      '  KAFKA_BROKERS must be host:port items separated by commas, got "nope"\n' +
      '  LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, audit, perf, verbose, silly, got "loud"\n',
  );
});

test('without a spool, an unreachable Kafka at start exits 1', async () => {
  const cli = runCli([], {
    // With a spool (the default) the sidecar starts anyway and spools: spool-start.test.ts.
    SPOOL_DIR: 'off',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    KAFKA_BROKERS: '127.0.0.1:1',
    KAFKA_CONNECTION_TIMEOUT_MS: '500',
    KAFKA_REQUEST_TIMEOUT_MS: '1000',
  });
  assert.equal(await cli.exited, 1);
  assert.ok(cli.logs.some((l) => l.msg === 'start failed' && l.level === 60));
});

test('with the spool on, a missing topic still stops the start, naming it', async (t) => {
  // The spool is for a Kafka that is away; a topic that is not there is an operator's mistake and must show.
  const topic = uniqueName('missing');
  const cli = runCli([], spoolCliEnv(testBrokers(), topic, spoolDir(t), { KAFKA_CREATE_TOPIC_PARTITIONS: '' }));
  // A sidecar that took the missing topic for an outage would start and keep reconnecting: bound the wait.
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 30_000);
  t.after(() => clearTimeout(timer));
  assert.equal(await cli.exited, 1, 'the start stopped with exit 1 within 30 s');
  const failed = cli.logs.find((l) => l.msg === 'start failed');
  assert.ok(failed, 'the start failed');
  assert.match(JSON.stringify(failed), new RegExp(`${topic}.*does not exist`));
});

function baseEnv(topic: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    GRPC_HOST: '127.0.0.1',
    KAFKA_BROKERS: testBrokers().join(','),
    EVENT_TOPIC: topic,
    KAFKA_CREATE_TOPIC_PARTITIONS: '4',
    ...extra,
  };
}

test('SIGTERM with requests in flight: every 201 is on the topic, exit 0', async (t) => {
  // The broker hangs (SIGSTOP) while the requests wait for it: they are in flight when the signal arrives, however
  // fast the machine is; then it answers them during the shutdown.
  const broker = await dedicatedBroker(t, { prefix: 'kafka-cli-term-' });
  await broker.start();
  const topic = uniqueName('it-sidecar-term');
  const cli = runCli(
    [],
    baseEnv(topic, {
      KAFKA_BROKERS: broker.brokers.join(','),
      SHUTDOWN_TIMEOUT_MS: '30000',
      PUBLISH_TIMEOUT_MS: '30000',
      KAFKA_REQUEST_TIMEOUT_MS: '30000',
    }),
  );
  t.after(() => cli.child.kill('SIGKILL'));
  const started = await cli.waitForLog((l) => l.msg === 'event-sidecar started');
  const url = `http://127.0.0.1:${started.port as number}`;
  const warm = sampleEvent('log');
  assert.equal((await call(`${url}/event`, { body: warm })).status, 201);

  broker.pause();
  const events = Array.from({ length: 60 }, (_, i) =>
    sampleEvent((['log', 'audit', 'trace', 'error'] as const)[i % 4]),
  );
  const answers = events.map((event) =>
    fetch(`${url}/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    }).then(
      async (res) => ({ status: res.status, body: (await res.json()) as { id?: string } }),
      (err: Error) => ({ status: 0, body: { error: err.message } }),
    ),
  );
  // Every request has reached the producer (counted as received), and none can be answered yet.
  for (let i = 0; ; i += 1) {
    const metrics = (await call(`${url}/metrics`)).text;
    const received = ['log', 'audit', 'trace', 'error'].reduce(
      (n, type) => n + metricValue(metrics, 'event_sidecar_events_received_total', { type, transport: 'http' }),
      0,
    );
    if (received === events.length + 1) break;
    assert.ok(i < 500, `the requests reach the sidecar (${received} of ${events.length + 1})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  cli.child.kill('SIGTERM');
  const shutdown = await cli.waitForLog((l) => l.msg === 'shutting down');
  // Past the shutdown's drain (at most 1 s): the servers are closing, and must still let these requests finish.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  broker.resume();
  const settled = await Promise.all(answers);
  assert.equal(await cli.exited, 0, cli.stderr());

  assert.equal(shutdown.inFlight, events.length, 'every request was in flight when the signal arrived');
  assert.deepEqual(
    settled.map((a) => a.status),
    events.map(() => 201),
  );
  const created = settled.map((a) => (a.body as { id: string }).id);
  const records = await consume(topic, created.length + 1, { brokers: broker.brokers });
  const onTopic = new Set(records.map((r) => r.value.id));
  for (const id of created) assert.ok(onTopic.has(id), `${id} answered 201 and is on the topic`);
  assert.ok(cli.logs.some((l) => l.msg === 'shut down'));
});

test('a second signal exits at once', async (t) => {
  const topic = uniqueName('it-sidecar-twice');
  const cli = runCli([], baseEnv(topic, { PRODUCER_LINGER_MS: '5000', SHUTDOWN_TIMEOUT_MS: '30000' }));
  t.after(() => cli.child.kill('SIGKILL'));
  const started = await cli.waitForLog((l) => l.msg === 'event-sidecar started');
  const url = `http://127.0.0.1:${started.port as number}`;
  const pending = fetch(`${url}/event`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(sampleEvent()),
  }).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const begin = Date.now();
  cli.child.kill('SIGINT');
  await cli.waitForLog((l) => l.msg === 'stopping');
  cli.child.kill('SIGINT');
  assert.equal(await cli.exited, 130);
  assert.ok(Date.now() - begin < 3000, 'did not wait for the linger or the shutdown bound');
  await pending;
});
