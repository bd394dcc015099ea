// `budget`: where the sidecar's CPU per event goes, stage by stage, for gRPC through @mojaloop/event-sdk at one call
// in flight and for `POST /events`. A second sidecar runs under `--cpu-prof` beside the shared one; each round drives
// both with the same load (unprofiled first on even rounds, second on odd ones). Every sample of the profile taken
// while the load ran is given to a stage by its stack: the innermost frame that belongs to a stage decides
// (`stageOf`), so that a socket write under kafkajs is the produce request and one under the gRPC answer is the
// answer; a stack with no such frame is the transport (grpc-js, node:http, sockets) or the runtime (GC, the event
// loop, V8). Each stage's share of the samples splits the process's CPU time per acknowledged event (/proc, every
// thread): samples are taken in wall time, so they give shares, not times. Writes <out>/budget.json and .md.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closedLoop } from '../lib/closed-loop.js';
import { sdkCanCarry } from '../lib/events.js';
import { runHttpLoad } from '../lib/http-load.js';
import { readCpuMs } from '../lib/proc.js';
import { commandLine, machineInfo, newestProfile } from '../lib/run-info.js';
import { median } from '../lib/stats.js';
import { EventSdkClient } from '../lib/sdk-client.js';
import { fixed } from './measure.js';
import type { BenchContext, BenchPhase, Served } from './phase.js';
import { startSidecar } from './sidecar.js';

export const STAGES = [
  'decode', 'validate', 'serialize', 'record', 'produce request', 'answer', 'metrics', 'logging',
  'ingress', 'transport', 'runtime',
] as const; // prettier-ignore
export type Stage = (typeof STAGES)[number];
interface Frame {
  functionName: string;
  url: string;
}

const own = (url: string, file: RegExp) =>
  /\/packages\/(contract|producer|sidecar)\/dist\//.test(url) && file.test(url);
const SERIALIZERS = /^(stableStringify|sortedCopy|write|quote|json\w*|writeRecordValue)$/;

