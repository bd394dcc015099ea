// Renders a run's results again: `npx tsx scripts/bench/render.ts bench/results/<name>.json` rewrites <name>.md and
// <name>.svg beside it from the figures, with the goals evaluated anew (after a change of the table, the chart or
// the goals, without measuring again). The README's benchmark tables are copied from these .md files.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderChart } from './lib/chart.js';
import { evaluateGoals } from './lib/goals.js';
import { renderMarkdown } from './lib/report.js';
import type { BenchResults } from './lib/results.js';

const files = process.argv.slice(2);
if (files.length === 0 || files.some((f) => !f.endsWith('.json'))) {
  console.error('usage: npx tsx scripts/bench/render.ts <results.json>...');
  process.exit(2);
}
for (const file of files) {
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  const { limitConnections } = results.settings as { limitConnections: number };
  results.goals = evaluateGoals(results, limitConnections);
  const base = file.slice(0, -'.json'.length);
  writeFileSync(`${base}.md`, renderMarkdown(results));
  writeFileSync(`${base}.svg`, renderChart(results));
  console.log(`wrote ${base}.md and ${base}.svg`);
}
