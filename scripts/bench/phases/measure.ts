// Measuring one step against a serving process: its CPU time (from /proc) around the measured run only, its peak
// RSS, the load generator's own CPU, and the figures of several rounds folded into a point.
import {
  readHeap,
  runHttpLoad,
  type HeapReading,
  type HttpLoadOptions,
  type HttpLoadResult,
} from '../lib/http-load.js';
import type { ClosedLoopResult } from '../lib/closed-loop.js';
import { MemoryWatch, readCpuMs } from '../lib/proc.js';
import type { HttpPoint, LoopFigures } from '../lib/results.js';
import { rounds } from '../lib/stats.js';
import { Failures, type BenchContext } from './phase.js';

export const MiB = 1024 * 1024;
export const mib = (bytes: number): number => bytes / MiB;
export const fixed = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export interface Measured<T> {
  result: T;
  peakBytes: number;
  /** CPU time the serving process spent per successful event during the measured run, in microseconds. */
  cpuUsPerEvent: number;
  /** The same for this process, the load generator: is it the bottleneck? */
  clientCpuUsPerEvent: number;
  /** The sidecar's V8 heap at the end of the run (prom-client metrics). */
  heap?: HeapReading | undefined;
}

/** The per-round figures every sidecar load phase reports: latency, memory and CPU of the serving process. */
export function serverFigures(measured: readonly Measured<{ p50Ms: number; p99Ms: number }>[]) {
  return {
    p50Ms: rounds(measured.map((m) => m.result.p50Ms)),
    p99Ms: rounds(measured.map((m) => m.result.p99Ms)),
    peakRssMiB: rounds(measured.map((m) => mib(m.peakBytes))),
    heapTotalMiB: rounds(measured.map((m) => m.heap?.heapTotalMiB ?? Number.NaN)),
    cpuUsPerEvent: rounds(measured.map((m) => m.cpuUsPerEvent)),
  };
}

/** CPU time of process `pid` (every thread) and of this process around `work`, per event it reports. */
export async function withCpu<T>(
  pid: number,
  work: () => Promise<T>,
  eventsOf: (result: T) => number,
): Promise<{ result: T; cpuUsPerEvent: number; clientCpuUsPerEvent: number }> {
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

/**
 * Warm-up then measure one HTTP load against the process `pid`: failures of both runs are counted, and events
 * the sidecar acknowledged; its CPU time is read around the measured run only.
 */
export async function httpStep(
  ctx: BenchContext,
  load: Omit<HttpLoadOptions, 'durationS'>,
  failures: Failures,
  // `delivered: false`: the sidecar answers without Kafka (spooled), so its events are not in the topic.
  target: { pid: number; eventsPerOk: number; sidecar: boolean; delivered?: boolean },
): Promise<Measured<HttpLoadResult>> {
  const { options } = ctx;
  const counts = target.sidecar && target.delivered !== false;
  const watch = target.sidecar ? new MemoryWatch(target.pid) : undefined;
  if (options.warmupS > 0) {
    const warm = await runHttpLoad({ ...load, durationS: options.warmupS });
    failures.add(warm);
    if (counts) ctx.acknowledged += warm.ok * target.eventsPerOk;
  }
  const m = await withCpu(
    target.pid,
    () => runHttpLoad({ ...load, durationS: options.durationS }),
    (r) => r.ok * target.eventsPerOk,
  );
  failures.add(m.result);
  if (counts) ctx.acknowledged += m.result.ok * target.eventsPerOk;
  return {
    ...m,
    heap: target.sidecar ? await readHeap(load.url) : undefined,
    peakBytes: watch ? watch.stop() : Number.NaN,
  };
}

export function httpPoint(connections: number, list: Measured<HttpLoadResult>[], failures: Failures): HttpPoint {
  return {
    connections,
    requestsPerSecond: rounds(list.map((m) => m.result.okPerSecond)),
    p50Ms: rounds(list.map((m) => m.result.p50Ms)),
    p99Ms: rounds(list.map((m) => m.result.p99Ms)),
    cpuUsPerEvent: rounds(list.map((m) => m.cpuUsPerEvent)),
    clientCpuUsPerEvent: rounds(list.map((m) => m.clientCpuUsPerEvent)),
    non2xx: failures.non2xx,
    errors: failures.errors,
    timeouts: failures.timeouts,
    statusCodes: failures.statusCodes,
  };
}

/** Per-connection-count rounds of one HTTP phase, with their failures. */
export class HttpSeries {
  readonly rounds = new Map<number, Measured<HttpLoadResult>[]>();
  readonly failures = new Map<number, Failures>();

  failuresAt(connections: number): Failures {
    const failures = this.failures.get(connections) ?? new Failures();
    this.failures.set(connections, failures);
    return failures;
  }

  add(connections: number, m: Measured<HttpLoadResult>): void {
    this.rounds.set(connections, [...(this.rounds.get(connections) ?? []), m]);
  }

  /** Points in ascending connections. */
  points(): { connections: number; list: Measured<HttpLoadResult>[]; point: HttpPoint }[] {
    return [...this.rounds.entries()]
      .sort(([a], [b]) => a - b)
      .map(([c, list]) => ({ connections: c, list, point: httpPoint(c, list, this.failures.get(c)!) }));
  }
}

/**
 * Warm-up then measure one closed loop (`run(durationS)`) against the process `pid` (for raw send(), this process:
 * the kafkajs client is the cost); failures of both runs are tallied into `failures`.
 */
export async function loopStep(
  ctx: BenchContext,
  pid: number,
  run: (durationS: number) => Promise<ClosedLoopResult>,
  tally: (r: ClosedLoopResult) => void,
): Promise<Measured<ClosedLoopResult>> {
  if (ctx.options.warmupS > 0) tally(await run(ctx.options.warmupS));
  const m = await withCpu(
    pid,
    () => run(ctx.options.durationS),
    (r) => r.ok,
  );
  tally(m.result);
  return { ...m, peakBytes: Number.NaN };
}

/** Failed calls of a closed-loop phase, summed over rounds and warm-ups. */
export class LoopFailures {
  failed = 0;
  failures: Record<string, number> = {};
  add(r: ClosedLoopResult): void {
    this.failed += r.failed;
    for (const [k, v] of Object.entries(r.failures)) this.failures[k] = (this.failures[k] ?? 0) + v;
  }
}

export function loopFigures(inFlight: number, list: Measured<ClosedLoopResult>[], failures: LoopFailures): LoopFigures {
  return {
    inFlight,
    eventsPerSecond: rounds(list.map((m) => m.result.okPerSecond)),
    p50Ms: rounds(list.map((m) => m.result.p50Ms)),
    p99Ms: rounds(list.map((m) => m.result.p99Ms)),
    cpuUsPerEvent: rounds(list.map((m) => m.cpuUsPerEvent)),
    clientCpuUsPerEvent: rounds(list.map((m) => m.clientCpuUsPerEvent)),
    failed: failures.failed,
    failures: failures.failures,
  };
}

export const loopSummary = (m: Measured<ClosedLoopResult>, unit = 'events/s'): string =>
  `${fixed(m.result.okPerSecond)} ${unit}, p50 ${fixed(m.result.p50Ms, 2)} ms, p99 ${fixed(m.result.p99Ms, 2)} ms, ` +
  `${fixed(m.cpuUsPerEvent)} µs CPU/event (client ${fixed(m.clientCpuUsPerEvent)})${m.result.failed ? `, ${m.result.failed} failed` : ''}`;
