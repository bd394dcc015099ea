// Every figure of the README is checked against its source here, so that none can drift: the defaults against the
// settings table (and the producer's defaults), the ports and statuses against the settings and the OpenAPI document,
// the reliability figures against test/reliability/README.md, the tool versions against the scripts that need them.
// The Node.js line is node-versions.test.ts's; code blocks are readme-commands and docs-image's. A number the README
// gains that none of these claims fails the last test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT_DEFAULTS } from '../../packages/producer/src/options.js';
import { SETTINGS } from '../../packages/sidecar/src/settings.js';
import { count, readDoc, section, table, withoutCode } from './markdown.js';

const readme = readDoc('README.md');
// The bench writes its table between these markers: its figures are the bench's.
const BENCH = /<!-- bench-table:start -->[\s\S]*?<!-- bench-table:end -->/;
const prose = withoutCode(readme)
  .replace(BENCH, '')
  .replace(/\]\([^)]*\)/g, ']()');

/** Each checker claims the spans of the prose it has checked. */
const claimed: [number, number][] = [];
const claim = (m: RegExpExecArray | RegExpMatchArray) => claimed.push([m.index!, m.index! + m[0].length]);
/** Matches of `pattern` in the prose that no checker before has claimed (the checkers run in this file's order). */
const unclaimed = (pattern: RegExp) =>
  [...prose.matchAll(pattern)].filter((m) => !claimed.some(([from, to]) => m.index! >= from && m.index! < to));

const UNITS: Record<string, number> = { s: 1000, GiB: 2 ** 30, MiB: 2 ** 20 };
/** `10 s` of a `_MS` / `Ms` setting as 10000, `1 GiB` as bytes, `100,000` as 100000, a word as itself. */
function value(name: string, shown: string): unknown {
  const m = /^([\d,]+(?:\.\d+)?)(?: (s|GiB|MiB))?$/.exec(shown);
  if (!m) return shown;
  const n = Number(m[1]!.replace(/,/g, ''));
  if (m[2] === 's') assert.match(name, /_MS$|Ms$/, `${name} is not in milliseconds`);
  return n * (m[2] ? UNITS[m[2]]! : 1);
}

test('every default the README gives is the default of that setting (or producer option)', () => {
  const seen: string[] = [];
  for (const m of prose.matchAll(/`([\w.]+)` \(default ([^)]+?)( with `wait`)?\)/g)) {
    const [, name, shown, wait] = m;
    if (wait) {
      const option = { publishTimeoutMs: 'publishTimeoutMs', 'batch.maxQueue': 'maxQueue' }[name!];
      assert.ok(option, `${name}: no default with wait`);
      assert.equal(value(name!, shown!), WAIT_DEFAULTS[option as keyof typeof WAIT_DEFAULTS], `README: ${m[0]}`);
    } else {
      const setting = SETTINGS[name as keyof typeof SETTINGS];
      assert.ok(setting, `README: ${name} is not a setting`);
      assert.ok('default' in setting, `README: ${name} has no default`);
      assert.deepEqual(value(name!, shown!), setting.default, `README: ${m[0]}`);
    }
    claim(m);
    seen.push(name!);
  }
  assert.ok(seen.includes('SPOOL_MAX_BYTES') && seen.includes('PUBLISH_TIMEOUT_MS'), `defaults found: ${seen}`);
});

test('the latest reliability figures are those of test/reliability/README.md', () => {
  const m =
    /latest run \((\d{4}-\d{2}-\d{2}), `([^`]+)`\), the (\d+) faults of a three-node cluster logged ([\d,]+) events through event-sdk and HTTP, and all ([\d,]+) were on Kafka/.exec(
      prose,
    );
  assert.ok(m, 'README: the sentence of the latest reliability run');
  const doc = readDoc('test/reliability/README.md');
  const latest = section(doc, '## Latest run');
  const [, date, command] = /^(\d{4}-\d{2}-\d{2}), `([^`]+)`/m.exec(latest) ?? [];
  assert.equal(m[1], date, 'the date of the latest run');
  assert.equal(m[2], command, 'its command');
  const cluster = table(latest).filter((row) => row.Suite === '`cluster`');
  assert.equal(Number(m[3]), cluster.length, 'the cluster cases');
  assert.equal(
    count(m[4]!),
    cluster.map((r) => count(r.Counted!)).reduce((a, b) => a + b, 0),
    'logged',
  );
  assert.equal(
    count(m[5]!),
    cluster.map((r) => count(r['On Kafka']!)).reduce((a, b) => a + b, 0),
    'on Kafka',
  );
  claim(m);
});

test('Java is the version scripts/kafka-local.sh asks for the default Kafka, and Kafka the one CI checks again', () => {
  const script = readDoc('scripts/kafka-local.sh');
  const kafka = /^KAFKA_VERSION=\$\{KAFKA_VERSION:-(\d+)\./m.exec(script)![1]!;
  assert.ok(Number(kafka) >= 4, 'Kafka 4 by default');
  const java = /kafka_major\) >= 4 && major < (\d+)/.exec(script)![1]!;
  for (const m of prose.matchAll(/Java (\d+) or newer/g)) {
    assert.equal(m[1], java, `README: ${m[0]}`);
    claim(m);
  }
  const compat = /KAFKA_COMPAT_VERSION:-(\d+\.\d+)\./.exec(readDoc('.ci/run'))![1]!;
  for (const m of prose.matchAll(/Kafka (\d+\.\d+)/g)) {
    assert.equal(m[1], compat, `README: ${m[0]}`);
    claim(m);
  }
});

test("the ports are the settings' defaults", () => {
  const ports = [SETTINGS.HTTP_PORT.default, SETTINGS.GRPC_PORT.default].map(String);
  let found = 0;
  for (const m of unclaimed(/(?<![\w.,-])\d{4,5}(?!\w|[.,]\d)/g)) {
    assert.ok(ports.includes(m[0]), `README: ${m[0]} is not a port of the settings (${ports})`);
    claim(m);
    found++;
  }
  assert.ok(found >= 2, 'the README names the HTTP and gRPC ports');
});

test('every HTTP status the README names is one the OpenAPI document gives for an event route', () => {
  const openapi = JSON.parse(readDoc('packages/contract/generated/openapi.json')) as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  const statuses = new Set(
    ['/event', '/events'].flatMap((p) => Object.values(openapi.paths[p]!).flatMap((op) => Object.keys(op.responses))),
  );
  for (const m of unclaimed(/(?<![\w.,-])[1-5]\d\d(?!\w|[.,]\d)/g)) {
    assert.ok(statuses.has(m[0]), `README: ${m[0]} is not a status of POST /event or /events`);
    claim(m);
  }
});

test('no figure of the README is left unchecked', () => {
  // The Node.js line: node-versions.test.ts. Exit codes 0 and 1: the shutdown suite and the configuration's tests.
  // The numbers of the three ways' headings are no figures.
  for (const m of prose.matchAll(/^- Node\.js .*$/gm)) claim(m);
  for (const m of prose.matchAll(/^### \d\. /gm)) claim(m);
  for (const m of prose.matchAll(/exits? [01]\b/g)) claim(m);
  const unchecked = unclaimed(/(?<![\w.-])\d[\d,.]*/g).map(
    (m) => `"${m[0]}" in "${prose.slice(Math.max(0, m.index! - 30), m.index! + 30).replace(/\n/g, ' ')}"`,
  );
  assert.deepEqual(unchecked, [], 'figures no test checks');
});
