// A Node.js release of a given major, fetched from the npm registry (`node-<platform>-<arch>`, the official binary
// with its headers) and kept under .cache/node/, so the image's Node can run here without a container engine; and
// the npm that release bundles (the registry's package holds node alone), for what the image runs with npm.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './dockerfile.js';

export interface NodeRelease {
  version: string;
  /** The directory holding `node`, to put first on PATH. */
  binDir: string;
  node: string;
  /** The release's headers (`include/node`), for node-gyp's `nodedir`. */
  nodedir: string;
}

const CACHE = join(ROOT, '.cache', 'node');
const NPM_CACHE = join(ROOT, '.cache', 'npm');

function run(command: string, args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

function release(dir: string, version: string): NodeRelease {
  const binDir = join(dir, 'package', 'bin');
  return { version, binDir, node: join(binDir, 'node'), nodedir: join(dir, 'package') };
}

/** A package of the registry unpacked into `dir` (kept: nothing is fetched when `dir` already holds `marker`). */
function fetchPackage(spec: string, dir: string, marker: string): void {
  if (existsSync(join(dir, marker))) return;
  const parent = join(dir, '..');
  mkdirSync(parent, { recursive: true });
  // Unpacked beside its place, so the move into place is a rename on one file system.
  const work = mkdtempSync(join(parent, '.partial-'));
  try {
    const pack = run('npm', ['pack', spec, '--pack-destination', work, '--json'], work);
    assert.equal(pack.status, 0, `npm pack ${spec}: ${pack.stderr}`);
    const [packed] = JSON.parse(pack.stdout) as { filename: string }[];
    assert.ok(packed, pack.stdout);
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    const tar = run('tar', ['-xzf', join(work, packed.filename), '-C', unpacked]);
    assert.equal(tar.status, 0, tar.stderr);
    // Moved into place whole, so a run that stops half-way leaves nothing that looks cached.
    rmSync(dir, { recursive: true, force: true });
    renameSync(unpacked, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Oldest first: versions compared field by field as numbers. */
function byVersion(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The newest release of `major` on the registry (or, offline, the newest one cached). */
export function nodeRelease(major: string): NodeRelease {
  assert.match(major, /^\d+$/, `a Node major, not "${major}"`);
  const pkg = `node-${process.platform}-${process.arch}`;
  const view = run('npm', ['view', `${pkg}@${major}`, 'version', '--json']);
  let version: string | undefined;
  if (view.status === 0) {
    // The registry lists a range's versions in its own order (20.x ends with 20.9.0, 20.8.1, 20.8.0), not by version.
    const versions = JSON.parse(view.stdout) as string | string[];
    version = Array.isArray(versions) ? [...versions].sort(byVersion).at(-1) : versions;
  } else {
    const cached = existsSync(CACHE)
      ? readdirSync(CACHE)
          .filter((v) => v.startsWith(`${major}.`) && existsSync(join(CACHE, v, 'package/bin/node')))
          .sort(byVersion)
      : [];
    version = cached.at(-1);
    assert.ok(version, `${pkg}@${major}: the registry did not answer and none is cached: ${view.stderr}`);
  }
  assert.ok(version);
  const dir = join(CACHE, version);
  fetchPackage(`${pkg}@${version}`, dir, 'package/bin/node');
  const found = release(dir, version);
  const v = run(found.node, ['--version']);
  assert.equal(v.stdout.trim(), `v${version}`, `${found.node}: ${v.stderr}`);
  return found;
}

export interface BundledNpm {
  version: string;
  /** A directory holding `npm`, as the official image's /usr/local/bin does. */
  binDir: string;
}

/**
 * The npm that `release` bundles, as the official image of that release has it: the version of the newest "upgrade
 * npm to" of the release's CHANGELOG (newest first), fetched from the registry and kept under .cache/npm/.
 */
export function bundledNpm(release: NodeRelease): BundledNpm {
  const changelog = readFileSync(join(release.nodedir, 'CHANGELOG.md'), 'utf8');
  const version = /upgrade npm to (\d+\.\d+\.\d+)/.exec(changelog)?.[1];
  assert.ok(version, `no npm upgrade in the CHANGELOG of Node ${release.version}`);
  const dir = join(NPM_CACHE, version);
  fetchPackage(`npm@${version}`, dir, 'package/bin/npm-cli.js');
  const binDir = join(dir, 'bin');
  if (!existsSync(join(binDir, 'npm'))) {
    mkdirSync(binDir, { recursive: true });
    symlinkSync('../package/bin/npm-cli.js', join(binDir, 'npm'));
  }
  return { version, binDir };
}
