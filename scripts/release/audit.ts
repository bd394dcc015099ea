// npm run audit:check   -> audit.ts check   [--report FILE] [--decisions FILE] [--audit-level LEVEL]
// npm run audit:resolve -> audit.ts resolve [--report FILE] [--decisions FILE]
//                          [--advisory ID|GHSA --decision ignore|postpone --reason TEXT [--expires YYYY-MM-DD|--days N]]
// Exit codes: 0 pass, 1 findings or decisions need a human, 2 no audit could be made (or bad input).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DECISIONS,
  SEVERITIES,
  classifyAuditOutput,
  expiryOf,
  findingsOf,
  isSeverity,
  judge,
  matchAdvisory,
  policyProblems,
  readDecisions,
  recordDecision,
  type DecisionKind,
  type Finding,
  type Verdict,
} from './audit-lib.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NAME = 'audit';

class Stop extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    report: { type: 'string' },
    decisions: { type: 'string', default: resolve(root, 'audit-resolve.json') },
    'audit-level': { type: 'string', default: 'high' },
    advisory: { type: 'string' },
    path: { type: 'string', multiple: true },
    decision: { type: 'string' },
    reason: { type: 'string' },
    expires: { type: 'string' },
    days: { type: 'string' },
  },
});
const command = positionals[0];
const decisionsPath = resolve(values.decisions);

