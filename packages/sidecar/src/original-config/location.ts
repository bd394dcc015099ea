// Where the original's configuration file is: CONFIG_FILE, else the places Mojaloop's charts mount it. The original
// read `config/default.json` of its working directory (/opt/app in its image, as in this one); its images before
// v12 worked in /opt/event-sidecar, where older charts still mount the file.
import { resolve } from 'node:path';
import { rawValue, type Env } from '../env.js';

/** The value of CONFIG_FILE that reads no file. */
const CONFIG_FILE_OFF = 'off';
/** Where the file is looked for when CONFIG_FILE is unset, in order; relative to the working directory. */
export const DEFAULT_CONFIG_FILES = Object.freeze(['config/default.json', '/opt/event-sidecar/config/default.json']);

/**
 * The file to read (absolute): CONFIG_FILE unless `off`; else, when `find` (the CLI), the first default that exists;
 * else none. `found`: located by default, not named.
 */
export function locateConfigFile(
  env: Env,
  exists: (path: string) => boolean,
  cwd: string,
  find: boolean,
): { file?: string; found?: true } {
  const value = rawValue(env, 'CONFIG_FILE');
  if (value !== undefined) return value.toLowerCase() === CONFIG_FILE_OFF ? {} : { file: resolve(cwd, value) };
  if (!find) return {};
  const file = DEFAULT_CONFIG_FILES.map((candidate) => resolve(cwd, candidate)).find((candidate) => exists(candidate));
  return file === undefined ? {} : { file, found: true };
}

/** Keys only the event sidecar's file has: a file found by default without any of them is another program's. */
export const SIDECAR_KEYS = Object.freeze([
  ['EVENT_LOGGER_GRPC_HOST'],
  ['EVENT_LOGGER_GRPC_PORT'],
  ['KAFKA', 'PRODUCER', 'EVENT'],
] as const);
