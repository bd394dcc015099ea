// Pure parts of the benchmark: node --import tsx --test scripts/bench/test/*.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateEvent } from '@event-sidecar/contract';
import { niceStep } from '../lib/chart.js';
import { shebangNodeFlags } from '../lib/children.js';
import { generateEvents, payloadStats, toGrpcMessage } from '../lib/events.js';
import { parseProcStatTicks, parseProcStatus } from '../lib/proc.js';
import { parseOptions } from '../lib/options.js';
import { moduleOf } from '../lib/profile.js';
import { renderMarkdown } from '../lib/report.js';
import { evaluateGoals, type BenchResults } from '../lib/results.js';
import { growth, median, pairedRatio, percentile, type Rounds } from '../lib/stats.js';

test('median, percentile, paired ratio and growth', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
  assert.equal(percentile([5, 1, 4, 2, 3], 99), 5);
  assert.equal(percentile([5, 1, 4, 2, 3], 0), 1);
  // Per-round ratios 0.5, 0.6, 0.4: their median, not the ratio of the medians.
  assert.equal(pairedRatio([50, 120, 40], [100, 200, 100]), 0.5);
  assert.equal(growth(100, 110), 0.1);
});

test('events: reproducible, valid, about 1 KB, every type', () => {
  const a = generateEvents(200, { seed: 7 });
  const b = generateEvents(200, { seed: 7 });
  assert.deepEqual(a, b);
  for (const event of a) assert.equal(validateEvent(event).ok, true);
  const stats = payloadStats(a);
  assert.ok(stats.meanBytes > 900 && stats.meanBytes < 1300, `mean ${stats.meanBytes}`);
  for (const type of ['log', 'audit', 'trace', 'error'] as const) assert.ok(stats.byType[type] > 0, type);
  const grpc = toGrpcMessage(a[0]!) as { content: { type_url: string; value: Buffer } };
  assert.equal(grpc.content.type_url, a[0]!.type);
  assert.ok(Buffer.isBuffer(grpc.content.value));
});

test('/proc status parsing', () => {
  const text = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';
  assert.deepEqual(parseProcStatus(text), { rssBytes: 102400 * 1024, peakBytes: 204800 * 1024 });
  assert.equal(parseProcStatus('Name:\tnode\n'), undefined);
  // utime 1500 and stime 250 ticks are fields 14 and 15; the command name may hold spaces and parentheses.
  const stat = '4242 (node (x) y) S 1 2 3 4 5 6 7 8 9 10 1500 250 0 0 20 0 11 0 100 0 0';
  assert.equal(parseProcStatTicks(stat), 1750);
});

test('options: defaults, --quick, and every problem listed', () => {
  const full = parseOptions([], {});
  assert.equal(full.soakS, 300);
  assert.equal(full.name, 'latest');
  assert.deepEqual(full.connections, [1, 16, 64, 256]);
  const quick = parseOptions(['--quick'], { BENCH_SOAK_SECONDS: '10' });
  assert.equal(quick.soakS, 10);
  assert.equal(quick.name, 'quick');
  assert.equal(parseOptions(['--quick', '--soak=5'], { BENCH_SOAK_SECONDS: '10' }).soakS, 5);
  assert.throws(
    () => parseOptions(['--rounds=0', '--phases=kafka,nope'], {}),
    (err: Error) => /rounds must be/.test(err.message) && /unknown phase "nope"/.test(err.message),
  );
});

test('chart steps and profile modules', () => {
  assert.equal(niceStep(4400), 1000);
  assert.equal(niceStep(110), 25);
  assert.equal(
    moduleOf({ functionName: 'x', url: 'file:///r/node_modules/@grpc/grpc-js/build/a.js', lineNumber: 1 }),
    '@grpc/grpc-js',
  );
  assert.equal(
    moduleOf({ functionName: 'x', url: 'file:///r/packages/producer/dist/producer.js', lineNumber: 1 }),
    '@event-sidecar/producer',
  );
  assert.equal(moduleOf({ functionName: '(garbage collector)', url: '', lineNumber: -1 }), '(garbage collector)');
  assert.equal(moduleOf({ functionName: 'x', url: 'node:internal/streams', lineNumber: 1 }), 'node core');
});

test('the sidecar is started with the node flags of its shebang', () => {
  const cli = new URL('../../../packages/sidecar/src/cli.ts', import.meta.url).pathname;
  assert.deepEqual(shebangNodeFlags(cli), ['--max-semi-space-size=4', '--heap-growing-percent=100']);
  assert.deepEqual(shebangNodeFlags(new URL(import.meta.url).pathname), []);
});

test('spooled ingestion: its goal is met at 0.5 x the Kafka path, and it has a row per connection count', () => {
  const r = (value: number): Rounds => ({ median: value, rounds: [value] });
  const point = (connections: number, ratio: number) => ({
    connections,
    requestsPerSecond: r(1000 * ratio),
    p50Ms: r(1),
    p99Ms: r(5),
    cpuUsPerEvent: r(100),
    clientCpuUsPerEvent: r(50),
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    statusCodes: {},
    peakRssMiB: r(90),
    heapTotalMiB: r(30),
    ratioToKafkaPath: ratio,
    cpuRatioToKafkaPath: 0.8,
  });
  const results = {
    version: 1,
    date: '2026-01-01T00:00:00Z',
    command: 'npm run bench',
    mode: 'quick',
    git: { commit: 'abc', branch: 'main', dirty: false },
    machine: {
      cpuModel: 'cpu',
      cores: 2,
      totalMemoryMiB: 1,
      os: 'os',
      node: '20',
      kafka: '4.4.0',
      loadAverageStart: [1, 1, 1],
      loadAverageEnd: [],
    },
    settings: { limitConnections: 64, rounds: 1, durationS: 1 },
    payload: { events: 1, meanBytes: 1, minBytes: 1, maxBytes: 1, byType: {} },
    limits: { http: [] },
    sidecar: { env: {}, event: [], spool: { sync: 'full', lingerMs: 2, event: [point(16, 0.4), point(64, 0.5)] } },
    goals: [],
    skipped: [],
  } as unknown as BenchResults;
  const goal = evaluateGoals(results, 64).find((g) => g.name.startsWith('spooled ingestion'));
  assert.deepEqual(goal, {
    name: 'spooled ingestion (POST /event at 64 connections, Kafka away)',
    target: '>= 0.5 x the Kafka path',
    measured: '0.50 x the Kafka path',
    pass: true,
  });
  assert.equal(
    evaluateGoals({ ...results, sidecar: { env: {}, event: [] } }, 64).find((g) => g.name.startsWith('spooled'))?.pass,
    null,
  );
  const rows = renderMarkdown(results)
    .split('\n')
    .filter((l) => l.includes('spool (Kafka away)'));
  assert.equal(rows.length, 2);
  assert.match(rows[1]!, /\| 64 connections \| 500 req\/s \| 500 \| 0\.50 × Kafka path \|/);
  assert.ok(parseOptions([], {}).phases.includes('spool'));
});