/** The stage a frame's own code belongs to, or undefined for code that serves several (runtime, transports). */
export function stageOf(f: Frame): Stage | undefined {
  const { url, functionName: name } = f;
  if (/node_modules\/(pino|pino-http|pino-std-serializers|sonic-boom)\//.test(url) || own(url, /\/logger\.js$/))
    return 'logging';
  if (/node_modules\/prom-client\//.test(url) || own(url, /metrics\.js$/)) return 'metrics';
  if (own(url, /\/record\.js$/)) return SERIALIZERS.test(name) ? 'serialize' : 'record';
  if (own(url, /\/(entry|ledger)\.js$/) && /^(sizedRecord|createEntry|newEntry|recordBytes)$/.test(name))
    return 'record';
  if (/node_modules\/ajv(-formats)?\//.test(url) || own(url, /\/validate\.js$/)) return 'validate';
  if (url === '' && /^validate\d*$/.test(name)) return 'validate'; // ajv's generated code (new Function)
  if (/node_modules\/(protobufjs|@protobufjs\/[^/]+|@grpc\/proto-loader)\//.test(url)) return 'decode';
  if (own(url, /\/(grpc\/decode|http\/fast-path)\.js$/) || name === 'requestDeserialize') return 'decode';
  if (own(url, /\/(http\/answers|http\/event-routes)\.js$/) || (own(url, /grpc\/server\.js$/) && name === 'answer'))
    return 'answer';
  if (/node_modules\/kafkajs\//.test(url) || own(url, /\/producer\/dist\//)) return 'produce request';
  if (own(url, /\/sidecar\/dist\//)) return 'ingress';
  return undefined;
}

interface Profile {
  nodes: { id: number; callFrame: Frame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

/** Main-thread µs per stage for the samples taken within `windows` (µs of the monotonic clock), with top functions. */
export function attribute(profile: Profile, windows: readonly [number, number][]) {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, Stage | 'idle'>();
  const classify = (leaf: number): Stage | 'idle' => {
    const f = frames.get(leaf)!;
    if (f.functionName === '(idle)') return 'idle';
    let transport = false;
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const frame = frames.get(id)!;
      const stage = stageOf(frame);
      if (stage) return stage;
      transport ||= /node_modules\/@grpc\/grpc-js\/|^node:(_http|http|internal\/http2|net|internal\/stream_base)/.test(
        frame.url,
      );
    }
    return transport ? 'transport' : 'runtime';
  };
  const us = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const fns = new Map<string, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    const spent = profile.timeDeltas[i + 1] ?? 0;
    if (!windows.some(([a, b]) => t >= a && t < b)) continue;
    const id = profile.samples[i]!;
    const stage = memo.get(id) ?? classify(id);
    memo.set(id, stage);
    if (stage === 'idle') continue;
    us[stage] += spent;
    const f = frames.get(id)!;
    const key = `${stage}: \`${f.functionName || '(anonymous)'}\` ${f.url.replace(/^.*\/(node_modules|packages)\//, '')}`;
    fns.set(key, (fns.get(key) ?? 0) + spent);
  }
  return { us, top: [...fns].sort((a, b) => b[1] - a[1]).slice(0, 15) };
}

type PathName = 'grpc1' | 'grpc16' | 'events';
const PATHS: readonly PathName[] = ['grpc1', 'grpc16', 'events'];
interface Run {
  events: number;
  cpuUs: number;
  window: [number, number];
}
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export function budgetPhase(): BenchPhase {
  const runs: Record<PathName, { plain: Run[]; profiled: Run[] }> = {
    grpc1: { plain: [], profiled: [] },
    grpc16: { plain: [], profiled: [] },
    events: { plain: [], profiled: [] },
  };
  const measure = async (ctx: BenchContext, target: Served, path: PathName, sdk: EventSdkClient): Promise<Run> => {
    const { options, payloads } = ctx;
    const carried = payloads.events.filter(sdkCanCarry);
    const cpu0 = readCpuMs(target.child.pid);
    const t0 = nowUs();
    const events =
      path !== 'events'
        ? (await closedLoop((i) => sdk.log(carried[i % carried.length]!), path === 'grpc1' ? 1 : 16, options.durationS))
            .ok
        : (
            await runHttpLoad({
              ...{ url: target.url, path: '/events', bodies: payloads.batchBodies, okStatus: [200] },
              ...{ connections: options.batchConnections, durationS: options.durationS },
            })
          ).ok * options.eventsPerRequest;
    const window: [number, number] = [t0, nowUs()];
    ctx.acknowledged += events;
    return { events, cpuUs: (readCpuMs(target.child.pid) - cpu0) * 1000, window };
  };

  return {
    name: 'budget',
    needsSidecar: true,
    async report(ctx) {
      const profileDir = join(ctx.outDir, 'budget-profile');
      const logName = 'sidecar-budget.log';
      const profiled = await startSidecar(ctx, {
        topic: ctx.topics.sidecar,
        ackMode: 'confirmed',
        logName,
        profileDir,
      });
      const targets = { plain: ctx.sidecar!, profiled };
      const sdks = {
        plain: await EventSdkClient.connect('127.0.0.1', targets.plain.grpcPort),
        profiled: await EventSdkClient.connect('127.0.0.1', profiled.grpcPort),
      };
      for (const sdk of Object.values(sdks)) ctx.resources.closers.push(() => sdk.close());
      for (const which of ['plain', 'profiled'] as const) {
        for (const path of PATHS) await measure(ctx, targets[which], path, sdks[which]); // warm-up
      }
      for (let round = 0; round < ctx.options.rounds; round++) {
        for (const path of PATHS) {
          const order = round % 2 === 0 ? (['plain', 'profiled'] as const) : (['profiled', 'plain'] as const);
          for (const which of order) {
            const run = await measure(ctx, targets[which], path, sdks[which]);
            runs[path][which].push(run);
            ctx.log(`[budget ${round + 1}] ${path} ${which}: ${fixed(run.cpuUs / run.events)} µs CPU/event`);
          }
        }
      }
      sdks.profiled.close();
      await profiled.child.stop();
      const file = newestProfile(profileDir);
      if (!file) throw new Error('the profiled sidecar wrote no .cpuprofile');
      writeBudget(ctx, JSON.parse(readFileSync(file, 'utf8')) as Profile);
      rmSync(profileDir, { recursive: true, force: true });
    },
  };

  function writeBudget(ctx: BenchContext, profile: Profile): void {
    const paths = Object.fromEntries(
      PATHS.map((path) => {
        const { plain, profiled } = runs[path];
        const events = profiled.reduce((s, r) => s + r.events, 0);
        const { us, top } = attribute(
          profile,
          profiled.map((r) => r.window),
        );
        const sampledUs = STAGES.reduce((sum, k) => sum + us[k], 0);
        const processUs = profiled.reduce((sum, r) => sum + r.cpuUs, 0) / events;
        // Samples are taken in wall time (a thread that waits for a core mid-function is sampled there): their
        // shares split the process's CPU time from /proc.
        const perEvent = Object.fromEntries(STAGES.map((k) => [k, (us[k] / sampledUs) * processUs]));
        return [
          path,
          {
            events,
            stagesUsPerEvent: perEvent as Record<Stage, number>,
            sampledMainThreadUsPerEvent: sampledUs / events,
            profiledProcessUsPerEvent: processUs,
            unprofiledUsPerEvent: median(plain.map((r) => r.cpuUs / r.events)),
            unprofiledRounds: plain.map((r) => r.cpuUs / r.events),
            topFunctions: top.map(([name, t]) => ({ name, usPerEvent: t / events })),
          },
        ];
      }),
    );
    const { options } = ctx;
    const title = {
      grpc1: 'gRPC `Log` via `@mojaloop/event-sdk`, 1 in flight',
      grpc16: 'the same, 16 in flight',
      events: `\`POST /events\`, ${options.eventsPerRequest} per request, ${options.batchConnections} connections`,
    };
    const json = {
      date: new Date().toISOString(),
      command: commandLine(process.argv.slice(2)),
      machine: machineInfo(),
      paths,
    };
    const p = paths as Record<PathName, (typeof paths)[string]>;
    const row = (label: string, pick: (x: (typeof paths)[string]) => number) =>
      `| ${label} | ${fixed(pick(p.grpc1))} | ${fixed(pick(p.grpc16))} | ${fixed(pick(p.events), 1)} |`;
    const md = [
      `# CPU budget per event, stage by stage`,
      '',
      `${json.date.slice(0, 10)}, \`${json.command}\`: ${json.machine.cpuModel}, ${json.machine.cores} cores, Node ${process.versions.node}; ` +
        `${options.rounds} rounds of ${options.durationS} s per path; load average ${json.machine.loadAverageStart.map((l) => l.toFixed(1)).join(' ')} at the start.`,
      '',
      `| stage (µs of the sidecar's CPU per event) | ${title.grpc1} | ${title.grpc16} | ${title.events} |`,
      '| --- | --- | --- | --- |',
      ...STAGES.map((s) => row(s, (x) => x.stagesUsPerEvent[s])),
      row('**the profiled process (from /proc): the sum**', (x) => x.profiledProcessUsPerEvent),
      row('the same load without the profiler, same rounds (median)', (x) => x.unprofiledUsPerEvent),
      '',
      'How: a second sidecar runs with `node --cpu-prof` beside the unprofiled one, on the same broker and load, in the same',
      'rounds. Each sample taken while the load ran goes to a stage by its stack: the innermost frame that belongs to a stage',
      'decides (`stageOf` in `scripts/bench/phases/budget.ts`): **decode** protobufjs, `requestDeserialize`, `grpc/decode`,',
      'the HTTP fast path (body read, JSON.parse); **validate** ajv and its generated code, `validate`; **serialize** the sorted',
      "JSON of the record; **record** the rest of the record and the producer's entry; **produce request** kafkajs and the",
      "producer's lanes (its socket writes and reads included); **answer** the gRPC `answer`, `http/answers`, `http/event-routes`;",
      '**metrics** prom-client and `metrics`; **logging** pino; **ingress** the rest of the sidecar (counting, the spool check,',
      "a trace's order); stacks with none of these: **transport** (grpc-js, node:http, sockets) or **runtime** (GC, microtask",
      'and event-loop turns, V8). The profiler samples the main thread in wall time (a thread waiting for a core is',
      "sampled where it waits), so each stage's share of the samples splits the profiled process's CPU time from /proc",
      '(every thread: GC helpers and libuv fall to the stages in proportion); µs per acknowledged event, over every round.',
      '',
      ...PATHS.flatMap((path) => [
        `Top self time, ${title[path]} (µs per event):`,
        '',
        '| stage: function | µs/event |',
        '| --- | --- |',
        ...p[path].topFunctions.map((f) => `| ${f.name} | ${fixed(f.usPerEvent, 1)} |`),
        '',
      ]),
    ].join('\n');
    const name = 'budget';
    writeFileSync(join(ctx.outDir, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
    writeFileSync(join(ctx.outDir, `${name}.md`), md);
    ctx.log(`wrote ${name}.{json,md}`);
  }
}
