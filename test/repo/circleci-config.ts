// .circleci/config.yml as the tests of the repository read it: workflow entries under the names `requires` uses,
// each job's steps with its custom commands expanded, and the image each job runs on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const configText = readFileSync(join(root, '.circleci/config.yml'), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the config is checked against CircleCI's schema
export const config = parse(configText) as any;

type Params = Record<string, unknown>;
type Step = string | Record<string, unknown>;

interface ParamSpec {
  type: string;
  default?: unknown;
}

export interface Entry {
  job: string;
  name: string;
  params: Params;
}

/** A workflow's job entries, each under the name other entries' `requires` use. */
export function entries(workflow: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const item of config.workflows[workflow].jobs as (string | Record<string, Params>)[]) {
    const [job, params] = typeof item === 'string' ? [item, {}] : Object.entries(item)[0]!;
    const name = typeof params.name === 'string' ? params.name : job;
    assert.ok(!out.has(name), `${workflow}: two entries named ${name}`);
    out.set(name, { job, name, params });
  }
  return out;
}

export function requiresOf(entry: Entry): string[] {
  return (entry.params.requires as string[] | undefined) ?? [];
}

/** Every entry `name` depends on, directly or through other entries. */
export function closure(all: Map<string, Entry>, name: string): Set<string> {
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

/** The parameters a job (or command, or executor) gets: its declared defaults under the given values. */
function withDefaults(specs: Record<string, ParamSpec> | undefined, given: Params): Params {
  const out: Params = {};
  for (const [k, spec] of Object.entries(specs ?? {})) if (spec.default !== undefined) out[k] = spec.default;
  return { ...out, ...given };
}

/** `<< parameters.x >>` replaced by its value where known (pipeline values stay as written). */
function substitute(text: string, params: Params): string {
  return text.replace(/<<\s*parameters\.([\w-]+)\s*>>/g, (whole, k: string) =>
    params[k] === undefined ? whole : String(params[k]),
  );
}

/** One expanded step: a built-in (`checkout`, `setup_remote_docker`, ...) or the shell text of a `run`. */
export interface FlatStep {
  builtin?: string;
  run?: string;
}

const BUILTINS = new Set([
  'checkout',
  'setup_remote_docker',
  'restore_cache',
  'save_cache',
  'persist_to_workspace',
  'attach_workspace',
  'store_artifacts',
  'store_test_results',
]);

function flatten(steps: Step[], params: Params): FlatStep[] {
  return steps.flatMap((step): FlatStep[] => {
    const [name, body] = typeof step === 'string' ? [step, {}] : Object.entries(step)[0]!;
    if (name === 'run') {
      const command = typeof body === 'string' ? body : String((body as { command: string }).command);
      return [{ run: substitute(command, params) }];
    }
    if (name === 'when') return flatten(((body as { steps?: Step[] }).steps ?? []) as Step[], params);
    // `- steps: << parameters.steps >>` inside a command taking steps
    if (name === 'steps') return flatten(body as Step[], params);
    if (BUILTINS.has(name)) return [{ builtin: name }];
    const command = config.commands?.[name] as { parameters?: Record<string, ParamSpec>; steps: Step[] } | undefined;
    assert.ok(command, `unknown step ${name}`);
    const own = withDefaults(command.parameters, (body ?? {}) as Params);
    // A parameter of type steps is spliced in where the command names it.
    const inner = command.steps.flatMap((s) => {
      const ref = typeof s === 'object' && typeof s.steps === 'string' ? /parameters\.([\w-]+)/.exec(s.steps) : null;
      return ref ? [{ steps: own[ref[1]!] as Step[] }] : [s];
    });
    return flatten(inner as Step[], { ...params, ...own });
  });
}

/** A workflow entry's job, with the entry's parameters. */
function jobOf(entryOrJob: Entry | string): { name: string; params: Params; def: Record<string, unknown> } {
  const [name, given] = typeof entryOrJob === 'string' ? [entryOrJob, {}] : [entryOrJob.job, entryOrJob.params];
  const def = config.jobs[name] as Record<string, unknown> & { parameters?: Record<string, ParamSpec> };
  assert.ok(def, `job ${name} is not defined`);
  return { name, params: withDefaults(def.parameters, given), def };
}

/** A job's steps in order, custom commands expanded. */
export function stepsOf(entryOrJob: Entry | string): FlatStep[] {
  const { params, def } = jobOf(entryOrJob);
  return flatten(def.steps as Step[], params);
}

/** The shell text of a job's `run` steps, in order. */
export function commands(entryOrJob: Entry | string): string[] {
  return stepsOf(entryOrJob).flatMap((s) => (s.run === undefined ? [] : [s.run]));
}

/** Names of the entries in `all` whose job runs a command matching `pattern`. */
export function entriesRunning(all: Map<string, Entry>, pattern: RegExp): string[] {
  return [...all.values()].filter((e) => commands(e).some((c) => pattern.test(c))).map((e) => e.name);
}

/** Where a job runs: its primary docker image (`cimg/node:24.11`) or `machine:<image>`; and its environment. */
export function runtimeOf(entryOrJob: Entry | string): { image: string; services: string[]; env: Params } {
  const { params, def } = jobOf(entryOrJob);
  type Runner = { docker?: { image: string }[]; machine?: { image: string }; environment?: Params };
  const describe = (runner: Runner, p: Params) => {
    if (runner.machine) return { image: `machine:${runner.machine.image}`, services: [] };
    const images = (runner.docker ?? []).map((d) => substitute(d.image, p));
    return { image: images[0] ?? '', services: images.slice(1) };
  };
  const env = Object.fromEntries(
    Object.entries((def.environment ?? {}) as Params).map(([k, v]) => [k, substitute(String(v), params)]),
  );
  if (def.docker || def.machine) return { ...describe(def as Runner, params), env };
  const use = typeof def.executor === 'string' ? { name: def.executor } : (def.executor as { name: string } & Params);
  const executor = config.executors[use.name] as Runner & { parameters?: Record<string, ParamSpec> };
  assert.ok(executor, `executor ${use.name} is not defined`);
  const given = Object.fromEntries(
    Object.entries(use)
      .filter(([k]) => k !== 'name')
      .map(([k, v]) => [k, substitute(String(v), params)]),
  );
  const executorEnv = (executor.environment ?? {}) as Params;
  return { ...describe(executor, withDefaults(executor.parameters, given)), env: { ...executorEnv, ...env } };
}
