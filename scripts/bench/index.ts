// `npm run bench`: the sidecar beside its limits, in one run, on one broker, with the same events (bench/README.md
// lists the phases). This file only orchestrates: options, the shared sidecar, the rounds (alternating the order of
// a phase and its limit), the report and its files: <out>/<name>.json, .md and .svg (bench/results/latest.* by
// default, quick.* with --quick), and the README's performance table after a run written as `latest`.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './lib/chart.js';
import { generateEvents, payloadStats } from './lib/events.js';
import { evaluateGoals } from './lib/goals.js';
import { probe } from './lib/http-load.js';
import { RawKafka } from './lib/kafka-load.js';
import { parseOptions, UsageRequested, type BenchOptions } from './lib/options.js';
import { renderProfile, summarizeProfile } from './lib/profile.js';
import { readmeFromResults } from './lib/readme-table.js';
import { renderMarkdown } from './lib/report.js';
import type { BenchResults } from './lib/results.js';
import { commandLine, git, machineInfo, newestProfile, runSettings, sidecarSettings } from './lib/run-info.js';
import { budgetPhase } from './phases/budget.js';
import { curvePhase } from './phases/curve.js';
import { eventPhase, httpPhase, spoolPhase } from './phases/http.js';
import { eventsPhase } from './phases/events.js';
import { grpcPhase } from './phases/grpc.js';
import { idlePhase } from './phases/idle.js';
import { kafkaPhase } from './phases/kafka.js';
import { latencyPhase } from './phases/latency.js';
import { Failures } from './phases/measure.js';
import { outagePhase } from './phases/outage.js';
import { release, roundSteps, type BenchContext, type BenchPhase, type Payloads } from './phases/phase.js';
import { recorderPhase } from './phases/recorder.js';
import { startSidecar } from './phases/sidecar.js';
import { soakPhase } from './phases/soak.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const log = (message: string): void => void process.stderr.write(`bench: ${message}\n`);

/**
 * Every phase, in the order they are prepared, warmed up and reported: limits first, since the phases after them
 * read their per-round figures for paired ratios; soak last, as it loads the sidecar for minutes.
 */
const PHASES: (() => BenchPhase)[] = [
  kafkaPhase,
  httpPhase,
  eventPhase,
  spoolPhase,
  eventsPhase,
  grpcPhase,
  latencyPhase,
  curvePhase,
  budgetPhase,
  outagePhase,
  idlePhase,
  recorderPhase,
  soakPhase,
];

/** The events of the run, serialized once for each transport. */
function makePayloads({ eventsPerRequest: perRequest, kafkaBatch }: BenchOptions): Payloads {
  const events = generateEvents(1000, { seed: 1 });
  const json = events.map((e) => Buffer.from(JSON.stringify(e)));
  const nth = (i: number) => i % events.length;
  const batchBodies = Array.from({ length: 8 }, (_, b) => {
    const slice = Array.from({ length: perRequest }, (_, i) => json[nth(b * perRequest + i)]!);
    return Buffer.concat([Buffer.from('['), Buffer.from(slice.join(',')), Buffer.from(']')]);
  });
  const kafkaBatches = Array.from({ length: 10 }, (_, b) =>
    Array.from({ length: kafkaBatch }, (_, i) => {
      const index = nth(b * kafkaBatch + i);
      return { key: events[index]!.metadata.trace.traceId, value: json[index]! };
    }),
  );
  return { events, json, singleBodies: json.slice(0, 64), batchBodies, kafkaBatches };
}

/** The context the phases share; `phases` are those that run, `skipped` collects what does not. */
function createContext(options: BenchOptions, brokers: string[], phases: readonly BenchPhase[]): BenchContext {
  const runId = Date.now().toString(36);
  const topics = { raw: `bench-raw-${runId}`, sidecar: `bench-sidecar-${runId}` };
  const kafka = new RawKafka(brokers);
  let rawTopic: Promise<string> | undefined;
  const skipped: { phase: string; reason: string }[] = [];
  const ctx: BenchContext = {
    options,
    repo: REPO,
    benchDir: fileURLToPath(new URL('.', import.meta.url)),
    outDir: resolve(REPO, options.outDir),
    brokers,
    payloads: makePayloads(options),
    kafka,
    topics,
    resources: { closers: [], children: [], dirs: [], topics: [topics.raw, topics.sidecar] },
    warmupFailures: new Failures(),
    log,
    skipped,
    selected: (phase) => options.phases.includes(phase),
    running: (phase) => phases.some((p) => p.name === phase) && !skipped.some((s) => s.phase === phase),
    skip(list, reason) {
      for (const phase of list.filter((p) => ctx.selected(p) && !skipped.some((s) => s.phase === p))) {
        skipped.push({ phase, reason });
        log(`skipping ${phase}: ${reason}`);
      }
    },
    rawTopic: () => (rawTopic ??= kafka.createTopic(topics.raw, options.partitions).then(() => topics.raw)),
    acknowledged: 0,
  };
  return ctx;
}