/** The report to judge: a recorded one, or a fresh `npm audit --json` of this repository. */
function obtainReport(): string {
  if (values.report) return readFileSync(resolve(values.report), 'utf8');
  const run = spawnSync('npm', ['audit', '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.error) throw new Stop(`${NAME}: could not run npm audit: ${run.error.message}`, 2);
  const out = classifyAuditOutput(run.stdout, run.stderr);
  if (out.kind === 'report') return out.text;
  if (out.kind === 'unreachable') {
    throw new Stop(
      [
        `${NAME}: FAILED: the registry's audit endpoint could not be reached (${out.message}).`,
        `${NAME}: no audit was performed, so this check cannot pass.`,
        `${NAME}: where the endpoint is known to be unavailable, AUDIT_OFFLINE_SKIP=1 skips this check visibly;`,
        `${NAME}: the public pipeline never sets it. A recorded report can be checked with --report FILE.`,
      ].join('\n'),
      2,
    );
  }
  throw new Stop(`${NAME}: FAILED: npm audit did not produce a report: ${out.message}`, 2);
}

function describe(v: Verdict, openLabel: string): string[] {
  const f = v.finding;
  const ghsa = f.url.split('/').pop();
  const open = v.paths.some((p) => p.status !== 'decided');
  const label = v.blocking ? 'BLOCKING' : open ? openLabel : 'decided';
  const lines = [`  ${label.padEnd(8)}  ${f.severity.padEnd(8)} ${f.name}  ${ghsa}  ${f.title}`];
  lines.push(`            advisory ${f.id}, vulnerable ${f.range}`);
  for (const p of v.paths) {
    const d = p.decision;
    const until = d?.expiresAt ? new Date(d.expiresAt).toISOString().slice(0, 10) : undefined;
    const why = d?.reason ? `: ${d.reason}` : '';
    const text =
      p.status === 'undecided'
        ? 'no decision recorded'
        : p.status === 'expired'
          ? `decision "${d?.decision}" EXPIRED${until ? ` on ${until}` : ''}${why}`
          : `${d?.decision}${until ? ` until ${until}` : ''}${why}`;
    lines.push(`            via ${p.path}: ${text}`);
  }
  return lines;
}

function bySeverity(verdicts: Verdict[]): Verdict[] {
  const rank = (v: Verdict) => SEVERITIES.indexOf(v.finding.severity);
  return [...verdicts].sort((a, b) => rank(b) - rank(a));
}

async function check(): Promise<number> {
  const level = values['audit-level'];
  if (!isSeverity(level)) throw new Stop(`${NAME}: --audit-level must be info|low|moderate|high|critical`, 2);
  const { decisions } = readDecisions(decisionsPath);
  const problems = policyProblems(decisions);

  if (!values.report && process.env.AUDIT_OFFLINE_SKIP === '1') {
    console.log(`${NAME}: SKIPPED: AUDIT_OFFLINE_SKIP=1, so npm audit was not run on this machine.`);
    console.log(`${NAME}: the public pipeline runs this check; this skip proves nothing about the dependencies.`);
    if (problems.length) {
      console.log(`${NAME}: FAILED: the decisions file breaks the policy:\n  ${problems.join('\n  ')}`);
      return 1;
    }
    return 0;
  }

  const findings = await findingsOf(obtainReport());
  const verdicts = bySeverity(judge(findings, decisions, level));
  const source = values.report ? `report ${values.report}` : 'npm audit';
  console.log(`${NAME}: ${findings.length} advisory finding(s) from ${source}; blocking at ${level} and above`);
  for (const v of verdicts) for (const line of describe(v, 'below')) console.log(line);

  const blocking = verdicts.filter((v) => v.blocking);
  if (problems.length) console.log(`${NAME}: the decisions file breaks the policy:\n  ${problems.join('\n  ')}`);
  if (blocking.length === 0 && problems.length === 0) {
    console.log(`${NAME}: PASSED`);
    return 0;
  }
  if (blocking.length) {
    console.log(`${NAME}: FAILED: ${blocking.length} finding(s) at or above ${level} without a valid decision.`);
    console.log(`${NAME}: upgrade the dependency (npm audit fix, or a newer version), or record a reviewed decision:`);
    for (const v of blocking) {
      console.log(
        `  npm run audit:resolve -- --advisory ${v.finding.id} --decision ignore --reason "<why it is safe>" --days 30`,
      );
    }
  } else {
    console.log(`${NAME}: FAILED: fix the decisions file (npm run audit:resolve records valid ones).`);
  }
  return 1;
}

async function resolveCommand(): Promise<number> {
  const findings = await findingsOf(obtainReport());
  const { decisions } = readDecisions(decisionsPath);
  if (!values.advisory) {
    const open = bySeverity(judge(findings, decisions, 'info')).filter((v) => v.blocking);
    console.log(`${NAME}: ${open.length} finding(s) without a valid decision (all severities):`);
    for (const v of open) for (const line of describe({ ...v, blocking: false }, 'open')) console.log(line);
    console.log(`${NAME}: record one with --advisory ID --decision ignore|postpone --reason TEXT [--days N]`);
    return 0;
  }
  const kind = values.decision;
  if (!kind || !(DECISIONS as readonly string[]).includes(kind)) {
    throw new Stop(`${NAME}: --decision must be one of ${DECISIONS.join(', ')}`, 2);
  }
  if (!values.reason?.trim()) throw new Stop(`${NAME}: --reason is required: say why this is acceptable`, 2);
  const matches: Finding[] = matchAdvisory(findings, values.advisory);
  if (matches.length === 0) throw new Stop(`${NAME}: advisory ${values.advisory} is not in the report`, 2);
  const now = Date.now();
  let expiresAt: number | undefined;
  try {
    expiresAt = expiryOf(kind as DecisionKind, { expires: values.expires, days: values.days }, now);
  } catch (e) {
    throw new Stop(`${NAME}: ${(e as Error).message}`, 2);
  }
  for (const finding of matches) {
    const paths = values.path?.length ? finding.paths.filter((p) => values.path!.includes(p)) : finding.paths;
    if (paths.length === 0) throw new Stop(`${NAME}: none of the given --path values lead to ${finding.name}`, 2);
    const keys = recordDecision(decisionsPath, finding, paths, {
      kind: kind as DecisionKind,
      reason: values.reason.trim(),
      expiresAt,
      now,
    });
    for (const k of keys) console.log(`${NAME}: recorded ${kind} for ${k} in ${decisionsPath}`);
  }
  console.log(`${NAME}: commit the decisions file so the pipeline sees the decision.`);
  return 0;
}

const commands: Record<string, () => Promise<number>> = { check, resolve: resolveCommand };
const run = command ? commands[command] : undefined;
if (!run) {
  console.error(`usage: audit.ts check|resolve [options] (see docs/RELEASING.md)`);
  process.exit(2);
}
run().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof Stop) {
      console.error(e.message);
      process.exit(e.exitCode);
    }
    console.error(`${NAME}: FAILED: ${(e as Error).message}`);
    process.exit(2);
  },
);
