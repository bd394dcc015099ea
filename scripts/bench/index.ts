// `npm run bench`: the sidecar beside its limits, in one run, on one broker, with the same events.
// Phases (scripts/bench/phases/<name>.ts), each run for several rounds (alternating the order of a phase and its
// limit from round to round):
//   kafka    L_kafka, raw kafkajs sendBatch of 100 events (acks=-1)
//   http     L_http, a bare express 5 app in its own process, at every connection count
//   event    the sidecar's POST /event at every connection count
//   spool    POST /event of a second sidecar whose Kafka is away (SPOOL_DIR set, no broker at its address): every
//            event spooled (202), beside the event phase at the same connections; needs `event` for its ratio
//   events   the sidecar's POST /events, 100 events per request
//   grpc     the sidecar's gRPC Log, many calls in flight over a few channels
//   latency  one call in flight: gRPC through @mojaloop/event-sdk and POST /event over one keep-alive connection,
//            beside raw kafkajs send() of one record
//   curve    gRPC through @mojaloop/event-sdk at 1, 4, 16 and 64 calls in flight, ACK_MODE=confirmed beside a
//            second sidecar with ACK_MODE=received
//   outage   gRPC through @mojaloop/event-sdk at 16 calls in flight for 30 s with a broker of its own SIGKILLed for
//            8 s, beside the same 30 s without a fault
//   idle     the sidecar's CPU with Kafka connected and no traffic (once, after the rounds)
//   recorder a service logging straight to Kafka through event-sdk's Span API: EventSdkRecorder beside the SDK's
//            direct mode, each with a broker of the phase's own SIGKILLed mid-way (once, after the rounds)
//   soak     POST /event at half the peak rate, RSS at its start and end (once, after the rounds)
// This file only orchestrates: options, shared resources, the rounds, the report and its files.
// Writes <out>/<name>.json, .md and .svg (bench/results/latest.* by default, quick.* with --quick).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Message } from 'kafkajs';
import { renderChart } from './lib/chart.js';
import { generateEvents, payloadStats } from './lib/events.js';
import { probe } from './lib/http-load.js';
import { RawKafka } from './lib/kafka-load.js';
import { parseOptions, UsageRequested, type BenchOptions } from './lib/options.js';
import { renderProfile, summarizeProfile } from './lib/profile.js';
import { readmeFromResults } from './lib/readme-table.js';
import { renderMarkdown } from './lib/report.js';
import { evaluateGoals } from './lib/goals.js';
import type { BenchResults } from './lib/results.js';
import { commandLine, git, machineInfo, newestProfile, runSettings, sidecarSettings } from './lib/run-info.js';
import { curvePhase } from './phases/curve.js';
import { eventPhase } from './phases/event.js';
import { eventsPhase } from './phases/events.js';
import { grpcPhase } from './phases/grpc.js';
import { httpPhase } from './phases/http.js';
import { idlePhase } from './phases/idle.js';
import { kafkaPhase } from './phases/kafka.js';
import { latencyPhase } from './phases/latency.js';
import { outagePhase } from './phases/outage.js';
import { recorderPhase } from './phases/recorder.js';
import { Failures } from './phases/measure.js';
import { release, roundSteps, type BenchContext, type BenchPhase, type Payloads } from './phases/phase.js';
import { startSidecar } from './phases/sidecar.js';
import { soakPhase } from './phases/soak.js';
import { spoolPhase } from './phases/spool.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));

const log = (message: string): void => {
  process.stderr.write(`bench: ${message}\n`);
};

/**
 * Every phase, in the order they are prepared, warmed up and reported: limits first, since the phases after them
 * read their per-round figures for paired ratios; soak last, as it loads the sidecar for minutes.
 */
function allPhases(): BenchPhase[] {
  return [
    kafkaPhase(),
    httpPhase(),
    eventPhase(),
    spoolPhase(),
    eventsPhase(),
    grpcPhase(),
    latencyPhase(),
    curvePhase(),
    outagePhase(),
    idlePhase(),
    recorderPhase(),
    soakPhase(),
  ];
}

