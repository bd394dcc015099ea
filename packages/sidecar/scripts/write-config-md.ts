// Rewrites CONFIG.md's table of the settings and its table of the original sidecar's keys from src/config-doc.ts
// (`npm run config-doc -w packages/sidecar`), so the document never disagrees with the code.
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable, originalKeysTable } from '../src/config-doc.js';

const marked = (name: string) => new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
const CONFIG_MD = new URL('../CONFIG.md', import.meta.url);

for (const [file, name, table] of [
  [CONFIG_MD, 'config-table', configTable()],
  [CONFIG_MD, 'original-keys-table', originalKeysTable()],
] as const) {
  const text = readFileSync(file, 'utf8');
  const markers = marked(name);
  if (!markers.test(text)) throw new Error(`${file.pathname} has no ${name} markers`);
  writeFileSync(
    file,
    text.replace(markers, (_all, start: string, end: string) => `${start}${table}${end}`),
  );
}
