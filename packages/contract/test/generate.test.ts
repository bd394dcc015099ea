// The committed JSON Schemas and OpenAPI document are what a fresh generation from the types gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultOutDir, sortKeys, writeArtifacts } from '../scripts/generate.js';

test('the committed schemas and OpenAPI document match a fresh generation (run `npm run generate`)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'contract-generate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const written = writeArtifacts(dir);
  assert.deepEqual(readdirSync(dir).sort(), ['openapi.json', 'schemas.json']);
  assert.equal(written.length, 2);
  for (const name of readdirSync(dir)) {
    const fresh = readFileSync(join(dir, name), 'utf8');
    const committed = readFileSync(join(defaultOutDir, name), 'utf8');
    assert.ok(fresh === committed, `generated/${name} is stale: run \`npm run generate -w packages/contract\``);
  }
});

test('sortKeys sorts objects at every depth and keeps array order', () => {
  assert.equal(
    JSON.stringify(sortKeys({ b: 1, a: { d: [{ z: 1, y: 2 }, 'x'], c: null } })),
    '{"a":{"c":null,"d":[{"y":2,"z":1},"x"]},"b":1}',
  );
});
