// Pure parts of the benchmark: node --import tsx --test scripts/bench/test/*.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateEvent } from '@event-sidecar/contract';
import { renderChart, niceStep } from '../lib/chart.js';
import { closedLoop } from '../lib/closed-loop.js';
import { shebangNodeFlags } from '../lib/children.js';
import { generateEvents, payloadStats, sdkCanCarry, toGrpcMessage } from '../lib/events.js';
import { parseProcStatTicks, parseProcStatus } from '../lib/proc.js';
import { parseOptions } from '../lib/options.js';
import { moduleOf } from '../lib/profile.js';
import { renderMarkdown } from '../lib/report.js';
import { evaluateGoals, lowLoadGoals } from '../lib/goals.js';
import type { BenchResults, LoopFigures } from '../lib/results.js';
import { growth, median, pairedDelta, pairedRatio, percentile, type Rounds } from '../lib/stats.js';
import { roundSteps } from '../phases/phase.js';
import type { BenchContext, BenchPhase } from '../phases/phase.js';

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

test('the steps of a round: limits and phases without connections first, then each connection count side by side', () => {
  const phase = (name: BenchPhase['name'], steps: { name: string; connections?: number }[]): BenchPhase => ({
    name,
    steps: () => steps.map((s) => ({ ...s, run: async () => '' })),
  });
  const at = (prefix: string) => [1, 64].map((c) => ({ name: `${prefix} @${c}`, connections: c }));
  // Given in the order of preparation (limits first); a round runs them in the order the bench always had.
  const phases = [
    phase('kafka', [{ name: 'L_kafka' }]),
    phase('http', at('bare')),
    phase('event', at('event')),
    phase('spool', at('spool')),
    phase('events', [{ name: 'POST /events' }]),
    phase('grpc', [{ name: 'gRPC Log' }, { name: 'L_grpc' }]),
    phase('latency', [{ name: 'send @1' }, { name: 'sdk @1' }]),
  ];
  assert.deepEqual(
    roundSteps(phases, {} as BenchContext).map((s) => s.name),
    [
      'L_kafka',
      'POST /events',
      'gRPC Log',
      'L_grpc',
      'send @1',
      'sdk @1',
      'bare @1',
      'event @1',
      'spool @1',
      'bare @64',
      'event @64',
      'spool @64',
    ],
  );
});

test('closed loop: exactly inFlight calls at once, every failure counted, exact latencies', async () => {
  let now = 0;
  let most = 0;
  const result = await closedLoop(
    async (i) => {
      now++;
      most = Math.max(most, now);
      await new Promise((resolve) => setTimeout(resolve, 5));
      now--;
      if (i % 4 === 3) throw new Error(`refused ${i}`);
    },
    3,
    0.5,
  );
  assert.equal(most, 3);
  assert.ok(result.ok >= 3, `ok ${result.ok}`);
  assert.ok(result.failed >= 1, `failed ${result.failed}`);
  assert.equal(
    Object.values(result.failures).reduce((a, b) => a + b, 0),
    result.failed,
  );
  // Timers fire no earlier than asked; a loaded machine may fire them later, never sooner.
  assert.ok(result.p50Ms >= 4.5, `p50 ${result.p50Ms}`);
  assert.equal(pairedDelta([1.5, 2, 9], [1, 1, 1]), 1);
});

test('event-sdk carries log, audit and trace events, not error events (its EventType has no error)', () => {
  const events = generateEvents(100, { seed: 3 });
  assert.deepEqual([...new Set(events.filter(sdkCanCarry).map((e) => e.metadata.event.type))].sort(), [
    'audit',
    'log',
    'trace',
  ]);
  assert.ok(events.some((e) => !sdkCanCarry(e)));
});

