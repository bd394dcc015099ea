// The packed contract: only what it should ship, and its artifacts found at run time from both builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Contract from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const built =
  existsSync(new URL('../dist/index.js', import.meta.url)) &&
  existsSync(new URL('../dist-cjs/index.js', import.meta.url));
const skip = built ? false : 'dist is not built: run `npm run build` first';

test('npm pack holds only dist, dist-cjs, generated artifacts, the proto, README and package.json', { skip }, () => {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: packageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [pack] = JSON.parse(output) as { files: { path: string }[] }[];
  const files = pack!.files.map((f) => f.path).sort();
  const allowed = [
    /^dist(-cjs)?\/[\w-]+\.(js|d\.ts)(\.map)?$/,
    /^dist-cjs\/package\.json$/,
    /^generated\/(openapi|schemas)\.json$/,
    /^proto\/[\w]+\.proto$/,
    /^README\.md$/,
    /^package\.json$/,
  ];
  assert.deepEqual(
    files.filter((f) => !allowed.some((pattern) => pattern.test(f))),
    [],
    'unexpected files in the package',
  );
  for (const required of [
    'dist/index.js',
    'dist/index.d.ts',
    'dist-cjs/index.js',
    'dist-cjs/index.d.ts',
    'dist-cjs/package.json',
    'generated/openapi.json',
    'generated/schemas.json',
    'proto/message_type.proto',
    'README.md',
    'package.json',
  ]) {
    assert.ok(files.includes(required), `${required} is packed`);
  }
  assert.equal(files.filter((f) => /test|tsbuildinfo|\.ts$/.test(f) && !f.endsWith('.d.ts')).length, 0);
});

test('the built package finds its artifacts at run time', { skip }, async () => {
  const dist = (await import(pathToFileURL(`${packageDir}dist/index.js`).href)) as typeof Contract;
  for (const path of [dist.openApiPath, dist.schemasPath, dist.protoPath]) assert.ok(existsSync(path), path);
  assert.ok(dist.openApiPath.startsWith(packageDir));
  assert.equal((dist.openApiDocument as { openapi?: string }).openapi, '3.1.0');
  assert.ok(dist.schemas.EventMessage);
  assert.equal(dist.validateEvent({}).ok, false);
});

test('the CommonJS build finds the same artifacts, and exports what the ESM build exports', { skip }, async () => {
  const esm = (await import(pathToFileURL(`${packageDir}dist/index.js`).href)) as typeof Contract;
  const cjs = createRequire(import.meta.url)(`${packageDir}dist-cjs/index.js`) as typeof Contract;
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort());
  assert.equal(cjs.openApiPath, esm.openApiPath);
  assert.equal(cjs.protoPath, esm.protoPath);
  assert.deepEqual(cjs.schemas, esm.schemas);
  assert.equal(cjs.validateEvent({}).ok, false);
});

test("a ContractError of either build is an instance of the other build's ContractError", { skip }, async () => {
  // A service that both imports and requires the package holds two copies of the class (the dual-package hazard).
  const esm = (await import(pathToFileURL(`${packageDir}dist/index.js`).href)) as typeof Contract;
  const cjs = createRequire(import.meta.url)(`${packageDir}dist-cjs/index.js`) as typeof Contract;
  assert.notEqual(cjs.ContractError, esm.ContractError);
  const fromCjs = (() => {
    try {
      cjs.createOpenApiDocument({ maxBatchItems: 0 });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(fromCjs instanceof esm.ContractError);
  assert.ok(new esm.ContractError('CONTRACT_INVALID_OPTION', 'x') instanceof cjs.ContractError);
  assert.ok(!(new Error('x') instanceof esm.ContractError));
  assert.ok(!({ code: 'CONTRACT_INVALID_OPTION' } instanceof cjs.ContractError));
});
