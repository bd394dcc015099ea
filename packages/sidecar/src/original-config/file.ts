// The original's configuration file read, as strict JSON (the original's `require` read it so), the `ES_`
// variables laid over its keys, and the whole mapped to this sidecar's settings (map.ts), with the settings a
// file implies where none of its keys speaks (keys.ts, IMPLIED).
import { existsSync, readFileSync } from 'node:fs';
import type { Env } from '../env.js';
import { IMPLIED } from './keys.js';
import { locateConfigFile, SIDECAR_KEYS } from './location.js';
import { describe, mapOriginal, type OriginalMapping } from './map.js';
import { isObject, keyName, layer, rcOverrides, type Json, type JsonObject } from './rc-env.js';

export interface OriginalConfig extends OriginalMapping {
  /** The file read (absolute), if any. */
  readonly file?: string;
}

export interface ReadOriginalOptions {
  readFile?: (path: string) => string;
  exists?: (path: string) => boolean;
  /** Relative paths are taken from here; default: the working directory. */
  cwd?: string;
  /** Look in the default places when CONFIG_FILE is unset (the CLI does; a program embedding the sidecar not). */
  find?: boolean;
}

/** Whether `keys` has one of the keys only the event sidecar's file has. */
function isSidecarFile(keys: JsonObject): boolean {
  return SIDECAR_KEYS.some((path) => {
    let node: Json | undefined = keys;
    for (const level of path) node = isObject(node) ? node[level] : undefined;
    return node !== undefined;
  });
}

/** `JSON.parse`'s complaint, with the line and column when it gives only a position. */
function jsonProblem(text: string, err: Error): string {
  const position = /at position (\d+)/.exec(err.message);
  if (!position || /line \d+/.test(err.message)) return err.message;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  return `${err.message} (line ${line} column ${before.length - before.lastIndexOf('\n')})`;
}

const nothing: OriginalMapping = Object.freeze({
  values: new Map(),
  notHonoured: [],
  unknown: [],
  inert: [],
  problems: [],
});

/**
 * Reads the file (if any), lays the `ES_` variables over it and maps the result. A file that cannot be read or
 * parsed is one problem naming it; nothing else is mapped then.
 */
export function readOriginalConfig(env: Env, options: ReadOriginalOptions = {}): OriginalConfig {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const { file, found } = locateConfigFile(
    env,
    options.exists ?? existsSync,
    options.cwd ?? process.cwd(),
    options.find ?? false,
  );
  let keys: JsonObject = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFile(file);
    } catch (err) {
      return { ...nothing, file, problems: [`CONFIG_FILE: cannot read ${file}: ${(err as Error).message}`] };
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(text.replace(/^\uFEFF/, '')) as Json;
    } catch (err) {
      return { ...nothing, file, problems: [`${file}: not valid JSON: ${jsonProblem(text, err as Error)}`] };
    }
    if (!isObject(parsed))
      return { ...nothing, file, problems: [`${file} must hold a JSON object of keys, got ${describe(parsed)}`] };
    // Started in another program's directory (a Mojaloop service's has a config/default.json too): not taken.
    if (found && !isSidecarFile(parsed))
      return {
        ...nothing,
        file,
        problems: [
          `${file} is not an event sidecar configuration (it has none of ${SIDECAR_KEYS.map((p) => keyName(p)).join(', ')}): name the sidecar's file with CONFIG_FILE, or set CONFIG_FILE=off`,
        ],
      };
    keys = parsed;
  }
  const overrides = rcOverrides(env);
  if (file === undefined && overrides.length === 0) return nothing;
  const mapped = mapOriginal(layer(keys, overrides), file);
  return file === undefined ? mapped : { ...mapped, values: withImplied(mapped.values, file), file };
}

/** The settings a file implies where no key set them: what the original did without being asked (keys.ts). */
function withImplied(values: OriginalMapping['values'], file: string): OriginalMapping['values'] {
  const out = new Map(values);
  for (const { setting, raw, why } of IMPLIED)
    if (!out.has(setting)) out.set(setting, { raw, from: `${file}, by default: ${why}`, key: why, implied: true });
  return out;
}
