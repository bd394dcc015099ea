// Parsers of environment values. The loader trims a value and treats an empty or blank one as unset, so that
// `FOO=` in a compose file or a Helm chart means "use the default" rather than "invalid"; a parser sees only
// a non-blank value. Parsers never throw: they answer a problem, so that one run lists every problem at once.

export type Env = Readonly<Record<string, string | undefined>>;

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly string[] };

/** From a non-blank, trimmed value of variable `name` to a value, or the problem naming `name`. */
export type Parser<T> = (value: string, name: string) => Parsed<T>;

export interface IntRange {
  readonly min?: number;
  readonly max?: number;
}

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const bad = (...problems: string[]): Parsed<never> => ({ ok: false, problems });

/** The trimmed value, or undefined when unset or blank. */
export function rawValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export const text: Parser<string> = (value) => ok(value);

export function int(range: IntRange = {}): Parser<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  return (value, name) => {
    const n = /^[+-]?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      return bad(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
    return ok(n);
  };
}

export const bool: Parser<boolean> = (value, name) => {
  const lower = value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lower)) return ok(true);
  if (['false', '0', 'no', 'off'].includes(lower)) return ok(false);
  return bad(`${name} must be true or false, got "${value}"`);
};

/** One of `allowed`, case-insensitively. */
export function oneOf<T extends string>(allowed: readonly T[]): Parser<T> {
  return (value, name) => {
    const match = allowed.find((a) => a === value.toLowerCase());
    return match === undefined ? bad(`${name} must be one of ${allowed.join(', ')}, got "${value}"`) : ok(match);
  };
}

/** The items of a comma-separated list; blank items are dropped. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export const list: Parser<string[]> = (value) => ok(splitList(value));
