// The README's performance table is what `npm run bench:readme` makes of the committed results: regenerate it and
// compare, so that a figure in the README cannot drift from bench/results/latest.json (or beside-original.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { END, readmeFromResults, START } from '../../scripts/bench/lib/readme-table.js';
import { root } from './circleci-config.js';

test("the README's performance table is the one generated from bench/results", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  assert.ok(readme.includes(START) && readme.includes(END), `README.md has ${START} and ${END}`);
  const between = (text: string) => text.slice(text.indexOf(START), text.indexOf(END));
  assert.equal(
    between(readme),
    between(readmeFromResults(readme, join(root, 'bench/results'))),
    'run `npm run bench:readme` after a bench run, and commit README.md with bench/results',
  );
});
