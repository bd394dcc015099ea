// Dependency audit with reviewed decisions, on top of npm-audit-resolver (the tool the original sidecar used).
// npm-audit-resolver 3 reads npm 7+ reports and keeps decisions in audit-resolve.json, but it only runs
// `npm audit` itself, knows no severity threshold, cannot tell "endpoint unreachable" from "vulnerable" and
// lets an "ignore" live forever. This module adds exactly those pieces and leaves report parsing, decision
// keys, expiry and the file format to the library's own modules (it has no programmatic API, hence the paths).
import { createRequire } from 'node:module';
import { existsSync, appendFileSync } from 'node:fs';

const libraryRequire = createRequire(createRequire(import.meta.url).resolve('npm-audit-resolver/package.json'));

interface NpmAdapter {
  getAudit(args: { promiseCommand: () => Promise<string>; argv: object; shellOptions: object }): Promise<Finding[]>;
}
const npmAdapter = libraryRequire('./src/pkgmanagers/npm.js') as NpmAdapter;
// Pure: 'none' | 'expired' | 'ignore' | 'postpone' | 'fix' for a decision (or undefined), at the current time.
const decision2resolution = libraryRequire('audit-resolve-core/resolutions/decision2resolution.js') as (
  decision: Decision | undefined,
) => string;
const fileHandle = libraryRequire('audit-resolve-core/auditFile/fileHandle.js') as {
  validateResolveFile(path: string): unknown;
  load(path: string): { decisions: Record<string, Decision>; rules: Record<string, unknown> };
  save(data: { decisions: Record<string, Decision>; rules: Record<string, unknown> }, path: string): void;
};
const identifier = libraryRequire('audit-resolve-core/auditFile/identifier.js') as {
  buildKey(id: { id: number; path: string }): string;
};

export const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One advisory in one package, with every dependency path that brings it in (npm-audit-resolver's shape). */
export interface Finding {
  id: number;
  name: string;
  title: string;
  url: string;
  severity: Severity;
  range: string;
  paths: string[];
}

export interface Decision {
  decision: string;
  reason?: string;
  madeAt?: number;
  expiresAt?: number;
}

/** Decisions our policy accepts: an ignore must say why and until when; postpone is the library's 24 h snooze. */
export const DECISIONS = ['ignore', 'postpone'] as const;
export type DecisionKind = (typeof DECISIONS)[number];
export const MAX_IGNORE_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

export function atOrAbove(severity: Severity, level: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(level);
}

export type AuditOutput =
  { kind: 'report'; text: string } | { kind: 'unreachable'; message: string } | { kind: 'failed'; message: string };

/**
 * Classifies what `npm audit --json` printed. npm exits 1 both when it found advisories and when it could not
 * ask the registry, so the exit code says nothing; the JSON does.
 */
export function classifyAuditOutput(stdout: string, stderr: string): AuditOutput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    const firstError = stderr.split('\n').find((l) => l.includes('error')) ?? stderr.trim();
    return { kind: 'failed', message: `npm audit printed no JSON report (${firstError || 'no output'})` };
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return { kind: 'failed', message: 'npm audit printed something that is not a report' };
  }
  const out = parsed as Record<string, unknown>;
  if ('auditReportVersion' in out || 'advisories' in out) {
    if (!('error' in out)) return { kind: 'report', text: stdout };
  }
  const error = (out.error ?? {}) as Record<string, unknown>;
  const message = String(out.message || error.summary || error.code || 'unknown error');
  const endpoint =
    stderr.includes('audit endpoint returned an error') ||
    message.includes('/-/npm/v1/security/') ||
    typeof out.statusCode === 'number';
  return endpoint ? { kind: 'unreachable', message } : { kind: 'failed', message };
}

/** Findings of a report, as npm-audit-resolver reads them (npm 7+ and npm 6 formats). */
export async function findingsOf(reportText: string): Promise<Finding[]> {
  return npmAdapter.getAudit({ promiseCommand: async () => reportText, argv: {}, shellOptions: {} });
}