test('low-load goals: one call in flight, CPU per event, the curve against received, idle, speed under load', () => {
  const r = (value: number): Rounds => ({ median: value, rounds: [value] });
  const loop = (inFlight: number, eps: number, p50: number, p99: number, cpu: number): LoopFigures => ({
    inFlight,
    eventsPerSecond: r(eps),
    p50Ms: r(p50),
    p99Ms: r(p99),
    cpuUsPerEvent: r(cpu),
    clientCpuUsPerEvent: r(100),
    failed: 0,
    failures: {},
  });
  const send = loop(1, 2000, 0.32, 3.5, 50);
  const results = {
    settings: { limitConnections: 64, rounds: 1, durationS: 1 },
    limits: { http: [{ connections: 64, requestsPerSecond: r(1000) }] },
    sidecar: {
      env: {},
      event: [{ connections: 64, ratioToHttpLimit: 1.2 }],
      events: { ratioToKafkaLimit: 0.36 },
      latency: {
        send,
        grpc: { ...loop(1, 1100, 0.9, 7.9, 390), p50OverSendMs: 0.58, p99OverSendMs: 4.4 },
        http: { ...loop(1, 180, 5.1, 10.9, 2070), p50OverSendMs: 4.78, p99OverSendMs: 7.4 },
      },
      curve: [
        {
          inFlight: 1,
          confirmed: loop(1, 186, 5, 11, 2070),
          received: loop(1, 900, 0.7, 6.4, 518),
          ratioToReceived: 0.2,
        },
        { inFlight: 4, confirmed: loop(4, 1000, 4, 9, 400), received: loop(4, 900, 4, 9, 400), ratioToReceived: 1.1 },
        {
          inFlight: 16,
          confirmed: loop(16, 1519, 9, 34, 318),
          received: loop(16, 1879, 7, 29, 251),
          ratioToReceived: 0.81,
        },
      ],
      idle: { seconds: 20, cpuMs: 60, percentOfCore: 0.3 },
    },
  } as unknown as BenchResults;
  const goals = lowLoadGoals(results, 64);
  const pass = Object.fromEntries(goals.map((g) => [g.name, g.pass]));
  assert.deepEqual(pass, {
    'gRPC Log (event-sdk) at 1 call in flight': true,
    'POST /event at 1 call in flight (one keep-alive connection)': false,
    'sidecar CPU per event, gRPC Log (event-sdk) at 1 call in flight': true,
    'sidecar CPU per event, POST /event at 1 call in flight (one keep-alive connection)': false,
    // The point at 1 in flight has its own goals (latency and CPU): the curve's goal starts at 4.
    'gRPC Log (event-sdk) at 4 calls in flight, ACK_MODE=confirmed': true,
    'gRPC Log (event-sdk) at 16 calls in flight, ACK_MODE=confirmed': false,
    'gRPC Log (event-sdk) at 16 calls in flight through a broker SIGKILLed for 8 s': null,
    'idle sidecar (Kafka connected, no traffic, 20 s)': true,
    'POST /event at 64 connections holds under load': true,
    'POST /events holds under load': false,
  });
  // Through a broker outage: at least 0.8 of the rate without one.
  const outage = (ratio: number) =>
    lowLoadGoals(
      {
        ...results,
        sidecar: {
          ...results.sidecar,
          outage: {
            inFlight: 16,
            windowS: 30,
            downMs: 8000,
            steady: loop(16, 2000, 7, 30, 220),
            outage: loop(16, 2000 * ratio, 7, 300, 250),
            ratio,
            cpuRatio: 1.1,
            restartMs: r(15_000),
            drainMs: r(2000),
          },
        },
      } as BenchResults,
      64,
    ).find((g) => g.name.includes('SIGKILLed'));
  assert.equal(outage(0.85)?.pass, true);
  assert.equal(outage(0.52)?.pass, false);
  assert.match(
    outage(0.52)?.measured ?? '',
    /^0\.52 x \(1040 against 2000 events\/s; CPU 250 against 220 µs per event\)$/,
  );
  // With the bare transports measured, the goals name their floor; without, they do not.
  const measuredOf = (list: typeof goals, name: string) => list.find((g) => g.name === name)?.measured ?? '';
  assert.doesNotMatch(measuredOf(goals, 'gRPC Log (event-sdk) at 1 call in flight'), /alone/);
  const withBare = {
    ...results,
    sidecar: {
      ...results.sidecar,
      latency: {
        ...results.sidecar.latency!,
        bareGrpc: loop(1, 900, 0.61, 3.1, 310),
        bareHttp: loop(1, 900, 0.4, 2, 150),
      },
    },
  } as BenchResults;
  const bareGoals = lowLoadGoals(withBare, 64);
  assert.match(
    measuredOf(bareGoals, 'gRPC Log (event-sdk) at 1 call in flight'),
    /the bare grpc-js server alone: 0\.61 \/ 3\.1 ms$/,
  );
  assert.match(
    measuredOf(bareGoals, 'sidecar CPU per event, gRPC Log (event-sdk) at 1 call in flight'),
    /^390 µs \(the bare grpc-js server alone: 310 µs\)$/,
  );
  assert.match(
    measuredOf(bareGoals, 'sidecar CPU per event, POST /event at 1 call in flight (one keep-alive connection)'),
    /the bare express app alone: 150 µs/,
  );
  // Without the low-load phases, their goals read "not measured".
  const none = lowLoadGoals({ ...results, sidecar: { env: {}, event: [] } } as unknown as BenchResults, 64);
  assert.ok(none.every((g) => g.pass === null));
});

