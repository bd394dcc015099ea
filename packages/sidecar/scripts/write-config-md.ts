// Rewrites the configuration table of CONFIG.md and of the repository's README from src/config-doc.ts
// (`npm run config-doc -w packages/sidecar`), so the two documents never disagree with the code.
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable } from '../src/config-doc.js';

const MARKED = /(<!-- config-table:start -->\n)[\s\S]*?(<!-- config-table:end -->)/;

for (const file of [new URL('../CONFIG.md', import.meta.url), new URL('../../../README.md', import.meta.url)]) {
  const text = readFileSync(file, 'utf8');
  if (!MARKED.test(text)) throw new Error(`${file.pathname} has no config-table markers`);
  writeFileSync(
    file,
    text.replace(MARKED, (_all, start: string, end: string) => `${start}${configTable()}${end}`),
  );
}
