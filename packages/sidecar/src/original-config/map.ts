// The original's keys (its file with the `ES_` variables laid over it) mapped to raw values of this sidecar's
// settings, each checked by the setting's own parser under the name of the key (or variable) it came from, plus
// the keys that cannot be honoured, the unknown ones and the problems. Pure: the table is keys.ts, the reading
// file.ts.
import { SETTINGS, type SettingName } from '../settings.js';
import { CONTAINERS, ORIGINAL_KEYS, scalarText, type Container, type OriginalKey } from './keys.js';
import { isObject, keyName, pathId, type Json, type Layered } from './rc-env.js';

/** A key named in the start-up warning: where it is, its value, and why. */
export interface Finding {
  readonly key: string;
  /** The `ES_` variable that set it, when one did. */
  readonly variable?: string;
  readonly value?: Json;
  readonly reason: string;
}

interface MappedValue {
  /** As the setting's variable would hold it. */
  readonly raw: string;
  /** Where it came from, as messages name it: `<file>: <key>` or the `ES_` variable. */
  readonly from: string;
  readonly key: string;
  /** The `ES_` variable that set it, when one did. */
  readonly variable?: string;
  /** Set by no key: what the original did without one (keys.ts, IMPLIED). */
  readonly implied?: true;
}

export interface OriginalMapping {
  readonly values: ReadonlyMap<SettingName, MappedValue>;
  readonly notHonoured: readonly Finding[];
  readonly unknown: readonly Finding[];
  /** Keys present that have no effect here, as they had none in the original. */
  readonly inert: readonly string[];
  readonly problems: readonly string[];
}

const KEYS = new Map<string, OriginalKey>(ORIGINAL_KEYS.map((k) => [pathId(k.path), k]));
const CONTAINER_OF = new Map<string, Container>(CONTAINERS.map((c) => [pathId(c.path), c]));
const RDKAFKA = ['KAFKA', 'PRODUCER', 'EVENT', 'config', 'rdkafkaConf'];
const SASL_SETTINGS = ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const;
const TLS_SETTINGS = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_REJECT_UNAUTHORIZED'] as const;
/** Keys whose values never reach a log line. */
const SECRET = /password|secret|token|credential|key\.pem|\.key$/i;
/** rc's own key: the name of another file to read (`ES_config`). */
const RC_FILE_KEYS = new Set(['config', 'configs']);

/** A value as messages name it: arrays and objects by their kind. */
export function describe(value: Json): string {
  if (Array.isArray(value)) return 'an array';
  if (isObject(value)) return 'an object';
  return JSON.stringify(value);
}

/** The names a level may hold, for the hint on a key whose case is wrong. */
function knownChildren(path: readonly string[]): string[] {
  const id = pathId(path);
  const children = [...ORIGINAL_KEYS.map((k) => k.path), ...CONTAINERS.map((c) => c.path)]
    .filter((p) => p.length === path.length + 1 && pathId(p.slice(0, -1)) === id)
    .map((p) => p.at(-1)!);
  return [...new Set(children)];
}

/**
 * Maps the layered keys. `file` names the file in messages (undefined: no file, the keys come from variables).
 */
