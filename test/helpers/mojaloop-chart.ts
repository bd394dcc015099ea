// Mojaloop's Helm chart for a service with the event sidecar, as far as the tests need it: the vendored files of
// test/fixtures/mojaloop-helm (sources in its README), the chart's values with an operator's overrides, the
// sidecar's default.json rendered from the chart's template as Helm renders it, and the sidecar container as the
// deployment template defines it (command, config mount, env, probes). Helm is not at hand: the renderer below
// does the few Go-template actions these files use, and refuses any other, so a new construct is noticed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const CHART_DIR = fileURLToPath(new URL('../fixtures/mojaloop-helm/', import.meta.url));
export const CHART_NAME = 'centralledger-handler-transfer-fulfil';

type Values = { [key: string]: unknown };

const read = (file: string) => readFileSync(join(CHART_DIR, file), 'utf8');

function merge(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? merge(current as Values, value as Values)
        : value;
  }
  return out;
}

/** The chart's default values with `overrides` merged in, as `helm install -f` merges a values file. */
export function chartValues(overrides: Values = {}): Values {
  return merge(parse(read('values.yaml')) as Values, overrides);
}

/** A value as Go's template prints it. */
function printed(value: unknown): string {
  if (value === undefined || value === null) return '<no value>';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

interface Scope {
  values: Values;
  release: string;
  vars: Map<string, unknown>;
}

function lookup(path: string, scope: Scope): unknown {
  const [root, ...rest] = path.slice(1).split('.');
  if (root === 'Release' && rest.join('.') === 'Name') return scope.release;
  if (root === 'Chart' && rest.join('.') === 'Name') return CHART_NAME;
  if (root !== 'Values') throw new Error(`unsupported template value ${path}`);
  return rest.reduce<unknown>((node, key) => (node as Values | undefined)?.[key], scope.values);
}

/** One operand: a literal string, a variable, a value path, or `template "<chart>.name" .`. */
function operand(words: string[], scope: Scope): unknown {
  const [first, ...rest] = words;
  if (first === 'template' && rest[0] === `"${CHART_NAME}.name"` && rest[1] === '.') return CHART_NAME;
  if (rest.length > 0) throw new Error(`unsupported template action: ${words.join(' ')}`);
  if (/^".*"$/.test(first!)) return JSON.parse(first!) as string;
  if (first!.startsWith('$')) return scope.vars.get(first!);
  if (first!.startsWith('.')) return lookup(first!, scope);
  throw new Error(`unsupported template operand: ${first}`);
}

/** Words of an action, quoted strings kept whole. */
const words = (text: string) => text.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];

function pipeline(text: string, scope: Scope): unknown {
  const stages = text
    .replace(/^\(\s*|\s*\)$/g, '')
    .split(/\s\|\s/)
    .map((s) => words(s.trim()));
  let value = operand(stages[0]!, scope);
  for (const [fn, ...args] of stages.slice(1)) {
    if (fn === 'quote') value = JSON.stringify(printed(value));
    else if (fn === 'replace' && args.length === 2)
      value = printed(value)
        .split(String(operand([args[0]!], scope)))
        .join(printed(operand([args[1]!], scope)));
    else throw new Error(`unsupported template function: ${fn}`);
  }
  return value;
}

/** Renders a template of the chart with `values` (the trim markers `{{-` and `-}}` included). */
function render(template: string, values: Values, release = 'moja'): string {
  const scope: Scope = { values, release, vars: new Map() };
  return template
    .replace(/\s*\{\{-\s/g, '{{ ')
    .replace(/\s-\}\}\s*/g, ' }}')
    .replace(/\{\{\s*((?:"(?:[^"\\]|\\.)*"|[^"}])*?)\s*\}\}/g, (_all, action: string) => {
      const assign = /^(\$\w+)\s*:=\s*(.*)$/.exec(action);
      if (assign) {
        scope.vars.set(assign[1]!, pipeline(assign[2]!, scope));
        return '';
      }
      return printed(pipeline(action, scope));
    });
}

/** The sidecar's default.json as the chart's ConfigMap holds it. */
export function renderSidecarConfig(values: Values = chartValues(), release = 'moja'): string {
  return render(read('default-sidecar.json'), values, release);
}

export interface ChartSidecar {
  /** The container's command (the chart's `sidecar.image.command`, a JSON list in a string). */
  command: string[];
  /** Where the ConfigMap with default.json is mounted. */
  configMountPath: string;
  /** The container's environment, rendered. */
  env: Record<string, string>;
  port: number;
  readinessPath: string;
  livenessPath: string;
}

/** The sidecar container of the deployment template, rendered with `values`. */
export function chartSidecar(values: Values = chartValues()): ChartSidecar {
  const template = read('deployment-sidecar.yaml');
  const at = (pattern: RegExp) => {
    const match = pattern.exec(template);
    if (!match) throw new Error(`deployment-sidecar.yaml has no ${pattern}`);
    return match;
  };
  const value = (expression: string) => pipeline(expression, { values, release: 'moja', vars: new Map() });
  const env: Record<string, string> = {};
  for (const m of template.matchAll(/- name: (\w+)\n\s+value: \{\{ (.*?) \}\}/g))
    env[m[1]!] = JSON.parse(String(value(m[2]!))) as string;
  return {
    command: JSON.parse(String(value(at(/command: \{\{ (.*?) \}\}/)[1]!))) as string[],
    configMountPath: at(/-sidecar-volume\n\s+mountPath: (\S+)/)[1]!,
    env,
    port: Number(value(at(/containerPort: \{\{ (.*?) \}\}/)[1]!)),
    readinessPath: String(value(at(/readinessProbe:\n\s+httpGet:\n\s+path: \{\{ (.*?) \}\}/)[1]!)),
    livenessPath: String(value(at(/livenessProbe:\n\s+httpGet:\n\s+path: \{\{ (.*?) \}\}/)[1]!)),
  };
}
