// The CircleCI config: valid, jobs consistent, release gated, pull requests checked as main is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { policyProblems, readDecisions } from '../../scripts/release/audit-lib.js';
import {
  closure,
  commands,
  config,
  configText,
  entries,
  entriesRunning,
  requiresOf,
  root,
  runtimeOf,
  stepsOf,
  type Entry,
} from './circleci-config.js';

test('the CircleCI config is valid YAML with consistent jobs and requires', () => {
  assert.equal(config.version, 2.1);
  for (const workflow of Object.keys(config.workflows)) {
    const all = entries(workflow);
    for (const entry of all.values()) {
      assert.ok(config.jobs[entry.job], `${workflow}: job ${entry.job} is not defined`);
      for (const r of requiresOf(entry)) assert.ok(all.has(r), `${workflow}: ${entry.name} requires unknown ${r}`);
    }
  }
});

test('the release job runs only after the audit, the image scan and the full tests, and is serialized', () => {
  const main = entries('main');
  const release = [...main.values()].find((e) => e.job === 'release');
  assert.ok(release, 'main has no release job');
  const before = closure(main, release.name);

  const audit = entriesRunning(main, /npm run audit:check/);
  const scan = entriesRunning(main, /docker-scan\.sh|npm run docker:scan/);
  const unit = entriesRunning(main, /npm run test:unit/);
  const integration = entriesRunning(main, /npm run test:integration/);
  const reliability = entriesRunning(main, /npm run test:reliability/);
  for (const [what, names] of Object.entries({ audit, scan, unit, integration, reliability })) {
    assert.ok(names.length > 0, `main has no ${what} job`);
    for (const n of names) assert.ok(before.has(n), `release does not wait for ${n} (${what})`);
  }
  assert.deepEqual([...new Set(integration.map((n) => main.get(n)!.params.kafka_version))].sort(), ['3.9.1', '4.4.0']);
  for (const n of scan) assert.equal(main.get(n)!.params.stage, true, `${n} does not stage the scanned image`);

  assert.match(String(release.params['serial-group']), /^<< pipeline\.project\.slug >>\/release$/);
  const steps = commands('release');
  const bump = steps.findIndex((c) => c.includes('npm run release -- --push'));
  const publish = steps.findIndex((c) => c.includes('image.sh publish'));
  assert.ok(bump >= 0 && publish > bump, 'the release job must bump (guarded) before it publishes');
});

test('pull requests run every check main runs, but never release', () => {
  const pr = entries('pull-request');
  const main = entries('main');
  assert.ok(![...pr.values()].some((e) => e.job === 'release'));
  for (const pattern of [
    /npm run lint/,
    /npm run build/,
    /test:unit/,
    /test:integration/,
    /test:reliability/,
    /audit:check/,
    /commitlint/,
    /docker-scan\.sh/,
  ]) {
    assert.ok(entriesRunning(pr, pattern).length > 0, `pull requests do not run ${pattern}`);
  }
  const checks = (all: Map<string, Entry>) =>
    [...all.values()]
      .filter((e) => !['release', 'image', 'commitlint'].includes(e.job))
      .map((e) => JSON.stringify(e))
      .sort();
  assert.deepEqual(checks(pr), checks(main), 'the same test jobs, with the same parameters');
});

test("the config is valid against CircleCI's published schema (vendored from SchemaStore)", () => {
  const dir = join(root, 'test/repo/fixtures/circleci-schema');
  const entry = JSON.parse(readFileSync(join(dir, 'circleciconfig.json'), 'utf8')) as { $ref: string };
  const schema = JSON.parse(readFileSync(join(dir, 'circleci-yaml-language-server.schema.json'), 'utf8')) as object;
  // Ajv 8, as the contract package depends on it (the top-level ajv belongs to eslint).
  const contractRequire = createRequire(join(root, 'packages/contract/package.json'));
  const ajvModule = contractRequire('ajv') as { default?: unknown };
  const Ajv = (ajvModule.default ?? ajvModule) as new (options: object) => {
    addSchema(schema: object, key: string): void;
    compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown[] | null };
  };
  // SchemaStore's entry is a $ref to the schema CircleCI publishes; the vendored copy answers it offline.
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false });
  ajv.addSchema(schema, entry.$ref);
  const validate = ajv.compile(entry);
  assert.ok(validate(config), `.circleci/config.yml: ${JSON.stringify(validate.errors, null, 2)}`);
});

/** What a step needs from the machine it runs on. */
const NEEDS: { what: string; pattern: RegExp }[] = [
  { what: 'node', pattern: /(^|\s|&&\s*)(npm|npx|node)\s/m },
  // Every integration file that stops and restarts Kafka, and the reliability suite, start brokers of their own with
  // scripts/kafka-local.sh: Java 17+ to run them, Maven to fetch Kafka's jars.
  { what: 'java', pattern: /test:integration|test:reliability|kafka-local\.sh|with-kafka\.sh|npm test\b/ },
  { what: 'docker', pattern: /\bdocker\b|docker-scan\.sh|image\.sh/ },
];

