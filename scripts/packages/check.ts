// The lint of the published packages, on the tarballs `npm publish` would upload (`npm run lint:packages` builds first):
// - @arethetypeswrong/cli: every entry point resolves, types and JavaScript of one format, under node10, node16 from
//   CommonJS and from ESM, and bundler (attw's strict profile). Only the packages named in ESM_ONLY are checked with
//   its esm-only profile. Entry points that are files, not modules (the contract's .proto), are left out: no resolver
//   of modules can check them.
// - publint, strict, every message counted (suggestions too).
// - the fields for consumers that do not read `exports` (TypeScript's node10 resolution: `main`, `types`,
//   `typesVersions`) say what `exports` says for `require`; `exports` is the one source, these are derived from it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { packWorkspaces, ROOT } from './pack.js';

const MODULE = /\.(c|m)?js$|\.json$/;

/**
 * The packages that ship ESM only. The sidecar is an application first (its CLI, its image); code that embeds it
 * is ESM, or CommonJS through `await import()` or Node's require(esm) (Node 20.19+, 22.12+), with TypeScript's
 * `module: nodenext` (5.8+) for the types. Every other package serves CommonJS and ESM alike.
 */
const ESM_ONLY = new Set(['@event-sidecar/sidecar']);

type ExportsTarget = string | { [condition: string]: ExportsTarget };

interface PackageJson {
  name: string;
  exports?: { [subpath: string]: ExportsTarget };
  [field: string]: unknown;
}

interface Resolved {
  types?: string;
  default: string;
}

/** The condition `require` (else `default`, `import`) of an exports target, as `{ types, default }`. */
function requireTarget(target: ExportsTarget | undefined): Resolved {
  if (target === undefined) throw new Error('exports has no "." entry');
  if (typeof target === 'string') return { default: target };
  const chosen = target.require ?? target.default ?? target.import;
  const types = typeof target.types === 'string' ? target.types : undefined;
  if (typeof chosen === 'string') return { types, default: chosen };
  if (chosen === undefined) throw new Error(`no require, default or import condition in ${JSON.stringify(target)}`);
  const inner = requireTarget(chosen);
  return { types: inner.types ?? types, default: inner.default };
}

/** `main`, `types` and `typesVersions` as node10 consumers need them, derived from `exports`. */
export function expectedFallbacks(pkg: PackageJson): Record<string, unknown> {
  const exports = pkg.exports ?? {};
  const root = requireTarget(exports['.']);
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(exports)) {
    if (subpath === '.' || subpath === './package.json') continue;
    const resolved = requireTarget(target);
    const typesFile = resolved.types ?? (resolved.default.endsWith('.json') ? resolved.default : undefined);
    if (typesFile) paths[subpath.replace(/^\.\//, '')] = [typesFile];
  }
  return {
    main: root.default,
    types: root.types,
    typesVersions: Object.keys(paths).length > 0 ? { '*': paths } : undefined,
  };
}

/** Differences between a package.json's node10 fields and what its `exports` implies. */
export function fallbackProblems(pkg: PackageJson): string[] {
  const expected = expectedFallbacks(pkg);
  return Object.entries(expected)
    .filter(([field, value]) => !isDeepStrictEqual(pkg[field], value))
    .map(
      ([field, value]) =>
        `"${field}" should be ${JSON.stringify(value)} (from "exports"), not ${JSON.stringify(pkg[field])}`,
    );
}

/** attw's options for a package: its profile, and the entry points that are not modules. */
export function attwArguments(pkg: PackageJson): string[] {
  const exports = pkg.exports ?? {};
  const files = Object.entries(exports)
    .filter(([, target]) => typeof target === 'string' && !MODULE.test(target))
    .map(([subpath]) => subpath);
  return [
    ...(ESM_ONLY.has(pkg.name) ? ['--profile', 'esm-only'] : []),
    ...(files.length > 0 ? ['--exclude-entrypoints', ...files] : []),
  ];
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'event-sidecar-packages-'));
  let failed = 0;
  try {
    for (const { name, dir, tarball } of packWorkspaces(work)) {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
      const problems = fallbackProblems(pkg);
      for (const problem of problems) console.error(`${name}: ${problem}`);

      const args = [tarball, '--no-definitely-typed', '--no-color', '--format', 'table-flipped', ...attwArguments(pkg)];
      console.log(`attw ${args.slice(1).join(' ')} (${name})`);
      const attw = spawnSync(join(ROOT, 'node_modules/.bin/attw'), args, { stdio: 'inherit' });

      const bytes = readFileSync(tarball);
      const packed = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const { messages } = await publint({ pack: { tarball: packed }, strict: true });
      for (const message of messages) console.error(`${name}: publint ${message.type}: ${formatMessage(message, pkg)}`);
      console.log(`publint: ${name}: ${messages.length === 0 ? 'clean' : `${messages.length} message(s)`}`);

      if (problems.length > 0 || attw.status !== 0 || messages.length > 0) failed += 1;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (failed > 0) {
    console.error(`check-packages: ${failed} package(s) with problems`);
    process.exit(1);
  }
  console.log('check-packages: every package is clean');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
