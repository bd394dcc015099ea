// The packages as another repository gets them: packed once, installed from the tarballs into a project outside this
// repository (no workspace link can reach it; the registry's packages come from npm's cache when it has them), then
// - service.ts, which uses every entry point and the typed bridge to @mojaloop/event-sdk, compiled as Mojaloop's own
//   repositories compile (event-sdk's tsconfig: module commonjs, so node10 resolution; esModuleInterop;
//   skipLibCheck), under nodenext from CommonJS and from ESM, and under a bundler's resolution;
// - on every Node line of `engines` (this machine's, the others fetched from the npm registry as the image test
//   fetches its Node): plain CommonJS that require()s each entry point and validates events, plain ESM that imports
//   them, and the compiled service.ts of each kind, each printing what it saw.
// Nothing may go through Node's require(esm) or warn: stderr stays empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packWorkspaces, ROOT, type PackedPackage } from '../../scripts/packages/pack.js';
import { nodeRelease } from '../image/node-release.js';

const FIXTURES = join(ROOT, 'test/consumer/fixtures');
/** The packages another repository imports; the sidecar is an application, run rather than imported. */
const LIBRARIES = ['@event-sidecar/contract', '@event-sidecar/producer'];
/** The oldest TypeScript the contract's README names (`export type *` in the declarations needs 5.0). */
const OLDEST_TYPESCRIPT = '5.0.4';

const version = (name: string) =>
  (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, npm_config_update_notifier: 'false', ...env },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

/** Each major of `engines.node` (`^20.19.0 || ^22.13.0 || ^24.11.0`): this Node for its own, fetched for the others. */
function nodes(): { major: string; node: string; version: string }[] {
  const { engines } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const majors = [...engines.node.matchAll(/\^(\d+)\./g)].map((m) => m[1]!);
  assert.ok(majors.length > 0, `engines.node: ${engines.node}`);
  const own = process.versions.node.split('.')[0];
  return majors.map((major) => {
    if (major === own) return { major, node: process.execPath, version: process.versions.node };
    const release = nodeRelease(major);
    return { major, node: release.node, version: release.version };
  });
}

const work = mkdtempSync(join(tmpdir(), 'event-sidecar-consumer-'));
const project = join(work, 'project');
let packed: PackedPackage[] = [];
test.after(() => rmSync(work, { recursive: true, force: true }));

