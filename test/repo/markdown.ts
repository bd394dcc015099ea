// The repository's Markdown as its tests read it: a file, one section of it, its tables, its prose without code, and
// its links.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './circleci-config.js';

export const readDoc = (path: string): string => readFileSync(join(root, path), 'utf8');

/** From the heading `title` (a whole line) to the next heading of the same or a higher level. */
export function section(text: string, title: string): string {
  const lines = text.split('\n');
  const start = lines.indexOf(title);
  assert.ok(start >= 0, `no heading "${title}"`);
  const level = /^#+/.exec(title)![0].length;
  let fenced = false; // a `# comment` in a code block is no heading
  const end = lines.findIndex((l, i) => {
    if (l.startsWith('```')) fenced = !fenced;
    return i > start && !fenced && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level;
  });
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** Fenced code blocks of a language (`yaml`, `sh`, ...). */
export const codeBlocks = (text: string, lang: string): string[] =>
  [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

/** The text without fenced code blocks (each replaced by an empty line, so line numbers hold). */
export const withoutCode = (text: string): string =>
  text.replace(/```[\s\S]*?```/g, (block) => block.replace(/[^\n]/g, ''));

/** Cells of a `| a | b |` line. */
const cells = (line: string): string[] =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim());

/** The first table at or after `from` in `text`, as rows keyed by its header's cells. */
export function table(text: string, from = 0): Record<string, string>[] {
  const lines = text.slice(from).split('\n');
  const head = lines.findIndex((l) => l.startsWith('|'));
  assert.ok(head >= 0, 'no table');
  const header = cells(lines[head]!);
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith('|')) break;
    const values = cells(line);
    rows.push(Object.fromEntries(header.map((h, i) => [h, values[i] ?? ''])));
  }
  return rows;
}

/** `12,345` as 12345. */
export const count = (text: string): number => {
  assert.match(text, /^\d{1,3}(,\d{3})*$|^\d+$/, `"${text}" is not a count`);
  return Number(text.replace(/,/g, ''));
};

/** Relative link targets of `[text](target)` outside code, with the line they are on. */
export function links(text: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  withoutCode(text)
    .split('\n')
    .forEach((l, i) => {
      for (const m of l.matchAll(/\]\(([^)\s]+)\)/g))
        if (!/^[a-z]+:/.test(m[1]!)) out.push({ target: m[1]!, line: i + 1 });
    });
  return out;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped but `-` and `_`, spaces as `-`. */
export const anchor = (heading: string): string =>
  heading
    .replace(/^#+\s*/, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
