// The spool as the built CLI runs it without being told: on, in the user's state directory, so that events
// outlive an outage with no configuration; one sidecar per directory (a second one fails naming SPOOL_DIR, and
// a SIGKILLed holder leaves nothing stale behind); a directory that cannot be used stops the start.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { testBrokers, uniqueName } from '../helpers/kafka.js';
import { freePort } from '../helpers/ports.js';
import { call, sampleEvent } from '../helpers/sidecar.js';
import { runCli, type CliProcess } from '../helpers/sidecar-process.js';
import { spoolCliEnv, spoolDir } from '../helpers/spool.js';

async function started(t: TestContext, cli: CliProcess) {
  t.after(() => cli.child.kill('SIGKILL'));
  const line = await cli.waitForLog((l) => l.msg === 'event-sidecar started', 90_000);
  return { url: `http://127.0.0.1:${line.port as number}`, line };
}

/** The exit code, or `running` when the process has not exited within `ms`. */
const exitWithin = (cli: CliProcess, ms = 30_000): Promise<number | string> =>
  Promise.race([cli.exited, new Promise<string>((resolve) => setTimeout(() => resolve('running'), ms).unref())]);

const opened = (cli: CliProcess) => cli.waitForLog((l) => l.msg === 'spool opened');

test('no SPOOL_DIR: the CLI spools in $XDG_STATE_HOME/event-sidecar/spool, and the next run finds the events', async (t) => {
  const state = spoolDir(t, 'state-home-');
  const away = [`127.0.0.1:${await freePort()}`];
  // SPOOL_DIR empty: unset, as a compose file's `SPOOL_DIR=` is (the test helper would otherwise turn it off).
  const env = {
    ...spoolCliEnv(away, uniqueName('it-spool-default'), undefined, { SHUTDOWN_TIMEOUT_MS: '3000' }),
    SPOOL_DIR: '',
    XDG_STATE_HOME: state,
  };
  const first = runCli([], env);
  const { url, line } = await started(t, first);
  assert.equal(line.kafka, 'connecting', 'started although Kafka is away');
  const dir = join(state, 'event-sidecar', 'spool');
  const start = await opened(first);
  assert.equal(start.dir, dir);
  assert.equal(start.events, 0);
  assert.ok(Number(start.bytesOnDisk) > 0, JSON.stringify(start));
  assert.equal(
    first.logs.filter((l) => l.msg === 'spool opened').length,
    1,
    'one line says where the spool is and what it holds',
  );
  const answers = [];
  for (let i = 0; i < 3; i += 1) answers.push(await call(`${url}/event`, { body: sampleEvent('log') }));
  assert.deepEqual(
    answers.map((a) => [a.status, (a.body as { status?: string }).status]),
    [
      [202, 'spooled'],
      [202, 'spooled'],
      [202, 'spooled'],
    ],
  );
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.stderr());

  const second = runCli([], env);
  await started(t, second);
  const again = await opened(second);
  assert.equal(again.dir, dir);
  assert.equal(again.events, 3, 'the events of the first run wait in the same place');
  assert.ok(Number(again.bytesOnDisk) > Number(again.eventBytes), JSON.stringify(again));
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.stderr());
});

test('without XDG_STATE_HOME the default is under HOME; SPOOL_DIR=off says what it costs', async (t) => {
  const home = spoolDir(t, 'home-');
  const env = spoolCliEnv(testBrokers(), uniqueName('it-spool-home'), undefined, { SPOOL_DIR: '', HOME: home });
  const cli = runCli([], env);
  await started(t, cli);
  assert.equal((await opened(cli)).dir, join(home, '.local', 'state', 'event-sidecar', 'spool'));
  cli.child.kill('SIGTERM');
  assert.equal(await cli.exited, 0, cli.stderr());

  const off = runCli([], spoolCliEnv(testBrokers(), uniqueName('it-spool-off'), undefined, { HOME: home }));
  await started(t, off);
  assert.ok(!off.logs.some((l) => l.msg === 'spool opened'));
  const warning = off.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('spool off (SPOOL_DIR=off)'));
  assert.ok(warning, JSON.stringify(off.logs));
  assert.equal(warning.level, 40);
  off.child.kill('SIGTERM');
  assert.equal(await off.exited, 0, off.stderr());
});

test('two sidecars on one spool directory: the second fails naming SPOOL_DIR; once the first is SIGKILLed, a new one starts', async (t) => {
  const dir = spoolDir(t);
  const env = () => spoolCliEnv(testBrokers(), uniqueName('it-spool-lock'), dir);
  const first = runCli([], env());
  const { url } = await started(t, first);
  assert.equal((await call(`${url}/event`, { body: sampleEvent('audit') })).status, 201);

  const second = runCli([], env());
  t.after(() => second.child.kill('SIGKILL'));
  assert.equal(await exitWithin(second), 1, second.stderr());
  assert.match(second.stderr(), new RegExp(`SPOOL_DIR=${dir} cannot be used: another event-sidecar is using it`));
  assert.ok(!second.logs.some((l) => l.msg === 'spool opened' || l.msg === 'event-sidecar started'));
  // The first one is untouched by the attempt.
  assert.equal((await call(`${url}/event`, { body: sampleEvent('audit') })).status, 201);

  first.child.kill('SIGKILL');
  assert.equal(await first.exited, 'SIGKILL');
  const third = runCli([], env());
  await started(t, third);
  assert.equal((await opened(third)).dir, dir);
  third.child.kill('SIGTERM');
  assert.equal(await third.exited, 0, third.stderr());
});

test('a spool directory that cannot be created stops the start with exit 1, naming SPOOL_DIR', async (t) => {
  const base = spoolDir(t);
  const file = join(base, 'not-a-directory');
  writeFileSync(file, 'x');
  const dir = join(file, 'spool');
  const cli = runCli([], spoolCliEnv(testBrokers(), uniqueName('it-spool-bad-dir'), dir));
  t.after(() => cli.child.kill('SIGKILL'));
  assert.equal(await cli.exited, 1);
  assert.match(cli.stderr(), new RegExp(`^event-sidecar: SPOOL_DIR=${dir} cannot be used: [^\\n]*\\n$`));
  assert.match(cli.stderr(), /SPOOL_DIR=off/);
  assert.ok(!cli.logs.some((l) => l.msg === 'event-sidecar started'));
  assert.equal(existsSync(dir), false);
});
