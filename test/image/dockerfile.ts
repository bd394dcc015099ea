// docker/Dockerfile read the way the image parity check needs it: its stages, and for one stage what a container of
// it would get (ENV, WORKDIR, COPY, RUN, VOLUME, EXPOSE, ENTRYPOINT, HEALTHCHECK), so the check runs what the image runs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCKERFILE = join(ROOT, 'docker/Dockerfile');

interface Instruction {
  op: string;
  args: string;
}

export interface Copy {
  /** The stage copied from (`--from=build`), or undefined for the build context. */
  from?: string;
  sources: string[];
  destination: string;
}

export interface Stage {
  name: string;
  base: string;
  env: Record<string, string>;
  workdir: string;
  /** COPY and RUN in the order they build the stage; a RUN (shell form) with the ENV in force where it runs. */
  steps: ({ copy: Copy } | { run: string; env: Record<string, string> })[];
  volumes: string[];
  /** The ports of EXPOSE. */
  expose: string[];
  entrypoint: string[];
  healthcheck: { command: string[]; options: Record<string, string> };
}

/** Instructions with continuation lines joined and comment lines dropped. */
function instructions(text: string): Instruction[] {
  return text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line)!;
      return { op: op.toUpperCase(), args: args.trim() };
    });
}

/** `KEY=value KEY2="value two"` (ENV, ARG) as a map; `${ARG}` is not expanded. */
function assignments(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) out[m[1]!] = m[3] ?? m[2]!;
  return out;
}

/** The exec form (`["node", "-e", "..."]`) of ENTRYPOINT, CMD or HEALTHCHECK CMD; the shell form is refused. */
function execForm(args: string, what: string): string[] {
  assert.match(args, /^\[/, `${what} uses the exec form, so no shell stands between the signal and node`);
  const parsed = JSON.parse(args) as unknown;
  assert.ok(Array.isArray(parsed) && parsed.every((a) => typeof a === 'string'), `${what}: ${args}`);
  return parsed;
}

/** The global ARG defaults, e.g. NODE_VERSION. */
export function args(text = readFileSync(DOCKERFILE, 'utf8')): Record<string, string> {
  const all = instructions(text);
  const firstFrom = all.findIndex((i) => i.op === 'FROM');
  return Object.assign(
    {},
    ...all
      .slice(0, firstFrom)
      .filter((i) => i.op === 'ARG')
      .map((i) => assignments(i.args)),
  );
}

/** One stage of the Dockerfile, by its `AS` name. */
export function stage(name: string, text = readFileSync(DOCKERFILE, 'utf8')): Stage {
  const all = instructions(text);
  const start = all.findIndex((i) => i.op === 'FROM' && new RegExp(`\\sAS\\s+${name}$`, 'i').test(i.args));
  assert.ok(start >= 0, `no stage ${name}`);
  const next = all.findIndex((i, n) => n > start && i.op === 'FROM');
  const body = all.slice(start + 1, next < 0 ? undefined : next);
  const result: Stage = {
    name,
    base: all[start]!.args.split(/\s+/)[0]!,
    env: {},
    workdir: '/',
    steps: [],
    volumes: [],
    expose: [],
    entrypoint: [],
    healthcheck: { command: [], options: {} },
  };
  for (const { op, args: rest } of body) {
    if (op === 'ENV') Object.assign(result.env, assignments(rest));
    else if (op === 'WORKDIR') result.workdir = rest;
    else if (op === 'RUN') result.steps.push({ run: rest, env: { ...result.env } });
    else if (op === 'VOLUME') result.volumes.push(...execForm(rest, 'VOLUME'));
    else if (op === 'EXPOSE') result.expose.push(...rest.split(/\s+/));
    else if (op === 'ENTRYPOINT') result.entrypoint = execForm(rest, 'ENTRYPOINT');
    else if (op === 'COPY') {
      const words = rest.split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      result.steps.push({ copy: { from, sources: paths.slice(0, -1), destination: paths.at(-1)! } });
    } else if (op === 'HEALTHCHECK') {
      const m = /^((?:--\S+\s+)*)CMD\s+(.*)$/.exec(rest);
      assert.ok(m, `HEALTHCHECK ${rest}`);
      const options = Object.fromEntries(
        [...m[1]!.matchAll(/--([\w-]+)=(\S+)/g)].map((o) => [o[1]!, o[2]!] as [string, string]),
      );
      result.healthcheck = { command: execForm(m[2]!, 'HEALTHCHECK'), options };
    }
  }
  return result;
}

/** A Docker duration (`5s`, `1m30s`) in milliseconds. */
export function durationMs(text: string): number {
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  }
  assert.ok(ms > 0, `duration ${text}`);
  return ms;
}
