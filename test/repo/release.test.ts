// The release script on a scratch clone: versions from the commits, dry run, push, and a moved main.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Release Test',
  GIT_AUTHOR_EMAIL: 'release-test@example.invalid',
  GIT_COMMITTER_NAME: 'Release Test',
  GIT_COMMITTER_EMAIL: 'release-test@example.invalid',
};
// The release tooling as it stands in this working tree, so the tests see edits before they are committed.
const TOOLING = ['scripts/release/release.sh', 'lerna.json', 'package.json'];

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
}

function run(cwd: string, cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function versionOf(repo: string, pkg: string): string {
  return JSON.parse(readFileSync(join(repo, 'packages', pkg, 'package.json'), 'utf8')).version;
}

/** A fresh clone of this repository with the working tree's release tooling committed into it. */
function cloneRepo(t: TestContext): { base: string; repo: string } {
  const base = mkdtempSync(join(tmpdir(), 'release-test-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const repo = join(base, 'repo');
  git(base, 'clone', '--quiet', '--no-hardlinks', root, repo);
  for (const file of TOOLING) copyFileSync(join(root, file), join(repo, file));
  if (git(repo, 'status', '--porcelain')) git(repo, 'commit', '--quiet', '-am', 'test: release tooling under test');
  symlinkSync(join(root, 'node_modules'), join(repo, 'node_modules'));
  appendFileSync(join(repo, '.git/info/exclude'), 'node_modules\n');
  return { base, repo };
}

/** A commit touching one package, as a merged pull request would. */
function commitTo(repo: string, pkg: string, message: string): void {
  appendFileSync(join(repo, 'packages', pkg, 'RELEASE-TEST.md'), `${message}\n`);
  git(repo, 'add', '-A', `packages/${pkg}`);
  git(repo, 'commit', '--quiet', '-m', message);
}

function bump(version: string, part: 'minor' | 'patch'): string {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  return part === 'minor' ? `${major}.${minor + 1}.0` : `${major}.${minor}.${patch + 1}`;
}

function semverGreater(a: number[], b: number[]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] ?? 0) > (b[i] ?? 0);
  return false;
}

/** Tags each package's current version, as a previous release would have. */
function tagReleased(repo: string): void {
  for (const pkg of ['contract', 'producer', 'sidecar']) {
    git(repo, 'tag', '--force', `@event-sidecar/${pkg}@${versionOf(repo, pkg)}`);
  }
}

function snapshot(repo: string) {
  return { head: git(repo, 'rev-parse', 'HEAD'), tags: git(repo, 'tag', '--list'), status: git(repo, 'status', '-s') };
}

test('release --dry-run on a clean clone names the next versions and changes nothing', (t) => {
  const { repo } = cloneRepo(t);
  commitTo(repo, 'producer', 'fix(producer): a fix waiting for release');
  const before = snapshot(repo);
  const producer = versionOf(repo, 'producer');

  const r = run(repo, 'npm', ['run', 'release', '--', '--dry-run']);
  assert.equal(r.code, 0, r.out);
  // Without release tags the bump depends on the whole history (a feat anywhere gives a minor bump): only the
  // direction is fixed here; the next test pins exact bumps against tagged releases.
  const next = new RegExp(`next version: @event-sidecar/producer ${producer} => (\\d+)\\.(\\d+)\\.(\\d+)`).exec(r.out);
  assert.ok(next, r.out);
  assert.ok(semverGreater(next.slice(1).map(Number), producer.split('.').map(Number)), `${next[0]} is no bump`);
  assert.match(r.out, /a fix waiting for release/);
  assert.deepEqual(snapshot(repo), before, 'the dry run committed, tagged or changed something');
});

test('release --dry-run derives each bump from the commits since the last release tags', (t) => {
  const { repo } = cloneRepo(t);
  tagReleased(repo);
  commitTo(repo, 'contract', 'feat(contract): a new event field');
  const before = snapshot(repo);
  const contract = versionOf(repo, 'contract');
  const producer = versionOf(repo, 'producer');
  const sidecar = versionOf(repo, 'sidecar');

  const r = run(repo, 'npm', ['run', 'release', '--', '--dry-run']);
  assert.equal(r.code, 0, r.out);
  // feat -> minor; the packages that pin the contract exactly follow with a patch.
  assert.match(r.out, new RegExp(`next version: @event-sidecar/contract ${contract} => ${bump(contract, 'minor')}`));
  assert.match(r.out, new RegExp(`next version: @event-sidecar/producer ${producer} => ${bump(producer, 'patch')}`));
  assert.match(r.out, new RegExp(`next version: @event-sidecar/sidecar ${sidecar} => ${bump(sidecar, 'patch')}`));
  assert.match(r.out, /### Features[\s\S]*a new event field/);
  assert.deepEqual(snapshot(repo), before);
});

/** A clone whose origin is a local bare repository with a main branch at the clone's HEAD. */
function cloneWithOrigin(t: TestContext) {
  const { base, repo } = cloneRepo(t);
  const origin = join(base, 'origin.git');
  git(base, 'init', '--quiet', '--bare', origin);
  git(origin, 'symbolic-ref', 'HEAD', 'refs/heads/main');
  git(repo, 'remote', 'set-url', 'origin', origin);
  git(repo, 'checkout', '--quiet', '-B', 'main');
  git(repo, 'push', '--quiet', 'origin', 'main');
  const other = join(base, 'other'); // a second developer, to move main behind the release job's back
  git(base, 'clone', '--quiet', origin, other);
  const state = join(base, 'release.state');
  const release = () => {
    rmSync(state, { force: true });
    const r = run(repo, 'npm', ['run', 'release', '--', '--push', '--state-file', state]);
    return { ...r, state: r.code === 0 ? readFileSync(state, 'utf8') : '' };
  };
  const advanceOrigin = (message: string) => {
    git(other, 'pull', '--quiet', '--ff-only');
    commitTo(other, 'sidecar', message);
    git(other, 'push', '--quiet', 'origin', 'HEAD:main');
    return git(other, 'rev-parse', 'HEAD');
  };
  return { repo, origin, release, advanceOrigin };
}

test('release --push commits, tags and pushes the bump atomically; a re-run resumes', (t) => {
  const { repo, origin, release } = cloneWithOrigin(t);
  tagReleased(repo); // so that the bump depends on the fix below only, not on the whole history
  git(repo, 'push', '--quiet', '--tags', 'origin');
  commitTo(repo, 'producer', 'fix(producer): merged fix');
  git(repo, 'push', '--quiet', 'origin', 'main');
  const merged = git(repo, 'rev-parse', 'HEAD');
  const producer = versionOf(repo, 'producer');

  const first = release();
  assert.equal(first.code, 0, first.out);
  const releaseCommit = git(origin, 'rev-parse', 'main');
  assert.equal(first.state, `state=released\ncommit=${releaseCommit}\n`);
  assert.equal(git(origin, 'rev-parse', 'main^'), merged);
  assert.match(git(origin, 'log', '-1', '--format=%s', 'main'), /^chore\(release\): publish \[skip ci\]$/);
  const tag = `@event-sidecar/producer@${bump(producer, 'patch')}`;
  assert.equal(git(origin, 'rev-parse', `${tag}^{commit}`), releaseCommit);

  // The job is re-run (say its image publication failed) from the pipeline's commit: it must publish, not re-bump.
  git(repo, 'checkout', '--quiet', '-B', 'main', merged);
  const again = release();
  assert.equal(again.code, 0, again.out);
  assert.equal(again.state, `state=resume\ncommit=${releaseCommit}\n`);
  assert.equal(git(origin, 'rev-parse', 'main'), releaseCommit);
});

test('release --push stops cleanly when main has moved on before it starts', (t) => {
  const { repo, origin, release, advanceOrigin } = cloneWithOrigin(t);
  const newer = advanceOrigin('fix(sidecar): merged just after');

  const r = release();
  assert.equal(r.code, 0, r.out);
  assert.equal(r.state, 'state=stale\n');
  assert.match(r.out, /a later pipeline releases it/);
  assert.equal(git(origin, 'rev-parse', 'main'), newer);
  assert.equal(git(origin, 'tag', '--list'), '');
  assert.equal(git(repo, 'tag', '--list'), '');
});

test('release --push stops cleanly when main moves while it runs (the push is refused whole)', (t) => {
  const { repo, origin, release } = cloneWithOrigin(t);
  // Another merge lands between the release's check and its push: simulate it from a pre-push hook.
  const hook = join(repo, '.git/hooks/pre-push');
  writeFileSync(hook, `#!/bin/sh\n[ -e "${hook}.done" ] && exit 0\ntouch "${hook}.done"\n${raceScript(origin)}\n`, {
    mode: 0o755,
  });

  const r = release();
  assert.equal(r.code, 0, r.out);
  assert.equal(r.state, 'state=stale\n');
  assert.match(r.out, /moved while this release ran; nothing was pushed/);
  assert.match(git(origin, 'log', '-1', '--format=%s', 'main'), /^fix\(sidecar\): raced/);
  assert.equal(git(origin, 'tag', '--list'), '', 'tags were pushed without their commit');
  assert.equal(git(repo, 'tag', '--list'), '', 'local release tags were left behind');
});

function raceScript(origin: string): string {
  const dir = `${origin}-race`;
  return [
    `git clone --quiet "${origin}" "${dir}"`,
    `echo raced >> "${dir}/packages/sidecar/RELEASE-TEST.md"`,
    `git -C "${dir}" add -A`,
    `git -C "${dir}" commit --quiet -m "fix(sidecar): raced"`,
    `git -C "${dir}" push --quiet origin HEAD:main`,
  ].join('\n');
}