/** The events of the run, serialized once for each transport. */
function makePayloads(options: BenchOptions): Payloads {
  const events = generateEvents(1000, { seed: 1 });
  const json = events.map((e) => Buffer.from(JSON.stringify(e)));
  const batchBodies = Array.from({ length: 8 }, (_, b) => {
    const slice = Array.from(
      { length: options.eventsPerRequest },
      (_, i) => json[(b * options.eventsPerRequest + i) % json.length]!,
    );
    return Buffer.concat([Buffer.from('['), Buffer.from(slice.join(',')), Buffer.from(']')]);
  });
  const kafkaBatches: Message[][] = Array.from({ length: 10 }, (_, b) =>
    Array.from({ length: options.kafkaBatch }, (_, i) => {
      const index = (b * options.kafkaBatch + i) % events.length;
      return { key: events[index]!.metadata.trace.traceId, value: json[index]! };
    }),
  );
  return { events, json, singleBodies: json.slice(0, 64), batchBodies, kafkaBatches };
}

/** The options and brokers of the run, or the exit code when there is nothing to run. */
function readSettings(argv: readonly string[]): { options: BenchOptions; brokers: string[] } | number {
  let options: BenchOptions;
  try {
    options = parseOptions(argv, process.env);
  } catch (err) {
    if (err instanceof UsageRequested) {
      console.log(err.message);
      return 0;
    }
    console.error((err as Error).message);
    return 2;
  }
  const brokers = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) {
    console.error('KAFKA_BROKERS is not set: run through `npm run bench` (scripts/with-kafka.sh starts a broker)');
    return 2;
  }
  return { options, brokers };
}