/** What an image offers without any step installing it. */
function offered(image: string): Set<string> {
  if (/^cimg\/openjdk:\d+(\.\d+)*-node$/.test(image)) return new Set(['node', 'java']);
  if (/^cimg\/node:/.test(image)) return new Set(['node']);
  if (/^machine:ubuntu-/.test(image)) return new Set(['docker']);
  return new Set();
}

/** What a step installs or enables for the steps after it. */
function installed(step: { builtin?: string; run?: string }): string[] {
  if (step.builtin === 'setup_remote_docker') return ['docker'];
  const java = /apt-get install[^\n]*\bopenjdk-(\d+)-jdk(-headless)?\b/.exec(step.run ?? '');
  if (java && Number(java[1]) >= 17 && /apt-get install[^\n]*\bmaven\b/.test(step.run ?? '')) return ['java'];
  return [];
}

test('every job runs on an image that has what its steps need (Java and Maven for brokers)', () => {
  for (const workflow of Object.keys(config.workflows)) {
    for (const entry of entries(workflow).values()) {
      const { image } = runtimeOf(entry);
      const have = offered(image);
      for (const step of stepsOf(entry)) {
        for (const need of NEEDS) {
          if (step.run !== undefined && need.pattern.test(step.run))
            assert.ok(have.has(need.what), `${workflow}/${entry.name} on ${image}: \`${step.run}\` needs ${need.what}`);
        }
        for (const what of installed(step)) have.add(what);
      }
    }
  }
});

test('every broker of a Kafka job runs the Kafka release the job names (3.9 included)', () => {
  const main = entries('main');
  const kafkaJobs = entriesRunning(main, /test:integration|test:reliability/).map((n) => main.get(n)!);
  assert.ok(kafkaJobs.length > 0);
  for (const entry of kafkaJobs) {
    const { env, services } = runtimeOf(entry);
    // No broker managed elsewhere: scripts/with-kafka.sh starts the suite's broker and the tests their own, all from
    // KAFKA_VERSION's jars.
    assert.deepEqual(services, [], `${entry.name}: a service container would run another Kafka`);
    assert.equal(env.KAFKA_BROKERS, undefined, `${entry.name} points the suite at a broker of another release`);
    assert.match(String(env.KAFKA_VERSION), /^\d+\.\d+\.\d+$/, `${entry.name}: KAFKA_VERSION`);
    assert.ok(!/KAFKA_VERSION=/.test(commands(entry).join('\n')), `${entry.name} overrides KAFKA_VERSION in a step`);
  }
  const compat = kafkaJobs.filter((e) => /3\.9/.test(e.name));
  assert.equal(compat.length, 1);
  assert.match(String(runtimeOf(compat[0]!).env.KAFKA_VERSION), /^3\.9\./);
  assert.ok(kafkaJobs.some((e) => String(runtimeOf(e).env.KAFKA_VERSION).startsWith('4.')));
});

test('no pipeline job skips the dependency audit', () => {
  assert.ok(!/AUDIT_OFFLINE_SKIP\s*[:=]/.test(configText), 'a CircleCI job sets AUDIT_OFFLINE_SKIP');
});

test('committed decisions and scan exceptions carry a reason and an expiry', () => {
  const { decisions } = readDecisions(join(root, 'audit-resolve.json'));
  assert.deepEqual(policyProblems(decisions), []);

  const ignores = parse(readFileSync(join(root, '.trivyignore.yaml'), 'utf8')) as {
    vulnerabilities?: { id: string; statement?: string; expired_at?: string }[];
  };
  const limit = Date.now() + 90 * 86_400_000;
  for (const v of ignores.vulnerabilities ?? []) {
    assert.ok(v.statement?.trim(), `${v.id}: no statement`);
    assert.match(String(v.expired_at), /^\d{4}-\d{2}-\d{2}$/, `${v.id}: no expired_at`);
    assert.ok(Date.parse(String(v.expired_at)) <= limit, `${v.id}: expires more than 90 days ahead`);
  }
});

test('commitlint accepts conventional commits and rejects others', () => {
  const lint = (message: string) =>
    spawnSync(join(root, 'node_modules/.bin/commitlint'), [], { cwd: root, input: message, encoding: 'utf8' }).status;
  assert.equal(lint('feat(producer): confirm delivery before acknowledging'), 0);
  assert.equal(lint('chore(release): publish [skip ci]'), 0);
  assert.equal(lint('Update the producer'), 1);
  assert.equal(lint('feat: Ends with a period.'), 1);
});

test('docker:scan fails plainly without a Docker engine', () => {
  const r = spawnSync('npm', ['run', '--silent', 'docker:scan'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
  });
  assert.equal(r.status, 1);
  assert.match(`${r.stdout}${r.stderr}`, /docker-scan: FAILED: (no Docker engine is reachable|the docker CLI is not)/);
});
