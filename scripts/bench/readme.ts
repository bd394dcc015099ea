// `npm run bench:readme`: fills the README's performance table from bench/results/latest.json (and
// beside-original.json); the bench does the same after a run written as `latest`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readmeFromResults } from './lib/readme-table.js';

const readme = fileURLToPath(new URL('../../README.md', import.meta.url));
writeFileSync(
  readme,
  readmeFromResults(readFileSync(readme, 'utf8'), fileURLToPath(new URL('../../bench/results', import.meta.url))),
);
console.log('README.md: performance table written from bench/results/latest.json');
