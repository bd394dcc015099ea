// Measuring one step against a serving process: its CPU time (from /proc) around the measured run only, the load
// generator's own, its peak RSS and heap; failures summed over rounds; the figures of several rounds folded into a
// point; and the phases that load one process over HTTP at every connection count.
import type { ClosedLoopResult } from '../lib/closed-loop.js';
import { readHeap, runHttpLoad, type HeapReading, type HttpLoadResult } from '../lib/http-load.js';
import type { Phase } from '../lib/options.js';
import { MemoryWatch, readCpuMs } from '../lib/proc.js';
import type { BenchResults, HttpPoint, LoopFigures, Memory } from '../lib/results.js';
import { rounds } from '../lib/stats.js';
import type { BenchContext, BenchPhase, Served } from './phase.js';

export const MiB = 1024 * 1024;
export const fixed = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** What every load reports: successful calls (or requests), their rate and latency. */
export interface Outcome {
  ok: number;
  okPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface Measured<T extends Outcome = Outcome> {
  result: T;
  /** CPU time the serving process spent per successful event during the measured run, in microseconds. */
  cpuUsPerEvent: number;
  /** The same for this process, the load generator: is it the bottleneck? */
  clientCpuUsPerEvent: number;
  /** NaN unless the step watched the sidecar's memory. */
  peakBytes: number;
  /** The sidecar's V8 heap at the end of the run (prom-client metrics). */
  heap?: HeapReading | undefined;
}

const sum = (into: Record<string, number>, from: Record<string, number> = {}): void => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

/** Failures summed over rounds and warm-ups: HTTP answers and socket errors, or failed calls by their message. */
export class Failures {
  non2xx = 0;
  errors = 0;
  timeouts = 0;
  statusCodes: Record<string, number> = {};
  failed = 0;
  failures: Record<string, number> = {};
  add(r: Partial<HttpLoadResult & ClosedLoopResult>): void {
    this.non2xx += r.non2xx ?? 0;
    this.errors += r.errors ?? 0;
    this.timeouts += r.timeouts ?? 0;
    this.failed += r.failed ?? 0;
    sum(this.statusCodes, r.statusCodes);
    sum(this.failures, r.failures);
  }
  http = () => ({ non2xx: this.non2xx, errors: this.errors, timeouts: this.timeouts, statusCodes: this.statusCodes });
}

/** CPU time of process `pid` (every thread) and of this process around `work`, per event it reports. */
export async function withCpu<T>(pid: number, work: () => Promise<T>, eventsOf: (result: T) => number) {
  const cpu0 = readCpuMs(pid);
  const client0 = process.cpuUsage();
  const result = await work();
  const client = process.cpuUsage(client0);
  const events = eventsOf(result);
  return {
    result,
    cpuUsPerEvent: ((readCpuMs(pid) - cpu0) * 1000) / events,
    clientCpuUsPerEvent: (client.user + client.system) / events,
  };
}

export interface Target {
  /** The serving process whose CPU is read (this process for raw kafkajs). */
  pid: number;
  /** A sidecar's URL: its peak RSS is watched and its heap read. */
  sidecarUrl?: string;
  /** Events per successful call (a `POST /events` request carries many). */
  eventsPerOk?: number;
  /** Its events are acknowledged by the sidecar under test, and counted against its topic. */
  counts?: boolean;
}

/** A warm-up run (`--warmup` seconds), then the measured one (`--duration`); failures of both go to `failures`. */
export async function measure<T extends Outcome>(
  ctx: BenchContext,
  target: Target,
  run: (durationS: number) => Promise<T>,
  failures: Failures,
): Promise<Measured<T>> {
  const perOk = target.eventsPerOk ?? 1;
  const tally = (r: T): void => {
    failures.add(r);
    if (target.counts) ctx.acknowledged += r.ok * perOk;
  };
  const watch = target.sidecarUrl ? new MemoryWatch(target.pid) : undefined;
  if (ctx.options.warmupS > 0) tally(await run(ctx.options.warmupS));
  const m = await withCpu(
    target.pid,
    () => run(ctx.options.durationS),
    (r) => r.ok * perOk,
  );
  tally(m.result);
  return {
    ...m,
    peakBytes: watch ? watch.stop() : Number.NaN,
    heap: target.sidecarUrl ? await readHeap(target.sidecarUrl) : undefined,
  };
}

/** Per-round latency and CPU of the measured runs; with `memory`, the sidecar's peak RSS and heap too. */
export function roundFigures(list: readonly Measured[], memory = false) {
  const of = (pick: (m: Measured) => number) => rounds(list.map(pick));
  return {
    p50Ms: of((m) => m.result.p50Ms),
    p99Ms: of((m) => m.result.p99Ms),
    cpuUsPerEvent: of((m) => m.cpuUsPerEvent),
    clientCpuUsPerEvent: of((m) => m.clientCpuUsPerEvent),
    ...(memory
      ? { peakRssMiB: of((m) => m.peakBytes / MiB), heapTotalMiB: of((m) => m.heap?.heapTotalMiB ?? Number.NaN) }
      : {}),
  };
}

export function loopFigures(inFlight: number, list: readonly Measured[], failures: Failures): LoopFigures {
  const { failed } = failures;
  const eventsPerSecond = rounds(list.map((m) => m.result.okPerSecond));
  return { inFlight, eventsPerSecond, ...roundFigures(list), failed, failures: failures.failures };
}

/** One line for the log. */
export function summary(m: Measured, unit = 'events/s', perOk = 1): string {
  const r = m.result as Outcome & { failed?: number; non2xx?: number };
  const failed = (r.failed ?? 0) + (r.non2xx ?? 0);
  return (
    `${fixed(r.okPerSecond * perOk)} ${unit}, p50 ${fixed(r.p50Ms, 2)} ms, p99 ${fixed(r.p99Ms, 2)} ms, ` +
    `${fixed(m.cpuUsPerEvent)} µs CPU/event (client ${fixed(m.clientCpuUsPerEvent)})` +
    `${Number.isFinite(m.peakBytes) ? `, peak ${fixed(m.peakBytes / MiB)} MiB` : ''}${failed ? `, ${failed} failed` : ''}`
  );
}

export interface HttpSeries {
  connections: number;
  list: Measured<HttpLoadResult>[];
  point: HttpPoint & Partial<Memory>;
}

/** A phase that loads one process with `POST /event` at every connection count, one step each per round. */
export function httpSeriesPhase(spec: {
  name: Phase;
  needsSidecar?: boolean;
  /** The process loaded (set up by `prepare`, or the shared sidecar). */
  target(ctx: BenchContext): Served;
  connections(ctx: BenchContext): number[];
  /** Whose figures: `<label> @<connections>` in the log. */
  label: string;
  /** A sidecar (memory watched); `counts`: its answers are events on the topic of the sidecar under test. */
  sidecar?: { counts: boolean };
  okStatus?: number[];
  prepare?(ctx: BenchContext): Promise<void>;
  report(ctx: BenchContext, results: BenchResults, series: HttpSeries[]): void;
}): BenchPhase {
  const measured = new Map<number, Measured<HttpLoadResult>[]>();
  const failures = new Map<number, Failures>();
  const failuresAt = (c: number) => failures.get(c) ?? failures.set(c, new Failures()).get(c)!;
  const load = (ctx: BenchContext, connections: number) => (durationS: number) =>
    runHttpLoad({
      url: spec.target(ctx).url,
      path: '/event',
      bodies: ctx.payloads.singleBodies,
      connections,
      durationS,
      ...(spec.okStatus ? { okStatus: spec.okStatus } : {}),
    });
  const target = (ctx: BenchContext): Target => {
    const { child, url } = spec.target(ctx);
    return spec.sidecar ? { pid: child.pid, sidecarUrl: url, counts: spec.sidecar.counts } : { pid: child.pid };
  };
  return {
    name: spec.name,
    ...(spec.needsSidecar ? { needsSidecar: true } : {}),
    ...(spec.prepare ? { prepare: spec.prepare } : {}),
    async warmUp(ctx, durationS) {
      const r = await load(ctx, ctx.options.limitConnections)(durationS);
      ctx.warmupFailures.add(r);
      if (spec.sidecar?.counts) ctx.acknowledged += r.ok;
    },
    steps: (ctx) =>
      spec.connections(ctx).map((connections) => ({
        name: `${spec.label} @${connections}`,
        connections,
        run: async () => {
          const m = await measure(ctx, target(ctx), load(ctx, connections), failuresAt(connections));
          measured.set(connections, [...(measured.get(connections) ?? []), m]);
          return summary(m, 'req/s');
        },
      })),
    report(ctx, results) {
      const series = [...measured.entries()]
        .sort(([a], [b]) => a - b)
        .map(([connections, list]) => ({
          connections,
          list,
          point: {
            connections,
            requestsPerSecond: rounds(list.map((m) => m.result.okPerSecond)),
            ...roundFigures(list, spec.sidecar !== undefined),
            ...failuresAt(connections).http(),
          },
        }));
      spec.report(ctx, results, series);
    },
  };
}
