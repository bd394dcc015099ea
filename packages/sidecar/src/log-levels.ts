// Log levels: pino's, the names Mojaloop's logger (central-services-logger, winston) gives the charts' LOG_LEVEL and
// LOG_FILTER read as the nearest of pino's, and LOG_FILTER's list of levels turned into what pino can do: a
// threshold, and the levels above it to drop when the list leaves gaps.
import { bad, ok, splitList, type Parser } from './env.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Mojaloop's levels that pino lacks. Its `trace` (below `info` in its order) is not among them: here `trace`
 * keeps pino's meaning, the most verbose.
 */
export const MOJALOOP_LEVELS: Readonly<Record<string, LogLevel>> = Object.freeze({
  audit: 'warn',
  perf: 'debug',
  verbose: 'debug',
  silly: 'trace',
});

const RANK: Readonly<Record<LogLevel, number>> = {
  fatal: 60,
  error: 50,
  warn: 40,
  info: 30,
  debug: 20,
  trace: 10,
  silent: Infinity,
};

function levelOf(word: string): LogLevel | undefined {
  const lower = word.toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(lower) ? (lower as LogLevel) : MOJALOOP_LEVELS[lower];
}

const NAMES = [...LOG_LEVELS, ...Object.keys(MOJALOOP_LEVELS)].join(', ');

export const logLevel: Parser<LogLevel> = (value, name) => {
  const level = levelOf(value);
  return level === undefined ? bad(`${name} must be one of ${NAMES}, got "${value}"`) : ok(level);
};

/**
 * LOG_FILTER: the levels written, e.g. `error, warn, info`. `audit`, a level this sidecar never writes, is taken
 * and has no effect; `silent` means nothing here.
 */
export const logFilter: Parser<readonly LogLevel[]> = (value, name) => {
  const levels = new Set<LogLevel>();
  const refused: string[] = [];
  for (const word of splitList(value)) {
    if (word.toLowerCase() === 'audit') continue;
    const level = levelOf(word);
    if (level === undefined || level === 'silent') refused.push(word);
    else levels.add(level);
  }
  if (refused.length > 0)
    return bad(`${name} must list levels (${NAMES.replace(', silent', '')}), got "${refused.join('", "')}"`);
  return ok(LOG_LEVELS.filter((level) => levels.has(level)));
};

/**
 * The threshold pino logs at and, when the filter leaves a gap above it, the levels to keep. `fatal` is always
 * kept: the line that says why the process stops must not be filtered away.
 */
export function effectiveLogLevels(
  level: LogLevel,
  filter: readonly LogLevel[] | undefined,
): { level: LogLevel; only?: readonly LogLevel[] } {
  if (filter === undefined || level === 'silent') return { level };
  const kept = new Set<LogLevel>(['fatal', ...filter]);
  const mostVerbose = Math.min(...[...kept].map((l) => RANK[l]));
  const threshold = LOG_LEVELS.find((l) => RANK[l] === Math.max(RANK[level], mostVerbose))!;
  const above = LOG_LEVELS.filter((l) => l !== 'silent' && RANK[l] >= RANK[threshold]);
  return above.every((l) => kept.has(l))
    ? { level: threshold }
    : { level: threshold, only: above.filter((l) => kept.has(l)) };
}

/** pino's numeric value of a level. */
export const levelValue = (level: LogLevel): number => RANK[level];
