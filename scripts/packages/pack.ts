// Packs the workspaces as `npm publish` would (one `npm pack` for all of them), for the checks that must see what a
// user installs: the lint of the published packages and the consumer test.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The workspaces' tarballs, written into `destination`: `{ name, dir, tarball, files }` for each, in workspace order.
 * Needs the build (`npm run build`): the tarballs hold dist/ and dist-cjs/ as they are.
 */
export interface PackedPackage {
  name: string;
  /** The workspace's directory. */
  dir: string;
  /** The .tgz written. */
  tarball: string;
  /** The files it holds, as npm lists them. */
  files: string[];
}

export function packWorkspaces(destination: string): PackedPackage[] {
  const output = execFileSync(
    'npm',
    ['pack', '--workspaces', '--pack-destination', destination, '--json', '--ignore-scripts', '--loglevel=error'],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const packed = JSON.parse(output) as { name: string; filename: string; files: { path: string }[] }[];
  const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return workspaces.map((workspace) => {
    const dir = join(ROOT, workspace);
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string };
    const entry = packed.find((p) => p.name === name);
    if (!entry) throw new Error(`npm pack did not pack ${name}`);
    return { name, dir, tarball: join(destination, entry.filename), files: entry.files.map((f) => f.path) };
  });
}
