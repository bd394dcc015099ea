// test/reliability/README.md against the suite it describes: every suite file has its row, every row names a suite
// file, the latest run names its date and an npm script that runs the suite, and each row's counts add up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './circleci-config.js';
import { count, readDoc, section, table } from './markdown.js';

const doc = readDoc('test/reliability/README.md');
const suites = readdirSync(join(root, 'test/reliability'))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.test\.ts$/, ''))
  .sort();
const named = (cell: string) => [...cell.matchAll(/`([\w-]+)`/g)].map((m) => m[1]!);
const latest = section(doc, '## Latest run');
const rows = table(latest);

test('the table of the suites names each suite file once, and only those', () => {
  const listed = table(section(doc, '## The suites')).flatMap((row) => named(row.Suite!));
  assert.deepEqual([...listed].sort(), suites);
});

test('the latest run names its date and the npm script it ran', () => {
  const m = /^(\d{4}-\d{2}-\d{2}), `npm run ([\w:]+)`/m.exec(latest);
  assert.ok(m, 'the latest run begins with its date and command');
  assert.ok(!Number.isNaN(Date.parse(m[1]!)) && Date.parse(m[1]!) <= Date.now(), `a past date: ${m[1]}`);
  const scripts = (JSON.parse(readDoc('package.json')) as { scripts: Record<string, string> }).scripts;
  assert.match(scripts[m[2]!] ?? '', /run-tests\.mjs reliability/, `npm run ${m[2]} runs the reliability suite`);
});

test('the latest run has a row for every suite file, and a row for each case of the cluster', () => {
  assert.deepEqual([...new Set(rows.flatMap((r) => named(r.Suite!)))].sort(), suites);
  const cases = readDoc('test/reliability/cluster.test.ts').match(/^\s*(test|it)\(/gm) ?? [];
  assert.equal(rows.filter((r) => r.Suite === '`cluster`').length, cases.length, 'cluster cases');
});

test("each row's counts add up, and a passed row lost nothing", () => {
  for (const row of rows) {
    const what = `${row.Suite} ${row.Case}`;
    const [counted, onKafka, lost] = [row.Counted!, row['On Kafka']!, row.Lost!].map(count);
    assert.equal(lost, counted! - onKafka!, `${what}: lost is counted less on Kafka`);
    assert.match(row.Result!, /^(passed|\*\*failed\*\*|measured)$/, what);
    if (row.Result === 'passed') assert.equal(lost, 0, `${what} passed with events lost`);
  }
});