test('the packed libraries install into a project of their own, with only the registry beside them', (t) => {
  packed = packWorkspaces(work).filter((p) => LIBRARIES.includes(p.name));
  assert.deepEqual(
    packed.map((p) => p.name),
    LIBRARIES,
  );
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true }, null, 2)}\n`);
  for (const file of ['service.ts', 'require-all.cjs', 'import-all.mjs', 'tsconfig.mojaloop.json']) {
    copyFileSync(join(FIXTURES, file), join(project, file));
  }
  copyFileSync(join(FIXTURES, 'tsconfig.nodenext.json'), join(project, 'tsconfig.nodenext.json'));
  copyFileSync(join(FIXTURES, 'tsconfig.bundler.json'), join(project, 'tsconfig.bundler.json'));
  // The same source as an ES module, for nodenext from ESM.
  copyFileSync(join(FIXTURES, 'service.ts'), join(project, 'service.mts'));

  // event-sdk's required peers would bring node-rdkafka (a native build) for its Kafka mode, which nothing here uses:
  // peers are not installed, and the one the SDK loads at start-up (central-services-logger) is named.
  // The versions this repository tests with, so npm's cache has them; and the oldest TypeScript, under an alias.
  const registry = [
    ...['@mojaloop/event-sdk', '@mojaloop/central-services-logger', 'typescript', '@types/node'].map(
      (name) => `${name}@${version(name)}`,
    ),
    `typescript-oldest@npm:typescript@${OLDEST_TYPESCRIPT}`,
  ];
  const started = Date.now();
  const install = run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--legacy-peer-deps',
      '--prefer-offline',
      '--loglevel=error',
      ...packed.map((p) => p.tarball),
      ...registry,
    ],
    project,
  );
  assert.equal(install.status, 0, `npm install: ${install.stdout}\n${install.stderr}`);
  t.diagnostic(`npm install of ${packed.length} tarballs and ${registry.join(', ')}: ${Date.now() - started} ms`);
  for (const name of LIBRARIES) {
    const installed = realpathSync(join(project, 'node_modules', name));
    assert.ok(
      installed.startsWith(realpathSync(project)),
      `${name} is a copy in the project, not a link: ${installed}`,
    );
  }
});

const COMPILES = [
  { config: 'mojaloop', typescript: 'typescript' },
  { config: 'nodenext', typescript: 'typescript' },
  { config: 'bundler', typescript: 'typescript' },
  // The oldest TypeScript, under Mojaloop's settings, type-checked only (the emit is the same).
  { config: 'mojaloop', typescript: 'typescript-oldest', args: ['--noEmit'] },
];
for (const { config, typescript, args = [] } of COMPILES) {
  const tsVersion = typescript === 'typescript' ? version('typescript') : OLDEST_TYPESCRIPT;
  test(`service.ts compiles under the ${config} tsconfig with TypeScript ${tsVersion}`, () => {
    assert.ok(packed.length > 0, 'installed');
    const tsc = run(
      process.execPath,
      [`node_modules/${typescript}/bin/tsc`, '-p', `tsconfig.${config}.json`, ...args],
      project,
    );
    assert.equal(tsc.status, 0, `tsc ${tsVersion} -p tsconfig.${config}.json:\n${tsc.stdout}${tsc.stderr}`);
  });
}

const traceEvents = ['audit:default', 'trace:span'];
const SCRIPTS: { file: string; expected: Record<string, unknown> }[] = [
  {
    file: 'require-all.cjs',
    expected: {
      resolved: [
        '@event-sidecar/contract/dist-cjs/index.js',
        '@event-sidecar/contract/dist-cjs/constants.js',
        '@event-sidecar/producer/dist-cjs/index.js',
        '@event-sidecar/producer/dist-cjs/event-sdk.js',
      ],
      valid: true,
      invalid: '/metadata/trace/traceId',
      openapi: '3.1.0',
      schemas: true,
      files: true,
      producer: 'function',
      recorder: 'function',
    },
  },
  {
    file: 'import-all.mjs',
    expected: {
      resolved: [
        '@event-sidecar/contract/dist/index.js',
        '@event-sidecar/contract/dist/constants.js',
        '@event-sidecar/producer/dist/index.js',
        '@event-sidecar/producer/dist/event-sdk.js',
      ],
      valid: false,
      files: true,
      producer: 'function',
      recorder: 'function',
    },
  },
  ...['out/mojaloop/service.js', 'out/nodenext/service.js', 'out/nodenext/service.mjs'].map((file) => ({
    file,
    expected: {
      types: ['log', 'audit', 'trace', 'error'],
      valid: true,
      invalid: '/id',
      recorded: traceEvents,
      bridged: '/metadata',
      refused: 'INVALID_EVENT',
      state: 'connecting',
      producerError: true,
      unused: 2,
    },
  })),
];

for (const { major, node, version: nodeVersion } of nodes()) {
  test(`on Node ${major} (${nodeVersion}): CommonJS, ESM and the compiled services run, and say the same`, () => {
    assert.ok(packed.length > 0, 'installed');
    for (const { file, expected } of SCRIPTS) {
      // The SDK echoes the events it records to the console unless told not to.
      const r = run(node, [file], project, { EVENT_SDK_LOG_FILTER: 'none:none', NODE_OPTIONS: '' });
      assert.equal(r.status, 0, `node ${file}: ${r.stdout}\n${r.stderr}`);
      assert.equal(r.stderr, '', `node ${file} wrote to stderr (a warning, require(esm)?)`);
      assert.deepEqual(JSON.parse(r.stdout) as unknown, expected, file);
    }
  });
}
