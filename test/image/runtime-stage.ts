// The Dockerfile's runtime stage rebuilt in a directory instead of a container: its COPYs in order (from the build
// context, and `--from=build` from this repository's `npm run build`), and the npm commands of its RUN, run with the
// Dockerfile's Node (fetched from the npm registry) first on PATH and the ENV in force there.
//
// What a container would do and this cannot, and why it does not matter here: apt-get installs python3, make and g++
// for node-gyp (this machine has them); the RUN that creates the spool directory is replaced by the volume the test
// maps; node-gyp takes the fetched release's headers (npm_config_nodedir) instead of downloading them.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, delimiter, join, relative } from 'node:path';
import { args, ROOT, stage, type Copy, type Stage } from './dockerfile.js';
import { nodeRelease, type NodeRelease } from './node-release.js';

export interface RuntimeStage {
  stage: Stage;
  node: NodeRelease;
  /** The stage's WORKDIR, rebuilt. */
  app: string;
  /** Each npm command of the RUN, with its duration. */
  installed: { command: string; ms: number }[];
  /** The commands of the RUN that were not run, said aloud. */
  skipped: string[];
}

/** What a shell would run for `command` with this PATH. */
export function which(command: string, path: string): string {
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${command} is not on PATH ${path}`);
}

/** How this machine reaches the registry (proxies, the CAs of a TLS-inspecting proxy): the machine's, not the image's. */
export function networkEnv(): Record<string, string> {
  const names = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];
  const out: Record<string, string> = {};
  for (const name of [...names, ...names.map((n) => n.toLowerCase())]) {
    const value = process.env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Where a path of the build stage's file system is here: its WORKDIR holds this repository, built. */
function buildStagePath(path: string, buildWorkdir: string): string {
  const rel = relative(buildWorkdir, path);
  assert.ok(!rel.startsWith('..'), `COPY --from=build ${path} is outside the build stage's ${buildWorkdir}`);
  return join(ROOT, rel);
}

function copy(step: Copy, app: string, buildWorkdir: string): void {
  assert.ok(step.from === undefined || step.from === 'build', `COPY --from=${step.from}`);
  const sources = step.sources.map((s) => (step.from ? buildStagePath(s, buildWorkdir) : join(ROOT, s)));
  const intoDir = step.destination.endsWith('/') || sources.length > 1;
  for (const source of sources) {
    assert.ok(existsSync(source), `COPY source ${relative(ROOT, source)} exists (run npm run build first)`);
    const target = join(app, step.destination, intoDir ? basename(source) : '');
    mkdirSync(join(target, '..'), { recursive: true });
    cpSync(source, target, { recursive: statSync(source).isDirectory() });
  }
}

/** Rebuilds the runtime stage under `dir` (a fresh temporary directory). */
export function buildRuntimeStage(dir: string): RuntimeStage {
  const runtime = stage('runtime');
  const build = stage('build');
  const major = args().NODE_VERSION;
  assert.ok(major, 'docker/Dockerfile has ARG NODE_VERSION');
  assert.equal(runtime.base, 'node:${NODE_VERSION}-bookworm-slim', 'the runtime stage is the official Node image');
  const node = nodeRelease(major);

  const app = join(dir, runtime.workdir);
  mkdirSync(app, { recursive: true });
  const installed: RuntimeStage['installed'] = [];
  const skipped: string[] = [];
  for (const step of runtime.steps) {
    if ('copy' in step) {
      copy(step.copy, app, build.workdir);
      continue;
    }
    for (const command of step.run.split('&&').map((c) => c.trim())) {
      if (!/^npm\s/.test(command)) {
        skipped.push(command);
        continue;
      }
      const started = Date.now();
      const r: SpawnSyncReturns<string> = spawnSync('sh', ['-c', command], {
        cwd: app,
        encoding: 'utf8',
        timeout: 900_000,
        env: {
          // The container's root has no npm configuration: only HOME's .npmrc (the registry) is shared, and an npm
          // cache of its own (`npm cache clean --force` then cleans only that).
          PATH: `${node.binDir}:${process.env.PATH ?? ''}`,
          HOME: process.env.HOME ?? dir,
          ...networkEnv(),
          ...step.env,
          npm_config_cache: join(dir, 'npm-cache'),
          npm_config_nodedir: node.nodedir,
          npm_config_update_notifier: 'false',
        },
      });
      assert.equal(r.status, 0, `RUN ${command}: ${r.stdout}\n${r.stderr}`);
      installed.push({ command, ms: Date.now() - started });
    }
  }
  return { stage: runtime, node, app, installed, skipped };
}
