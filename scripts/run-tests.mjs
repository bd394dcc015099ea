#!/usr/bin/env node
// Runs node:test over TypeScript test files (loaded through tsx).
// Usage: run-tests.mjs unit|consumer|integration|reliability|image [--package NAME] [--match SUBSTRING] [--skip SUBSTRING]
// Node 20's --test does not expand globs or pick up .ts files by itself, hence this file list.
import { spawn } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [suite, ...rest] = process.argv.slice(2);
const pkgIndex = rest.indexOf('--package');
const onlyPackage = pkgIndex >= 0 ? rest[pkgIndex + 1] : undefined;
// --match SUBSTRING keeps only test files whose path contains it (CI reruns one file against another Kafka).
const matchIndex = rest.indexOf('--match');
const match = matchIndex >= 0 ? rest[matchIndex + 1] : undefined;
// --skip SUBSTRING leaves out the test files whose path contains it (said aloud, so a skip is never silent).
const skipIndex = rest.indexOf('--skip');
const skip = skipIndex >= 0 ? rest[skipIndex + 1] : undefined;

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out.sort();
}

const dirs = {
  unit: () => [
    ...readdirSync(join(root, 'packages'))
      .filter((p) => !onlyPackage || p === onlyPackage)
      .map((p) => join(root, 'packages', p, 'test')),
    // tests of the repository's own tooling (audit, release, CI config) and of the benchmark's pure helpers
    ...(onlyPackage ? [] : [join(root, 'test', 'repo'), join(root, 'scripts', 'bench', 'test')]),
  ],
  // the packed packages installed into a project of their own, compiled and run as other repositories do
  consumer: () => [join(root, 'test', 'consumer')],
  integration: () => [join(root, 'test', 'integration')],
  reliability: () => [join(root, 'test', 'reliability')],
  // the image's runtime rebuilt without a container engine, and the README's commands on a fresh clone
  image: () => [join(root, 'test', 'image')],
};
if (!dirs[suite]) {
  console.error(`usage: run-tests.mjs ${Object.keys(dirs).join('|')} [--package NAME]`);
  process.exit(2);
}
const files = dirs[suite]()
  .flatMap(findTests)
  .filter((f) => !match || relative(root, f).includes(match))
  .filter((f) => {
    if (!skip || !relative(root, f).includes(skip)) return true;
    console.log(`run-tests: skipping ${relative(root, f)} (--skip ${skip})`);
    return false;
  });
if (files.length === 0) {
  console.error(`run-tests: no ${suite} test files found`);
  process.exit(1);
}
console.log(`run-tests: ${suite}: ${files.length} file(s)`);
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', ...files.map((f) => relative(process.cwd(), f))];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
