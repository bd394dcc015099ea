// The README's two commands, and what it and .ci/run say `npm test` runs, against package.json's scripts: a script
// added to `npm test`, or a suite left out of it, must be said. And the tests its guarantees name exist.
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './circleci-config.js';
import assert from 'node:assert/strict';
import { codeBlocks, readDoc, section, table } from './markdown.js';

const scripts = (JSON.parse(readDoc('package.json')) as { scripts: Record<string, string> }).scripts;
const quickStart = section(readDoc('README.md'), '## Quick start');
/** The scripts `npm test` runs, in order: `npm run build && npm run typecheck:tests && ...`. */
const testRuns = [...scripts.test!.matchAll(/npm run ([\w:]+)/g)].map((m) => m[1]!);
/** `npm test` and `npm run x` as the script they run. */
const scriptOf = (command: string) => /^`npm (?:run )?([\w:]+)`$/.exec(command)?.[1];

test('the Quick start gives the two commands', () => {
  const lines = codeBlocks(quickStart, 'sh')[0]!
    .split('\n')
    .map((l) => l.replace(/\s*#.*$/, ''));
  assert.deepEqual(lines.filter(Boolean), ['npm ci && npm start', 'npm ci && npm test']);
});

test('the README says what npm test runs, and which scripts run the suites it leaves out', () => {
  assert.ok(testRuns.length >= 3, `npm test: ${scripts.test}`);
  const rows = table(quickStart, quickStart.indexOf('| Command |'));
  for (const row of rows) assert.ok(scripts[scriptOf(row.Command!) ?? ''], `${row.Command} is not an npm script`);
  const npmTest = rows.find((row) => row.Command === '`npm test`');
  assert.ok(npmTest, 'a row for npm test');
  for (const name of testRuns.filter((n) => n.startsWith('test:')))
    assert.ok(npmTest.Runs!.includes(`\`${name}\``), `the npm test row names ${name}`);
  // Every other suite is named in a row of its own (or beside its sibling: test:reliability in test:reliability:ci's).
  const suites = Object.keys(scripts).filter((s) => (s.startsWith('test:') && !testRuns.includes(s)) || s === 'bench');
  const text = rows.map((row) => `${row.Command} ${row.Runs}`).join('\n');
  for (const name of suites) assert.match(text, new RegExp(`\`npm run ${name}\``), `the table names npm run ${name}`);
});

test(".ci/run's comment on npm test names what it runs", () => {
  const ci = readDoc('.ci/run').split('\n');
  const at = ci.indexOf('stage test npm test');
  assert.ok(at > 0, '.ci/run runs npm test');
  let from = at;
  while (ci[from - 1]?.startsWith('#')) from--;
  const comment = ci.slice(from, at).join('\n');
  for (const name of testRuns) assert.ok(comment.includes(`\`${name}\``), `.ci/run's comment names ${name}`);
});

test('every test the guarantees name is a reliability suite, or an integration test where it says so', () => {
  const promises = table(section(readDoc('README.md'), '## What it promises'));
  assert.ok(promises.length > 0);
  for (const row of promises) {
    // `integration a, b; c`: a and b in test/integration, c in test/reliability.
    for (const part of row['Shown by']!.split(';')) {
      const dir = part.trim().startsWith('integration') ? 'integration' : 'reliability';
      for (const [, name] of part.matchAll(/`([\w-]+)`/g))
        assert.ok(existsSync(join(root, `test/${dir}/${name}.test.ts`)), `README: no test/${dir}/${name}.test.ts`);
    }
  }
});
