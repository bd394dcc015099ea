// The supported Node.js lines are written once, as `engines.node` in package.json; everything else that names a
// Node version follows it: the workspaces' engines, .nvmrc, the image, the public pipeline and the README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { commands, config, entries, runtimeOf, root } from './circleci-config.js';

const read = (path: string) => readFileSync(join(root, path), 'utf8');
const range = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;

/** Each line of the range: `^22.13.0` gives major 22 and its lowest supported version. */
const lines = range.split('||').map((part) => {
  const m = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(part);
  assert.ok(m, `engines.node "${range}": each line is written ^major.minor.patch`);
  return { major: Number(m[1]), floor: `${m[1]}.${m[2]}.${m[3]}` };
});
const majors = lines.map((l) => l.major);
const newest = Math.max(...majors);

// End of life of each release line (https://github.com/nodejs/Release); a line not listed here cannot be supported
// until its date is added.
const END_OF_LIFE: Record<number, string> = {
  20: '2026-04-30',
  22: '2027-04-30',
  24: '2028-04-30',
};

test('engines lists the LTS lines 22 and 24, each with a known end of life', () => {
  for (const major of [22, 24]) assert.ok(majors.includes(major), `engines.node "${range}" lacks ${major}`);
  for (const major of majors) assert.ok(END_OF_LIFE[major], `no end-of-life date for Node ${major}`);
  assert.deepEqual(
    majors,
    [...majors].sort((a, b) => a - b),
    'lines in ascending order',
  );
});

test('the workspaces and the lockfile declare the same engines', () => {
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: { node?: string } }> };
  for (const pkg of ['', 'packages/contract', 'packages/producer', 'packages/sidecar']) {
    if (pkg) assert.equal(JSON.parse(read(`${pkg}/package.json`)).engines?.node, range, `${pkg}/package.json`);
    assert.equal(lock.packages[pkg]?.engines?.node, range, `package-lock.json "${pkg}"`);
  }
});

test('every locked dependency runs on the lowest version of each line', () => {
  const semver = createRequire(join(root, 'package.json'))('semver') as {
    satisfies(version: string, range: string): boolean;
  };
  const lock = JSON.parse(read('package-lock.json')) as {
    packages: Record<string, { engines?: { node?: string } | string[] }>;
  };
  const refused: string[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    const wants = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
    if (!path || !wants) continue;
    for (const { floor } of lines)
      if (!semver.satisfies(floor, wants)) refused.push(`${path} (${wants}) refuses ${floor}`);
  }
  assert.deepEqual(refused, []);
});

test('.nvmrc and the image run the newest line', () => {
  assert.equal(read('.nvmrc').trim(), String(newest));
  const arg = /^ARG NODE_VERSION=(\S+)$/m.exec(read('docker/Dockerfile'));
  assert.equal(arg?.[1], String(newest), 'docker/Dockerfile ARG NODE_VERSION');
});

test('the public pipeline runs supported lines only, and every line runs the unit and integration tests', () => {
  const main = entries('main');
  const nodeOf = (image: string) => {
    const m = /^cimg\/node:(\d+)\.(\d+)$/.exec(image);
    return m ? { major: Number(m[1]), version: `${m[1]}.${m[2]}.0` } : undefined;
  };
  const tested: Record<string, Set<number>> = { unit: new Set(), integration: new Set() };
  for (const workflow of Object.keys(config.workflows)) {
    for (const entry of entries(workflow).values()) {
      const { image } = runtimeOf(entry);
      if (image.startsWith('machine:')) continue;
      const node = nodeOf(image);
      assert.ok(node, `${entry.name}: ${image} is not a cimg/node:<major>.<minor> image`);
      const line = lines.find((l) => l.major === node.major);
      assert.ok(line, `${entry.name} runs Node ${node.major}, which engines does not list`);
      const [a, b] = [node.version.split('.').map(Number), line.floor.split('.').map(Number)];
      assert.ok(a[1]! >= b[1]!, `${entry.name}: ${image} is older than ${line.floor}`);
      const what = commands(entry).join('\n');
      if (/test:unit/.test(what)) tested.unit!.add(node.major);
      if (/test:integration/.test(what)) tested.integration!.add(node.major);
      // Everything that is not run once per line runs on the newest.
      if (!/test:unit|test:integration/.test(what))
        assert.equal(node.major, newest, `${entry.name} runs Node ${node.major}`);
    }
  }
  for (const [suite, seen] of Object.entries(tested))
    assert.deepEqual([...seen].sort(), majors, `${suite} tests run on every line of engines`);
  assert.ok(main.size > 0);
});

test('the README states the same lines, and which of them is past its end of life', () => {
  const readme = read('README.md');
  const line = readme.split('\n').find((l) => l.startsWith('- Node.js '));
  assert.ok(line, 'README: a "- Node.js ..." prerequisite');
  const today = new Date().toISOString().slice(0, 10);
  const current = majors.filter((m) => END_OF_LIFE[m]! > today).sort((a, b) => b - a);
  const past = majors.filter((m) => END_OF_LIFE[m]! <= today);
  assert.ok(line.startsWith(`- Node.js ${current.join(' or ')} `), `README names ${current.join(' or ')}: ${line}`);
  assert.ok(line.includes(`(\`.nvmrc\` and the image run ${newest})`), line);
  for (const major of past) {
    const floor = lines.find((l) => l.major === major)!.floor.replace(/\.0$/, '');
    assert.match(line, new RegExp(`Node\\.js ${floor.replace('.', '\\.')}\\+ [^.]*past its end of life`), line);
  }
  const mentioned = [...line.matchAll(/Node\.js ([\d. or+]+)/g)].flatMap((m) => m[1]!.match(/\d+(\.\d+)?/g) ?? []);
  assert.deepEqual(
    [...new Set(mentioned.map((v) => Number(v.split('.')[0])))].sort(),
    majors,
    'no other Node line is named',
  );
});
