// The README's commands on a fresh clone of this commit, with .nvmrc's Node (fetched from the npm registry): `npm ci`
// links the event-sidecar bin, `npx event-sidecar --help` works once built, and `npm test` (build, unit and
// integration tests against a real broker) passes on that Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './dockerfile.js';
import { nodeRelease } from './node-release.js';
import { networkEnv } from './runtime-stage.js';

const node = nodeRelease(readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim());
const dir = mkdtempSync(join(tmpdir(), 'fresh-clone-'));
const repo = join(dir, 'event-sidecar');
const env: Record<string, string> = {
  PATH: `${node.binDir}:${process.env.PATH ?? ''}`,
  HOME: process.env.HOME ?? dir,
  ...networkEnv(),
  // This machine's npm configuration points node-gyp at the system Node's headers; better-sqlite3 must be built
  // for the Node that runs it.
  npm_config_nodedir: node.nodedir,
  npm_config_update_notifier: 'false',
  CI: 'true',
};
for (const name of ['JAVA_HOME', 'KAFKA_VERSION', 'TMPDIR']) if (process.env[name]) env[name] = process.env[name]!;

function sh(command: string, args: string[], cwd = repo) {
  const started = Date.now();
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 1_800_000, maxBuffer: 256 << 20 });
  return {
    status: r.status,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? String(r.error ?? ''),
    ms: Date.now() - started,
  };
}

let cloned = false;
test.after(() => rmSync(dir, { recursive: true, force: true }));

test(`fresh clone on Node ${node.version}: npm ci links the bin, and npx event-sidecar --help works after the build`, (t) => {
  // CLONE_REF checks another commit the same way (an older one, to see what this test catches).
  const ref = process.env.CLONE_REF?.trim() || 'HEAD';
  const head = spawnSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], {
    cwd: ROOT,
    encoding: 'utf8',
  }).stdout.trim();
  assert.match(head, /^[0-9a-f]{40}$/, `CLONE_REF ${ref} is a commit`);
  t.diagnostic(`cloned at ${ref} (${head})`);
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' });
  if (dirty.stdout.trim()) t.diagnostic(`uncommitted changes are not part of the clone:\n${dirty.stdout}`);
  const clone = sh('git', ['clone', '--quiet', '--no-checkout', ROOT, repo], dir);
  assert.equal(clone.status, 0, clone.stderr);
  assert.equal(sh('git', ['checkout', '--quiet', head]).status, 0);
  // Kafka's jars, resolved once per machine (the clone would fetch them again from Maven Central otherwise).
  if (existsSync(join(ROOT, '.kafka/lib'))) {
    mkdirSync(join(repo, '.kafka'));
    symlinkSync(realpathSync(join(ROOT, '.kafka/lib')), join(repo, '.kafka/lib'));
  }
  // The Node releases fetched from the npm registry, likewise (npm test's consumer test runs on every engines line).
  if (existsSync(join(ROOT, '.cache/node'))) {
    mkdirSync(join(repo, '.cache'));
    symlinkSync(realpathSync(join(ROOT, '.cache/node')), join(repo, '.cache/node'));
  }
  cloned = true;

  const ci = sh('npm', ['ci', '--no-audit', '--no-fund']);
  assert.equal(ci.status, 0, `npm ci: ${ci.stdout}\n${ci.stderr}`);
  t.diagnostic(`npm ci: ${ci.ms} ms`);
  const bin = join(repo, 'node_modules/.bin/event-sidecar');
  assert.ok(existsSync(bin), 'npm ci linked node_modules/.bin/event-sidecar');
  assert.equal(realpathSync(bin), join(realpathSync(repo), 'packages/sidecar/bin/event-sidecar.js'));

  // Before the build the bin says what is missing instead of a module-not-found trace.
  const early = sh('npx', ['event-sidecar', '--help']);
  assert.equal(early.status, 1, early.stdout + early.stderr);
  assert.match(early.stderr, /not built.*npm run build/);

  const build = sh('npm', ['run', 'build']);
  assert.equal(build.status, 0, build.stdout + build.stderr);
  const help = sh('npx', ['event-sidecar', '--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: event-sidecar/);
  assert.match(help.stdout, /KAFKA_BROKERS/);
  const version = sh('npx', ['event-sidecar', '--version']);
  const pkg = JSON.parse(readFileSync(join(repo, 'packages/sidecar/package.json'), 'utf8')) as { version: string };
  assert.equal(version.stdout.trim(), pkg.version, version.stderr);
});

test(`fresh clone on Node ${node.version}: npm test (unit and integration tests against a real broker)`, (t) => {
  assert.ok(cloned, 'the clone above was made');
  const test = sh('npm', ['test'], repo);
  // The suites' own output is long: the summary and the failures are what matters here.
  const out = `${test.stdout}\n${test.stderr}`;
  t.diagnostic(`npm test: ${test.ms} ms`);
  for (const line of out.split('\n').filter((l) => /^ℹ (tests|pass|fail) /.test(l))) t.diagnostic(line);
  assert.equal(test.status, 0, out.split('\n').slice(-150).join('\n'));
});