/**
 * Starts the sidecar under test (`ACK_MODE=confirmed`) once for every phase that needs it and checks that it takes
 * one event; its recorded settings, or none when no phase needs it or it could not start (those phases skipped).
 */
async function startSharedSidecar(ctx: BenchContext, phases: readonly BenchPhase[], profileDir?: string) {
  const needing = phases.filter((p) => p.needsSidecar).map((p) => p.name);
  if (needing.length === 0) return {};
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  try {
    const launch = { topic: ctx.topics.sidecar, ackMode: 'confirmed', logName: 'sidecar.log' } as const;
    const sidecar = await startSidecar(ctx, { ...launch, ...(profileDir ? { profileDir } : {}) });
    ctx.sidecar = sidecar;
    log(`sidecar ready (pid ${sidecar.child.pid}, topic ${ctx.topics.sidecar})`);
    const one = await probe(`${sidecar.url}/event`, ctx.payloads.singleBodies[0]!);
    if (one.status === 201) ctx.acknowledged += 1;
    else ctx.skip(['event', 'soak', 'latency'], `POST /event answered ${one.status}: ${one.body}`);
    return sidecarSettings(sidecar.env);
  } catch (err) {
    ctx.skip(needing, (err as Error).message);
    return {};
  }
}

/** Prepares every phase, warms them up once, then runs the rounds; the phases that ran. */
async function runRounds(ctx: BenchContext, phases: readonly BenchPhase[]): Promise<BenchPhase[]> {
  const { options } = ctx;
  for (const phase of phases) if (ctx.running(phase.name)) await phase.prepare?.(ctx);
  const active = phases.filter((p) => ctx.running(p.name));
  // One warm-up of every process before the first round (JIT, heap growth, connections), so that round 1 is
  // not the slowest by construction; the per-step warm-ups then only re-establish connections.
  if (options.warmupS > 0) {
    for (const phase of active) await phase.warmUp?.(ctx, options.warmupS * 2);
    const f = ctx.warmupFailures;
    const failed = f.non2xx + f.errors + f.timeouts + f.failed;
    log(`warm-up done${failed > 0 ? ` (${failed} failed requests: ${JSON.stringify(f.statusCodes)})` : ''}`);
  }
  const steps = roundSteps(active, ctx);
  for (let round = 0; round < options.rounds; round++) {
    // Odd rounds run the steps backwards: a phase and its limit swap places, so drift does not favour either.
    for (const step of round % 2 === 0 ? steps : [...steps].reverse()) {
      log(`[round ${round + 1}/${options.rounds}] ${step.name}: ${await step.run(ctx)}`);
      const sidecar = ctx.sidecar?.child;
      if (sidecar?.hasExited()) throw new Error(`the sidecar exited during ${step.name}:\n${sidecar.tail()}`);
    }
  }
  return active;
}

/** Figures over every phase: the sidecar's peak RSS, and what it acknowledged against the records of its topic. */
async function overallFigures(ctx: BenchContext, results: BenchResults): Promise<void> {
  const { event, spool, events, grpc, soak } = results.sidecar;
  const peaks = [...event, ...(spool?.event ?? []), ...(events ? [events] : []), ...(grpc ? [grpc] : [])]
    .flatMap((p) => p.peakRssMiB.rounds)
    .concat(soak ? [soak.rssMaxMiB] : [])
    .filter(Number.isFinite);
  if (peaks.length > 0) results.sidecar.peakRssMiB = Math.max(...peaks);
  if (ctx.sidecar && ctx.acknowledged > 0) {
    const recordsInTopic = await ctx.kafka.records(ctx.topics.sidecar);
    results.sidecar.delivery = { acknowledged: ctx.acknowledged, recordsInTopic };
  }
}