test('low-load rows in the table and a second row of panels in the chart', () => {
  const r = (value: number): Rounds => ({ median: value, rounds: [value] });
  const loop = (inFlight: number, p50: number): LoopFigures => ({
    inFlight,
    eventsPerSecond: r(1000),
    p50Ms: r(p50),
    p99Ms: r(4),
    cpuUsPerEvent: r(300),
    clientCpuUsPerEvent: r(100),
    failed: 0,
    failures: {},
  });
  const results = {
    version: 1,
    date: '2026-01-01T00:00:00Z',
    command: 'npm run bench -- --phases=latency,curve,idle',
    mode: 'quick',
    git: { commit: 'abc', branch: 'main', dirty: false },
    machine: { cpuModel: 'cpu', cores: 2, node: '20', kafka: '4.4.0', loadAverageStart: [1, 1, 1] },
    settings: { limitConnections: 64, rounds: 1, durationS: 1 },
    payload: { events: 1, meanBytes: 1, minBytes: 1, maxBytes: 1, byType: {} },
    limits: { http: [] },
    sidecar: {
      env: {},
      event: [],
      latency: {
        send: loop(1, 0.32),
        grpc: { ...loop(1, 0.81), p50OverSendMs: 0.49, p99OverSendMs: 0.5 },
        // On a noisy machine a path's p99 can come out below send()'s in the same rounds.
        http: { ...loop(1, 0.9), p50OverSendMs: 0.58, p99OverSendMs: -1.5 },
        bareGrpc: loop(1, 0.61),
        bareHttp: loop(1, 0.44),
      },
      curve: [1, 4].map((n) => ({ inFlight: n, confirmed: loop(n, 1), received: loop(n, 1), ratioToReceived: 1 })),
      idle: { seconds: 20, cpuMs: 40, percentOfCore: 0.2 },
    },
    goals: [],
    skipped: [],
  } as unknown as BenchResults;
  const table = renderMarkdown(results);
  assert.match(
    table,
    /\| raw kafkajs `send\(\)` of one record \| 1 in flight \| 1,000 sends\/s \| 1,000 \| 1 \(floor\) \| 0\.32 \| 4\.00 \|/,
  );
  assert.match(
    table,
    /\| sidecar gRPC `Log` via `@mojaloop\/event-sdk` \| 1 in flight \| .* \| p50 \+0\.49 ms, p99 \+0\.5 ms over `send\(\)` \| 0\.81 \|/,
  );
  assert.equal(table.split('\n').filter((l) => l.includes('ACK_MODE=received` | ')).length, 2);
  assert.match(
    table,
    /\| sidecar `POST \/event`, one keep-alive connection \| .* \| p50 \+0\.58 ms, p99 -1\.5 ms over `send\(\)` \|/,
  );
  // The transports alone, beside the sidecar's rows.
  assert.match(
    table,
    /\| bare grpc-js `Log` via `@mojaloop\/event-sdk` \| 1 in flight \| .* \| gRPC floor \| 0\.61 \|/,
  );
  assert.match(
    table,
    /\| bare express `POST \/event`, one keep-alive connection \| 1 in flight \| .* \| HTTP floor \| 0\.44 \|/,
  );
  assert.match(table, /\| sidecar idle: Kafka connected, no traffic \| 20 s \| .* \| 0\.20 % of a core \(40 ms\) \|/);
  const svg = renderChart(results);
  assert.match(svg, /height="770"/);
  assert.match(svg, /1 call in flight: latency/);
  assert.match(svg, /ACK_MODE=received/);
});

test('options: the low-load phases, their calls in flight and idle time', () => {
  const o = parseOptions(['--quick', '--phases=latency', '--in-flight=64,1,4', '--idle=5'], {});
  assert.deepEqual(o.phases, ['latency']);
  assert.deepEqual(o.curveInFlight, [1, 4, 64]);
  assert.equal(o.idleS, 5);
  const d = parseOptions([], {});
  assert.deepEqual(d.curveInFlight, [1, 4, 16, 64]);
  assert.equal(d.idleS, 20);
  for (const p of ['latency', 'curve', 'idle'] as const) assert.ok(d.phases.includes(p), p);
});
