// A Node.js release of a given major, fetched from the npm registry (`node-<platform>-<arch>`, the official binary
// with its headers) and kept under .cache/node/, so the image's Node can run here without a container engine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
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

function run(command: string, args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

function release(dir: string, version: string): NodeRelease {
  const binDir = join(dir, 'package', 'bin');
  return { version, binDir, node: join(binDir, 'node'), nodedir: join(dir, 'package') };
}

/** The newest release of `major` on the registry (or, offline, the newest one cached). */
export function nodeRelease(major: string): NodeRelease {
  assert.match(major, /^\d+$/, `a Node major, not "${major}"`);
  const pkg = `node-${process.platform}-${process.arch}`;
  const view = run('npm', ['view', `${pkg}@${major}`, 'version', '--json']);
  let version: string | undefined;
  if (view.status === 0) {
    const versions = JSON.parse(view.stdout) as string | string[];
    version = Array.isArray(versions) ? versions.at(-1) : versions;
  } else {
    const cached = existsSync(CACHE)
      ? readdirSync(CACHE)
          .filter((v) => v.startsWith(`${major}.`) && existsSync(join(CACHE, v, 'package/bin/node')))
          .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      : [];
    version = cached.at(-1);
    assert.ok(version, `${pkg}@${major}: the registry did not answer and none is cached: ${view.stderr}`);
  }
  assert.ok(version);
  const dir = join(CACHE, version);
  if (!existsSync(join(dir, 'package/bin/node'))) {
    mkdirSync(CACHE, { recursive: true });
    // Unpacked beside its place, so the move into place is a rename on one file system.
    const work = mkdtempSync(join(CACHE, '.partial-'));
    try {
      const pack = run('npm', ['pack', `${pkg}@${version}`, '--pack-destination', work, '--json'], work);
      assert.equal(pack.status, 0, `npm pack ${pkg}@${version}: ${pack.stderr}`);
      const [packed] = JSON.parse(pack.stdout) as { filename: string }[];
      assert.ok(packed, pack.stdout);
      const { filename } = packed;
      const unpacked = join(work, 'unpacked');
      mkdirSync(unpacked);
      const tar = run('tar', ['-xzf', join(work, filename), '-C', unpacked]);
      assert.equal(tar.status, 0, tar.stderr);
      // Moved into place whole, so a run that stops half-way leaves nothing that looks cached.
      rmSync(dir, { recursive: true, force: true });
      renameSync(unpacked, dir);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const found = release(dir, version);
  const v = run(found.node, ['--version']);
  assert.equal(v.stdout.trim(), `v${version}`, `${found.node}: ${v.stderr}`);
  return found;
}
