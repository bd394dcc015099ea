// Rewrites the table of CONFIG.md from src/config-doc.ts (`npm run config-doc -w packages/sidecar`).
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable } from '../src/config-doc.js';

const file = new URL('../CONFIG.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const updated = text.replace(
  /(<!-- config-table:start -->\n)[\s\S]*?(<!-- config-table:end -->)/,
  (_all, start: string, end: string) => `${start}${configTable()}${end}`,
);
if (updated === text && !text.includes(configTable())) throw new Error('CONFIG.md has no config-table markers');
writeFileSync(file, updated);
