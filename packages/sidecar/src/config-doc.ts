// The settings table (settings.ts) as documentation: the Markdown table of CONFIG.md
// (written by `npm run config-doc -w packages/sidecar`; a unit test fails when it is stale) and `--help`; and
// the original sidecar's keys (original-config/keys.ts) as CONFIG.md's second table.
import { CONTAINERS, IMPLIED, ORIGINAL_KEYS } from './original-config/keys.js';
import { keyName } from './original-config/rc-env.js';
import { SETTINGS, SETTING_NAMES, formatDefault, type SettingGroup } from './settings.js';

export interface ConfigVariable {
  readonly name: string;
  readonly group: SettingGroup;
  readonly default?: string;
  /** The default is derived at load from other variables (`default` shows how), not a value to write. */
  readonly derived?: true;
  readonly description: string;
}

export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.freeze(
  SETTING_NAMES.map((name) => {
    const spec = SETTINGS[name];
    const derived = 'derivedDefault' in spec ? spec.derivedDefault : undefined;
    const shown = formatDefault('default' in spec ? spec.default : undefined) ?? derived;
    return Object.freeze({
      name,
      group: spec.group,
      ...(shown === undefined ? {} : { default: shown }),
      ...(derived === undefined ? {} : { derived: true as const }),
      description: spec.description,
    });
  }),
);

/** The Markdown table of CONFIG.md. */
export function configTable(): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const rows = CONFIG_VARIABLES.map(
    (v) =>
      `| ${v.group} | \`${v.name}\` | ${v.default === undefined ? '' : `\`${v.default}\``} | ${escape(v.description)} |`,
  );
  return ['| Group | Variable | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}

/** The variables as `--help` lists them: under their group, one a line. */
export function helpText(): string {
  const width = Math.max(...CONFIG_VARIABLES.map((v) => v.name.length));
  const lines: string[] = [];
  let group: SettingGroup | undefined;
  for (const v of CONFIG_VARIABLES) {
    if (v.group !== group) lines.push(`${group === undefined ? '' : '\n'}${(group = v.group)}:`);
    lines.push(
      `  ${v.name.padEnd(width)}  ${v.description}${v.default === undefined ? '' : ` (default: ${v.default})`}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** CONFIG.md's table of the original's keys: each key of its default.json, and what it becomes here. */
export function originalKeysTable(): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const rows = ORIGINAL_KEYS.map((k) => `| \`${escape(keyName(k.path))}\` | ${escape(k.becomes)} |`);
  const open = CONTAINERS.filter((c) => c.open).map(
    (c) => `| \`${escape(keyName(c.path))}\`, any other key | not honoured: ${escape(c.open!)} |`,
  );
  const implied = IMPLIED.map(
    ({ setting, raw, why }) => `| no key | \`${setting}=${raw}\` unless the variable is set: ${escape(why)} |`,
  );
  return ['| Key | Here |', '| --- | --- |', ...rows, ...open, ...implied].join('\n') + '\n';
}
