// The audit check (scripts/release/audit.ts): advisories, recorded decisions, expiry and threshold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyAuditOutput, expiryOf, policyProblems } from '../../scripts/release/audit-lib.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// A report in the shape npm 11 prints for `npm audit --json` (lodash 4.17.20 and express 4.20.0 in the tree):
// one high advisory, one moderate and one low, the low one reached through a transitive path.
const report = join(root, 'test/repo/fixtures/npm-audit-report.json');
const HIGH = '1106913'; // GHSA-35jh-r3h4-6jhm, lodash

/** Runs an npm script asynchronously (a test's own stand-in registry must keep answering meanwhile). */
function npmRun(script: string, args: string[], env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('AUDIT_OFFLINE_SKIP' in env)) delete childEnv.AUDIT_OFFLINE_SKIP; // the local CI script may set it
  const child = spawn('npm', ['run', '--silent', script, '--', ...args], { cwd: root, env: childEnv });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise<{ code: number | null; out: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

function tempDecisions(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'audit-decisions-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'audit-resolve.json');
}

test('a high advisory without a decision fails the check; a recorded decision passes it', async (t) => {
  const decisions = tempDecisions(t);

  const before = await npmRun('audit:check', ['--report', report, '--decisions', decisions]);
  assert.equal(before.code, 1, before.out);
  assert.match(before.out, /BLOCKING\s+high\s+lodash\s+GHSA-35jh-r3h4-6jhm/);
  assert.match(before.out, /FAILED: 1 finding\(s\) at or above high/);

  const resolved = await npmRun('audit:resolve', [
    ...['--report', report, '--decisions', decisions, '--advisory', 'GHSA-35jh-r3h4-6jhm'],
    ...['--decision', 'ignore', '--reason', 'template() never sees user input', '--days', '30'],
  ]);
  assert.equal(resolved.code, 0, resolved.out);
  const file = JSON.parse(readFileSync(decisions, 'utf8'));
  const entry = file.decisions[`${HIGH}|lodash`];
  assert.equal(entry.decision, 'ignore');
  assert.equal(entry.reason, 'template() never sees user input');
  assert.ok(entry.expiresAt > Date.now() + 29 * 86_400_000 && entry.expiresAt <= Date.now() + 30 * 86_400_000);

  const after = await npmRun('audit:check', ['--report', report, '--decisions', decisions]);
  assert.equal(after.code, 0, after.out);
  assert.match(after.out, /decided\s+high\s+lodash/);
  assert.match(after.out, /PASSED/);
});

test('an expired decision fails the check again', async (t) => {
  const decisions = tempDecisions(t);
  const day = 86_400_000;
  writeFileSync(
    decisions,
    JSON.stringify({
      version: 1,
      rules: {},
      decisions: {
        [`${HIGH}|lodash`]: {
          decision: 'ignore',
          reason: 'waiting for the upstream fix',
          madeAt: Date.now() - 40 * day,
          expiresAt: Date.now() - day,
        },
      },
    }),
  );
  const run = await npmRun('audit:check', ['--report', report, '--decisions', decisions]);
  assert.equal(run.code, 1, run.out);
  assert.match(run.out, /via lodash: decision "ignore" EXPIRED on \d{4}-\d{2}-\d{2}: waiting for the upstream fix/);
});

test('the threshold is configurable: at moderate, the ReDoS advisory blocks too', async (t) => {
  const decisions = tempDecisions(t);
  const run = await npmRun('audit:check', ['--report', report, '--decisions', decisions, '--audit-level', 'moderate']);
  assert.equal(run.code, 1, run.out);
  assert.match(run.out, /FAILED: 2 finding\(s\) at or above moderate/);
  assert.match(run.out, /below\s+low\s+cookie/);
});

test('a decision without a reason or expiry breaks the policy', async (t) => {
  const decisions = tempDecisions(t);
  writeFileSync(
    decisions,
    JSON.stringify({ version: 1, rules: {}, decisions: { [`${HIGH}|lodash`]: { decision: 'ignore' } } }),
  );
  const run = await npmRun('audit:check', ['--report', report, '--decisions', decisions]);
  assert.equal(run.code, 1, run.out);
  assert.match(run.out, /no reason recorded/);
  assert.match(run.out, /an ignore needs an expiry/);
});

test('when the audit endpoint refuses, the check says so and fails', async (t) => {
  // The public registry answers the bulk-advisory POST with 405 on some networks; so does this stand-in.
  const server = createServer((req, res) => {
    res.writeHead(req.method === 'POST' ? 405 : 404, { allow: 'GET,HEAD' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;

  const refused = await npmRun('audit:check', [], { npm_config_registry: `http://127.0.0.1:${port}/` });
  assert.equal(refused.code, 2, refused.out);
  assert.match(refused.out, /audit endpoint could not be reached \(405 Method Not Allowed/);
  assert.match(refused.out, /no audit was performed/);

  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const unreachable = await npmRun('audit:check', [], { npm_config_registry: `http://127.0.0.1:${deadPort}/` });
  assert.equal(unreachable.code, 2, unreachable.out);
  assert.match(unreachable.out, /audit endpoint could not be reached \(.*ECONNREFUSED/);
});

test('AUDIT_OFFLINE_SKIP=1 skips the live audit visibly', async () => {
  const run = await npmRun('audit:check', [], { AUDIT_OFFLINE_SKIP: '1' });
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /SKIPPED: AUDIT_OFFLINE_SKIP=1/);
});

test('npm audit output is classified by its JSON, not its exit code', () => {
  const refused = JSON.stringify({
    message: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk',
    statusCode: 405,
    error: { summary: '', detail: '' },
  });
  assert.equal(classifyAuditOutput(refused, 'npm error audit endpoint returned an error').kind, 'unreachable');
  assert.equal(classifyAuditOutput(readFileSync(report, 'utf8'), '').kind, 'report');
  const noLock = JSON.stringify({ error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.' } });
  assert.deepEqual(classifyAuditOutput(noLock, ''), {
    kind: 'failed',
    message: 'This command requires an existing lockfile.',
  });
  assert.equal(classifyAuditOutput('', 'npm error something').kind, 'failed');
});

test('expiry and policy rules', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(expiryOf('ignore', { days: '7' }, now), now + 7 * 86_400_000);
  assert.equal(expiryOf('ignore', { expires: '2026-01-31' }, now), Date.parse('2026-01-31T23:59:59.999Z'));
  assert.equal(expiryOf('postpone', {}, now), undefined);
  assert.throws(() => expiryOf('ignore', { days: '91' }, now), /at most 90 days/);
  assert.throws(() => expiryOf('ignore', { expires: '2025-12-31' }, now), /in the past/);
  assert.deepEqual(policyProblems({ '1|a': { decision: 'postpone', reason: 'r' } }), []);
  assert.deepEqual(policyProblems({ '1|a': { decision: 'fix', reason: 'r' } }), [
    '1|a: decision "fix" is not one of ignore, postpone',
  ]);
});
