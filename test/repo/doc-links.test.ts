// Every relative link of the repository's Markdown resolves: to a file or directory of the repository and, with a
// `#fragment`, to a heading of that file (GitHub's anchors). A module renamed or a heading reworded fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { root } from './circleci-config.js';
import { anchor, links, readDoc, withoutCode } from './markdown.js';

// Not ours to link (dependencies, builds, vendored fixtures), or not written by hand (the changelogs).
const SKIP = new Set(['node_modules', '.git', '.kafka', '.cache', 'dist', 'dist-cjs', 'fixtures']);
function markdown(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return SKIP.has(entry.name) ? [] : markdown(path);
    return entry.name.endsWith('.md') && entry.name !== 'CHANGELOG.md' ? [path] : [];
  });
}
const docs = markdown('');

const anchors = (path: string) =>
  new Set(
    withoutCode(readDoc(path))
      .split('\n')
      .filter((l) => /^#+ /.test(l))
      .map(anchor),
  );

test('every relative link of the Markdown resolves, fragments to headings', () => {
  assert.ok(docs.includes('README.md') && docs.includes('docs/operations.md'), `found: ${docs}`);
  const broken: string[] = [];
  for (const doc of docs) {
    for (const { target, line } of links(readDoc(doc))) {
      const [path, fragment] = target.split('#') as [string, string | undefined];
      const file = path ? normalize(join(dirname(doc), decodeURI(path))) : doc;
      if (!existsSync(join(root, file))) broken.push(`${doc}:${line}: ${target} (no ${file})`);
      else if (fragment !== undefined && file.endsWith('.md') && !anchors(file).has(fragment))
        broken.push(`${doc}:${line}: ${target} (no heading #${fragment} in ${file})`);
    }
  }
  assert.deepEqual(broken, []);
});
