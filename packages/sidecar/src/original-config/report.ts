// What the original's configuration gave, as the two start-up log lines say it: one line (info) with the file read
// and the settings it set, and one warning naming every key that cannot be honoured and every unknown key. Names
// and keys only: no value of a setting reaches the log (a password may be among them).
import type { SettingName } from '../settings.js';
import type { OriginalConfig } from './file.js';
import type { Finding } from './map.js';

interface LogLine {
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

export interface OriginalConfigReport {
  readonly info?: LogLine;
  readonly warn?: LogLine;
}

export function originalConfigReport(
  original: Pick<OriginalConfig, 'file' | 'values' | 'notHonoured' | 'unknown' | 'inert'>,
  overridden: readonly SettingName[],
): OriginalConfigReport {
  const where = original.file === undefined ? {} : { configFile: original.file };
  const kept = [...original.values].filter(([name]) => !overridden.includes(name));
  const settings = Object.fromEntries(
    kept.filter(([, v]) => !v.implied).map(([name, { key, variable }]) => [name, variable ?? key]),
  );
  // What the original did without a key, said once here: e.g. topics created as the brokers would.
  const implied = Object.fromEntries(
    kept.filter(([, v]) => v.implied).map(([name, { raw, key }]) => [name, `${raw}: ${key}`]),
  );
  const info: LogLine | undefined =
    original.file === undefined && original.values.size === 0
      ? undefined
      : {
          fields: {
            ...where,
            settings,
            ...(Object.keys(implied).length > 0 ? { byDefault: implied } : {}),
            ...(overridden.length > 0 ? { overriddenByVariables: [...overridden] } : {}),
            ...(original.inert.length > 0 ? { noEffect: [...original.inert] } : {}),
          },
          msg: `original configuration read${original.file === undefined ? ' (ES_ variables)' : ''}`,
        };
  const count = (findings: readonly Finding[], what: string) =>
    findings.length === 0 ? [] : [`${findings.length} ${findings.length === 1 ? 'key' : 'keys'} ${what}`];
  const said = [...count(original.notHonoured, 'not honoured'), ...count(original.unknown, 'unknown')];
  const warn: LogLine | undefined =
    said.length === 0
      ? undefined
      : {
          fields: {
            ...where,
            ...(original.notHonoured.length > 0 ? { notHonoured: [...original.notHonoured] } : {}),
            ...(original.unknown.length > 0 ? { unknown: [...original.unknown] } : {}),
          },
          msg: `original configuration: ${said.join(', ')}`,
        };
  return { ...(info ? { info } : {}), ...(warn ? { warn } : {}) };
}