export function mapOriginal(layered: Layered, file: string | undefined): OriginalMapping {
  const values = new Map<SettingName, MappedValue>();
  const notHonoured: Finding[] = [];
  const unknown: Finding[] = [];
  const inert: string[] = [];
  const problems: string[] = [];

  const variableOf = (path: readonly string[]): string | undefined => {
    for (let n = path.length; n > 0; n -= 1) {
      const variable = layered.setBy.get(pathId(path.slice(0, n)));
      if (variable) return variable;
    }
    return undefined;
  };
  const where = (path: readonly string[]): string => variableOf(path) ?? `${file}: ${keyName(path)}`;
  const finding = (path: readonly string[], reason: string, value?: Json): Finding => {
    const variable = variableOf(path);
    const shown = value === undefined ? {} : { value: SECRET.test(path.at(-1)!) ? '[REDACTED]' : value };
    return { key: keyName(path), ...(variable ? { variable } : {}), ...shown, reason };
  };

  function apply(path: readonly string[], set: Partial<Record<SettingName, string>>): void {
    for (const [setting, raw] of Object.entries(set) as [SettingName, string][]) {
      if (raw.trim() === '') continue; // as an empty variable: unset
      const from = where(path);
      const parsed = SETTINGS[setting].parse(raw.trim(), from);
      if (!parsed.ok) {
        problems.push(...parsed.problems);
        continue;
      }
      const earlier = values.get(setting);
      if (earlier && earlier.raw !== raw.trim()) {
        problems.push(`${from} and ${earlier.from} both set ${setting}, differently: keep one`);
        continue;
      }
      const variable = variableOf(path);
      values.set(setting, { raw: raw.trim(), from, key: keyName(path), ...(variable ? { variable } : {}) });
    }
  }

  function visitKey(path: readonly string[], rule: OriginalKey, value: Json): void {
    if (rule.object ? !isObject(value) : scalarText(value) === undefined) {
      // An object where a value belongs may be made by a variable below it (ES_PORT__X): name that variable.
      const below = [...layered.setBy].find(([id]) => id.startsWith(`${pathId(path)}\u0000`))?.[1];
      const at = variableOf(path) ?? below ?? where(path);
      problems.push(`${at} must be ${rule.object ? 'an object' : 'a value'}, got ${describe(value)}`);
      return;
    }
    if (!rule.read) {
      inert.push(keyName(path));
      return;
    }
    const outcome = rule.read(value);
    if (outcome.problem) problems.push(`${where(path)} ${outcome.problem}`);
    if (outcome.set) apply(path, outcome.set);
    if (outcome.notHonoured) notHonoured.push(finding(path, outcome.notHonoured, value));
  }

  function visit(path: readonly string[], node: Json): void {
    const container = CONTAINER_OF.get(pathId(path));
    if (!isObject(node)) {
      problems.push(`${path.length === 0 ? file : where(path)} must be an object of keys, got ${describe(node)}`);
      return;
    }
    for (const [name, value] of Object.entries(node)) {
      const child = [...path, name];
      const id = pathId(child);
      if (CONTAINER_OF.has(id)) visit(child, value);
      else if (KEYS.has(id)) visitKey(child, KEYS.get(id)!, value);
      else if (path.length === 0 && RC_FILE_KEYS.has(name) && variableOf(child))
        notHonoured.push(
          finding(child, 'rc would read another file named here; this sidecar reads CONFIG_FILE', value),
        );
      else if (container?.open) notHonoured.push(finding(child, container.open, value));
      else {
        const like = knownChildren(path).find((known) => known.toLowerCase() === name.toLowerCase());
        unknown.push(finding(child, like ? `unknown key (keys are case-sensitive: ${like}?)` : 'unknown key'));
      }
    }
  }

  visit([], layered.tree);
  for (const { variable, by } of layered.dropped)
    notHonoured.push({ key: variable, variable, reason: `${by} sets a level above it to a value (rc drops it too)` });
  security();
  return { values, notHonoured, unknown, inert, problems };

  /** What librdkafka ignores under the security.protocol in force is ignored here too, and said. */
  function ignoreUnless(applies: boolean, settings: readonly SettingName[], reason: string): void {
    if (applies) return;
    for (const setting of settings) {
      const mapped = values.get(setting);
      if (!mapped) continue;
      values.delete(setting);
      notHonoured.push({ key: mapped.key, ...(mapped.variable ? { variable: mapped.variable } : {}), reason });
    }
  }

  /**
   * librdkafka uses the ssl.* keys only with an ssl security.protocol and the sasl.* keys only with a sasl_* one
   * (plaintext when unset); its default mechanism, GSSAPI, is not one this sidecar has.
   */
  function security(): void {
    const protocolPath = [...RDKAFKA, 'security.protocol'];
    let node: Json | undefined = layered.tree;
    for (const level of protocolPath) node = isObject(node) ? node[level] : undefined;
    const protocol = node === undefined ? undefined : scalarText(node)?.trim().toLowerCase();
    const withSasl = protocol?.startsWith('sasl_') === true;
    if (withSasl && !values.has('KAFKA_SASL_MECHANISM') && !problems.some((p) => p.includes('sasl.mechanism')))
      problems.push(
        `${where(protocolPath)} is ${protocol}: sasl.mechanisms must name PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (librdkafka's default, GSSAPI, is not supported)`,
      );
    ignoreUnless(withSasl, SASL_SETTINGS, 'SASL applies only with security.protocol sasl_plaintext or sasl_ssl');
    const withTls = protocol === 'ssl' || protocol === 'sasl_ssl';
    ignoreUnless(withTls, TLS_SETTINGS, 'TLS settings apply only with security.protocol ssl or sasl_ssl');
  }
}
