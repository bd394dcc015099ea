// The original sidecar's `ES_` variables, read by rc's rules (it read `rc('ES', config/default.json)`), and laid
// over the keys of its file. rc 1.2's rules, kept: the prefix matches in any case (`es_port` too); the rest of the
// name is the key path, `__` between levels, empty levels dropped; key names keep their case; values stay strings
// (rc converts nothing: each is read later by the parser of the setting it maps to); a variable replaces whatever
// the file holds at its path, an object included (deep-extend), and builds the levels the file lacks. Where two
// variables collide (`ES_A=1` and `ES_A__B=2`), rc keeps the value and drops the nested one: so here, said aloud.
// Two departures, both toward this project's conventions: a blank value counts as unset, and a variable is applied
// in name order, so the result never depends on the order of the environment.
import type { Env } from '../env.js';

const ES_PREFIX = 'ES_';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** One variable: its name, the key path it sets, its value as rc gives it (a string). */
export interface Override {
  readonly variable: string;
  readonly path: readonly string[];
  readonly value: string;
}

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The variables that rc would read with this prefix, in name order; blank ones and a bare prefix left out. */
export function rcOverrides(env: Env, prefix = ES_PREFIX): Override[] {
  const out: Override[] = [];
  for (const variable of Object.keys(env).sort()) {
    if (!variable.toLowerCase().startsWith(prefix.toLowerCase())) continue;
    const value = env[variable];
    if (value === undefined || value.trim() === '') continue;
    const path = variable
      .slice(prefix.length)
      .split('__')
      .filter((level) => level !== '');
    if (path.length > 0) out.push({ variable, path, value });
  }
  return out;
}

/** A key path as the docs and messages write it: levels joined by dots, a level holding a dot in quotes. */
export function keyName(path: readonly string[]): string {
  return path.map((level) => (level.includes('.') ? `"${level}"` : level)).join('.');
}

/** The path as a map key (levels may hold dots, never a NUL). */
export const pathId = (path: readonly string[]): string => path.join('\u0000');

export interface Layered {
  /** The file's keys with the variables laid over them (a new object; the file's is not changed). */
  readonly tree: JsonObject;
  /** The variable that set each path it set (by `pathId`). */
  readonly setBy: ReadonlyMap<string, string>;
  /** Variables dropped because another one sets a level above theirs to a value (as rc drops them). */
  readonly dropped: readonly { readonly variable: string; readonly by: string }[];
}

/** The file's keys (`{}` without a file) with the overrides laid over them by rc's rules. */
export function layer(file: JsonObject, overrides: readonly Override[]): Layered {
  const tree = structuredClone(file);
  const setBy = new Map<string, string>();
  const dropped: { variable: string; by: string }[] = [];
  // A value set by a variable at a shorter path wins over any variable below it, whatever their order.
  const valueAt = new Map<string, string>();
  for (const o of overrides) valueAt.set(pathId(o.path), o.variable);
  for (const o of overrides) {
    const above = o.path.slice(0, -1).findIndex((_, i) => valueAt.has(pathId(o.path.slice(0, i + 1))));
    if (above >= 0) {
      dropped.push({ variable: o.variable, by: valueAt.get(pathId(o.path.slice(0, above + 1)))! });
      continue;
    }
    let cursor = tree;
    for (const level of o.path.slice(0, -1)) {
      const next = cursor[level];
      cursor = isObject(next) ? next : (cursor[level] = {});
    }
    cursor[o.path.at(-1)!] = o.value;
    setBy.set(pathId(o.path), o.variable);
  }
  return { tree, setBy, dropped };
}