export function readDecisions(path: string): { decisions: Record<string, Decision>; rules: Record<string, unknown> } {
  if (!existsSync(path)) return { decisions: {}, rules: {} };
  fileHandle.validateResolveFile(path); // throws, naming the schema violation
  const data = fileHandle.load(path);
  return { decisions: data.decisions ?? {}, rules: data.rules ?? {} };
}

/** Problems with decisions that the library would accept but our policy does not. */
export function policyProblems(decisions: Record<string, Decision>): string[] {
  const problems: string[] = [];
  for (const [key, d] of Object.entries(decisions)) {
    if (!(DECISIONS as readonly string[]).includes(d.decision)) {
      problems.push(`${key}: decision "${d.decision}" is not one of ${DECISIONS.join(', ')}`);
    }
    if (!d.reason?.trim()) problems.push(`${key}: no reason recorded`);
    if (d.decision === 'ignore' && typeof d.expiresAt !== 'number') problems.push(`${key}: an ignore needs an expiry`);
  }
  return problems;
}

export interface Verdict {
  finding: Finding;
  blocking: boolean;
  /** Per dependency path: what the decisions say about it. */
  paths: { path: string; status: 'decided' | 'expired' | 'undecided'; decision?: Decision | undefined }[];
}

/**
 * Judges findings against decisions. Keys and resolution (including expiry) are the library's, as in its own
 * check-audit; the threshold is ours: a finding below `level` is reported but never blocks.
 */
export function judge(findings: Finding[], decisions: Record<string, Decision>, level: Severity): Verdict[] {
  return findings.map((finding) => {
    const paths = finding.paths.map((path) => {
      const decision = decisions[identifier.buildKey({ id: finding.id, path })];
      const resolution = decision2resolution(decision);
      const status = resolution === 'expired' ? 'expired' : resolution === 'none' ? 'undecided' : 'decided';
      return { path, status, decision } as const;
    });
    const open = paths.some((p) => p.status !== 'decided');
    return { finding, blocking: open && atOrAbove(finding.severity, level), paths };
  });
}

/** Advisory by npm's numeric id or by its GHSA id. */
export function matchAdvisory(findings: Finding[], advisory: string): Finding[] {
  const wanted = advisory.trim().toLowerCase();
  return findings.filter((f) => String(f.id) === wanted || f.url.toLowerCase().endsWith(`/${wanted}`));
}

/** Expiry of a new decision: a date (end of that day, UTC) or a number of days from now; bounded. */
export function expiryOf(
  kind: DecisionKind,
  opts: { expires?: string | undefined; days?: string | undefined },
  now: number,
): number | undefined {
  if (kind === 'postpone') return undefined; // the library expires a postpone 24 h after it was made
  let at: number;
  if (opts.expires) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.expires)) throw new Error(`--expires must be YYYY-MM-DD, got ${opts.expires}`);
    at = Date.parse(`${opts.expires}T23:59:59.999Z`);
    if (Number.isNaN(at)) throw new Error(`--expires is not a date: ${opts.expires}`);
  } else {
    const days = Number(opts.days ?? 30);
    if (!Number.isInteger(days) || days < 1) throw new Error(`--days must be a positive integer, got ${opts.days}`);
    at = now + days * DAY_MS;
  }
  if (at <= now) throw new Error('the expiry is in the past');
  if (at > now + MAX_IGNORE_DAYS * DAY_MS) {
    throw new Error(`an ignore may last at most ${MAX_IGNORE_DAYS} days: review it again then`);
  }
  return at;
}

/** Records one decision for every given path of a finding, through the library's key format and schema. */
export function recordDecision(
  decisionsPath: string,
  finding: Finding,
  paths: string[],
  decision: { kind: DecisionKind; reason: string; expiresAt: number | undefined; now: number },
): string[] {
  const data = readDecisions(decisionsPath);
  const keys: string[] = [];
  for (const path of paths) {
    const k = identifier.buildKey({ id: finding.id, path });
    const entry: Decision = { decision: decision.kind, reason: decision.reason, madeAt: decision.now };
    if (decision.expiresAt !== undefined) entry.expiresAt = decision.expiresAt;
    data.decisions[k] = entry;
    keys.push(k);
  }
  fileHandle.save(data, decisionsPath);
  appendFileSync(decisionsPath, '\n'); // the library writes no final newline; prettier wants one
  return keys;
}
