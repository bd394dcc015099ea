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
import { growth, median, pairedRatio, percentile } from '../lib/stats.js';

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
  assert.deepEqual(shebangNodeFlags(cli), ['--max-semi-space-size=2']);
  assert.deepEqual(shebangNodeFlags(new URL(import.meta.url).pathname), []);
});
