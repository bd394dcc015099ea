// Renders again from recorded figures, without measuring:
//   npx tsx scripts/bench/render.ts bench/results/<name>.json   <name>.md and .svg beside it, the goals evaluated anew
//   npx tsx scripts/bench/render.ts <file.cpuprofile> [top]     a CPU profile's top self-time functions and modules
//   npm run bench:readme (render.ts --readme)                   the README's performance table from bench/results
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderChart } from './lib/chart.js';
import { evaluateGoals } from './lib/goals.js';
import { renderProfile, summarizeProfile } from './lib/profile.js';
import { readmeFromResults } from './lib/readme-table.js';
import { renderMarkdown } from './lib/report.js';
import type { BenchResults } from './lib/results.js';

const [first, top] = process.argv.slice(2);
if (first === '--readme') {
  const readme = fileURLToPath(new URL('../../README.md', import.meta.url));
  const results = fileURLToPath(new URL('../../bench/results', import.meta.url));
  writeFileSync(readme, readmeFromResults(readFileSync(readme, 'utf8'), results));
  console.log('README.md: performance table written from bench/results/latest.json');
} else if (first?.endsWith('.cpuprofile')) {
  console.log(renderProfile(summarizeProfile(first, top ? Number(top) : 25)));
} else if (first?.endsWith('.json')) {
  for (const file of process.argv.slice(2)) {
    const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
    results.goals = evaluateGoals(results, (results.settings as { limitConnections: number }).limitConnections);
    const base = file.slice(0, -'.json'.length);
    writeFileSync(`${base}.md`, renderMarkdown(results));
    writeFileSync(`${base}.svg`, renderChart(results));
    console.log(`wrote ${base}.md and ${base}.svg`);
  }
} else {
  console.error('usage: npx tsx scripts/bench/render.ts <results.json>... | <file.cpuprofile> [top] | --readme');
  process.exit(2);
}