/** The profile's summary (with `--profile`), the goals, the files of the run, and the README's table. */
function writeReport(results: BenchResults, { name }: BenchOptions, outDir: string, profileDir?: string): void {
  const file = profileDir ? newestProfile(profileDir) : undefined;
  if (file) {
    results.profile = { ...summarizeProfile(file), file: relative(REPO, file) };
    writeFileSync(join(outDir, `${name}-profile.md`), renderProfile(results.profile));
    process.stderr.write(`${renderProfile(results.profile)}\n`);
  } else if (profileDir) log('profile: the sidecar wrote no .cpuprofile (did it exit cleanly?)');
  results.goals = evaluateGoals(results, (results.settings as { limitConnections: number }).limitConnections);
  const markdown = renderMarkdown(results);
  writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, `${name}.md`), markdown);
  writeFileSync(join(outDir, `${name}.svg`), renderChart(results));
  console.log(markdown);
  log(`wrote ${relative(REPO, join(outDir, name))}.{json,md,svg}`);
  if (name === 'latest' && outDir === join(REPO, 'bench/results')) {
    const readme = join(REPO, 'README.md');
    writeFileSync(readme, readmeFromResults(readFileSync(readme, 'utf8'), outDir));
    log("wrote README.md's performance table");
  }
}

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(argv, process.env);
  } catch (err) {
    const usage = err instanceof UsageRequested;
    (usage ? console.log : console.error)((err as Error).message);
    return usage ? 0 : 2;
  }
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').flatMap((b) => (b.trim() ? [b.trim()] : []));
  if (brokers.length === 0) {
    console.error('KAFKA_BROKERS is not set: run through `npm run bench` (scripts/with-kafka.sh starts a broker)');
    return 2;
  }
  const { rounds, durationS, warmupS, soakS } = options;
  const machine = machineInfo();
  const date = new Date().toISOString();
  const phases = PHASES.map((make) => make()).filter(
    (p) => options.phases.includes(p.name) && (p.enabled?.(options) ?? true),
  );
  const ctx = createContext(options, brokers, phases);
  mkdirSync(ctx.outDir, { recursive: true });
  const payload = payloadStats(ctx.payloads.events);
  log(
    `${options.quick ? 'quick' : 'full'} run: ${rounds} rounds of ${durationS} s (+${warmupS} s warm-up), soak ${soakS} s`,
  );
  log(
    `phases ${options.phases.join(',')}; machine ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverageStart.map((l) => l.toFixed(1)).join(' ')}`,
  );
  log(`payload: ${payload.events} events, ${payload.meanBytes} bytes on average, ${JSON.stringify(payload.byType)}`);

  // What the run starts is always released: at the end, on an error, or on a signal.
  let cleaned: Promise<void> | undefined;
  const cleanup = () => (cleaned ??= release(ctx.resources, ctx.kafka, log));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  const profileDir = options.profile ? join(ctx.outDir, 'profile') : undefined;
  try {
    await ctx.kafka.connect();
    const sidecarEnv = await startSharedSidecar(ctx, phases, profileDir);
    const active = await runRounds(ctx, phases);
    const results: BenchResults = {
      version: 1,
      date,
      command: commandLine(argv),
      mode: options.quick ? 'quick' : 'full',
      git: {
        commit: git(REPO, ['rev-parse', '--short', 'HEAD']),
        branch: git(REPO, ['rev-parse', '--abbrev-ref', 'HEAD']),
        dirty: git(REPO, ['status', '--porcelain']) !== '',
      },
      machine,
      settings: runSettings(options),
      payload,
      limits: { http: [] },
      sidecar: { env: sidecarEnv, event: [] },
      goals: [],
      skipped: ctx.skipped,
    };
    // Limits report first: the phases after them read their per-round figures for paired ratios.
    for (const phase of active) await phase.report?.(ctx, results);
    await overallFigures(ctx, results);
    machine.loadAverageEnd = os.loadavg();
    // The sidecar writes its CPU profile as it exits: stop everything before reading it.
    await cleanup();
    writeReport(results, options, ctx.outDir, profileDir);
    return 0;
  } finally {
    await cleanup();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