/** The context the phases share; `phases` are those that run, `skipped` collects what does not. */
function createContext(
  options: BenchOptions,
  brokers: string[],
  outDir: string,
  phases: readonly BenchPhase[],
  skipped: { phase: string; reason: string }[],
): BenchContext {
  const runId = Date.now().toString(36);
  const topics = { raw: `bench-raw-${runId}`, sidecar: `bench-sidecar-${runId}` };
  const kafka = new RawKafka(brokers, options.kafkaIdempotent);
  let rawTopic: Promise<string> | undefined;
  const ctx: BenchContext = {
    options,
    repo: REPO,
    benchDir: BENCH_DIR,
    outDir,
    brokers,
    payloads: makePayloads(options),
    kafka,
    topics,
    resources: { closers: [], children: [], dirs: [], topics: [topics.raw, topics.sidecar] },
    warmupFailures: new Failures(),
    log,
    selected: (phase) => options.phases.includes(phase),
    running: (phase) => phases.some((p) => p.name === phase) && !skipped.some((s) => s.phase === phase),
    skip(list, reason) {
      for (const phase of list) {
        if (ctx.selected(phase) && !skipped.some((s) => s.phase === phase)) {
          skipped.push({ phase, reason });
          log(`skipping ${phase}: ${reason}`);
        }
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
async function startSharedSidecar(
  ctx: BenchContext,
  phases: readonly BenchPhase[],
  profileDir: string | undefined,
): Promise<Record<string, string>> {
  if (!phases.some((p) => p.needsSidecar)) return {};
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  try {
    const sidecar = await startSidecar(ctx, {
      topic: ctx.topics.sidecar,
      ackMode: 'confirmed',
      logName: 'sidecar.log',
      ...(profileDir ? { profileDir } : {}),
    });
    ctx.sidecar = sidecar;
    log(`sidecar ready (pid ${sidecar.child.pid}, topic ${ctx.topics.sidecar})`);
    const one = await probe(`${sidecar.url}/event`, ctx.payloads.singleBodies[0]!);
    if (one.status === 201) ctx.acknowledged += 1;
    else ctx.skip(['event', 'soak', 'latency'], `POST /event answered ${one.status}: ${one.body}`);
    return sidecarSettings(sidecar.env);
  } catch (err) {
    ctx.skip(
      allPhases()
        .filter((p) => p.needsSidecar)
        .map((p) => p.name),
      (err as Error).message,
    );
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
    const failed = f.non2xx + f.errors + f.timeouts;
    log(`warm-up done${failed > 0 ? ` (${failed} failed requests: ${JSON.stringify(f.statusCodes)})` : ''}`);
  }
  const steps = roundSteps(active, ctx);
  for (let round = 0; round < options.rounds; round++) {
    // Odd rounds run the steps backwards: a phase and its limit swap places, so drift does not favour either.
    const order = round % 2 === 0 ? steps : [...steps].reverse();
    for (const step of order) {
      const summary = await step.run(ctx);
      log(`[round ${round + 1}/${options.rounds}] ${step.name}: ${summary}`);
      const sidecar = ctx.sidecar?.child;
      if (sidecar?.hasExited()) throw new Error(`the sidecar exited during ${step.name}:\n${sidecar.tail()}`);
    }
  }
  return active;
}

/** Figures over every phase: the sidecar's peak RSS, and what it acknowledged against the records of its topic. */
async function overallFigures(ctx: BenchContext, results: BenchResults): Promise<void> {
  const { sidecar } = results;
  const peaks = [
    ...sidecar.event.flatMap((p) => p.peakRssMiB.rounds),
    ...(sidecar.spool?.event ?? []).flatMap((p) => p.peakRssMiB.rounds),
    ...(sidecar.events?.peakRssMiB.rounds ?? []),
    ...(sidecar.grpc?.peakRssMiB.rounds ?? []),
    ...(sidecar.soak ? [sidecar.soak.rssMaxMiB] : []),
  ].filter(Number.isFinite);
  if (peaks.length > 0) sidecar.peakRssMiB = Math.max(...peaks);
  if (ctx.sidecar && ctx.acknowledged > 0) {
    sidecar.delivery = {
      acknowledged: ctx.acknowledged,
      recordsInTopic: await ctx.kafka.records(ctx.topics.sidecar),
    };
  }
}

/** The profile's summary (with `--profile`), the goals, and the files of the run. */
function writeReport(results: BenchResults, options: BenchOptions, outDir: string, profileDir?: string): void {
  if (profileDir) {
    const file = newestProfile(profileDir);
    if (file) {
      const summary = summarizeProfile(file);
      results.profile = { ...summary, file: relative(REPO, file) };
      writeFileSync(join(outDir, `${options.name}-profile.md`), renderProfile(results.profile));
      log(`profile: ${relative(REPO, file)}`);
      process.stderr.write(`${renderProfile(results.profile)}\n`);
    } else {
      log('profile: the sidecar wrote no .cpuprofile (did it exit cleanly?)');
    }
  }
  results.goals = evaluateGoals(results, options.limitConnections);
  const markdown = renderMarkdown(results);
  writeFileSync(join(outDir, `${options.name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, `${options.name}.md`), markdown);
  writeFileSync(join(outDir, `${options.name}.svg`), renderChart(results));
  console.log(markdown);
  log(`wrote ${relative(REPO, join(outDir, options.name))}.{json,md,svg}`);
  if (options.name === 'latest' && outDir === join(REPO, 'bench/results')) {
    const readme = join(REPO, 'README.md');
    writeFileSync(readme, readmeFromResults(readFileSync(readme, 'utf8'), outDir));
    log("wrote README.md's performance table");
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const settings = readSettings(argv);
  if (typeof settings === 'number') return settings;
  const { options, brokers } = settings;
  const outDir = resolve(REPO, options.outDir);
  mkdirSync(outDir, { recursive: true });
  const machine = machineInfo();
  const date = new Date().toISOString();
  log(
    `${options.quick ? 'quick' : 'full'} run: ${options.rounds} rounds of ${options.durationS} s (+${options.warmupS} s warm-up), soak ${options.soakS} s, phases ${options.phases.join(',')}`,
  );
  log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverageStart.map((l) => l.toFixed(1)).join(' ')}`,
  );
  const phases = allPhases().filter((p) => options.phases.includes(p.name) && (p.enabled?.(options) ?? true));
  const skipped: { phase: string; reason: string }[] = [];
  const ctx = createContext(options, brokers, outDir, phases, skipped);
  const payload = payloadStats(ctx.payloads.events);
  log(
    `payload: ${payload.events} events, ${payload.meanBytes} bytes on average (${payload.minBytes}-${payload.maxBytes}), ${JSON.stringify(payload.byType)}`,
  );

  // What the run starts is always released: at the end, on an error, or on a signal.
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await release(ctx.resources, ctx.kafka, log);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const profileDir = options.profile ? join(outDir, 'profile') : undefined;
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
      skipped,
    };
    // Limits report first: the phases after them read their per-round figures for paired ratios.
    for (const phase of active) await phase.report?.(ctx, results);
    await overallFigures(ctx, results);
    machine.loadAverageEnd = os.loadavg();
    // The sidecar writes its CPU profile as it exits: stop everything before reading it.
    await cleanup();
    writeReport(results, options, outDir, profileDir);
    return 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
