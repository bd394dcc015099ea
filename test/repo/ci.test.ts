import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { policyProblems, readDecisions } from '../../scripts/release/audit-lib.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const config = parse(readFileSync(join(root, '.circleci/config.yml'), 'utf8'));

type Step = string | Record<string, unknown>;
interface Job {
  steps: Step[];
  docker?: { image: string; environment?: Record<string, string> }[];
  environment?: Record<string, string>;
}
interface Entry {
  job: string;
  name: string;
  params: Record<string, unknown>;
}

/** A workflow's job entries, each under the name other entries' `requires` use. */
function entries(workflow: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const item of config.workflows[workflow].jobs as (string | Record<string, Record<string, unknown>>)[]) {
    const [job, params] = typeof item === 'string' ? [item, {}] : Object.entries(item)[0]!;
    const name = typeof params.name === 'string' ? params.name : job;
    assert.ok(!out.has(name), `${workflow}: two entries named ${name}`);
    out.set(name, { job, name, params });
  }
  return out;
}

function requiresOf(entry: Entry): string[] {
  return (entry.params.requires as string[] | undefined) ?? [];
}

/** Every entry `name` depends on, directly or through other entries. */
function closure(all: Map<string, Entry>, name: string): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string) => {
    for (const r of requiresOf(all.get(n)!)) {
      if (seen.has(r)) continue;
      seen.add(r);
      visit(r);
    }
  };
  visit(name);
  return seen;
}

/** The shell text of a job's `run` steps, in order. */
function commands(job: string): string[] {
  return (config.jobs[job] as Job).steps.flatMap((step) => {
    const run = typeof step === 'object' ? step.run : undefined;
    if (typeof run === 'string') return [run];
    if (run && typeof run === 'object') return [String((run as { command: string }).command)];
    const when = typeof step === 'object' ? (step.when as { steps?: Step[] } | undefined) : undefined;
    return when?.steps
      ? when.steps.flatMap((s) => (typeof s === 'object' && s.run ? [JSON.stringify(s.run)] : []))
      : [];
  });
}

/** Names of the entries in `all` whose job runs a command matching `pattern`. */
function entriesRunning(all: Map<string, Entry>, pattern: RegExp): string[] {
  return [...all.values()].filter((e) => commands(e.job).some((c) => pattern.test(c))).map((e) => e.name);
}

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
  for (const [what, names] of Object.entries({ audit, scan, unit, integration })) {
    assert.ok(names.length > 0, `main has no ${what} job`);
    for (const n of names) assert.ok(before.has(n), `release does not wait for ${n} (${what})`);
  }
  assert.deepEqual(integration.map((n) => main.get(n)!.params.kafka_image).sort(), [
    'apache/kafka:3.9.2',
    'apache/kafka:4.4.0',
  ]);
  for (const n of scan) assert.equal(main.get(n)!.params.stage, true, `${n} does not stage the scanned image`);

  assert.match(String(release.params['serial-group']), /^<< pipeline\.project\.slug >>\/release$/);
  const steps = commands('release');
  const bump = steps.findIndex((c) => c.includes('npm run release -- --push'));
  const publish = steps.findIndex((c) => c.includes('image.sh publish'));
  assert.ok(bump >= 0 && publish > bump, 'the release job must bump (guarded) before it publishes');
});

test('pull requests run every check but never release', () => {
  const pr = entries('pull-request');
  assert.ok(![...pr.values()].some((e) => e.job === 'release'));
  for (const pattern of [
    /npm run lint/,
    /npm run build/,
    /test:unit/,
    /test:integration/,
    /audit:check/,
    /commitlint/,
  ]) {
    assert.ok(entriesRunning(pr, pattern).length > 0, `pull requests do not run ${pattern}`);
  }
  assert.equal(entriesRunning(pr, /npm run test:integration/).length, 2, 'Kafka 4.x and 3.9.x');
});

test('integration jobs point the tests at their Kafka service container', () => {
  const job = config.jobs.integration as Job;
  assert.equal(job.environment?.KAFKA_BROKERS, '127.0.0.1:9092');
  const kafka = job.docker![1]!;
  assert.equal(kafka.image, '<< parameters.kafka_image >>');
  assert.equal(kafka.environment?.KAFKA_PROCESS_ROLES, 'broker,controller');
  assert.equal(kafka.environment?.KAFKA_ADVERTISED_LISTENERS, 'PLAINTEXT://127.0.0.1:9092');
  for (const [k, v] of Object.entries(kafka.environment ?? {})) assert.equal(typeof v, 'string', `${k} not a string`);
});

test('no pipeline job skips the dependency audit', () => {
  const text = readFileSync(join(root, '.circleci/config.yml'), 'utf8');
  assert.ok(!/AUDIT_OFFLINE_SKIP\s*[:=]/.test(text), 'a CircleCI job sets AUDIT_OFFLINE_SKIP');
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
