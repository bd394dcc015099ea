// `event`: the sidecar's `POST /event` at every connection count, beside L_http in the same rounds.
import { runHttpLoad } from '../lib/http-load.js';
import { httpLimit } from '../lib/results.js';
import { pairedRatio, rounds } from '../lib/stats.js';
import { fixed, httpStep, HttpSeries, mib, MiB } from './measure.js';
import type { BenchContext, BenchPhase, Step } from './phase.js';

/** One warm-up of `POST /event` (shared by the event and soak phases: whichever runs does it once). */
export async function warmUpEvent(ctx: BenchContext, durationS: number): Promise<void> {
  const r = await runHttpLoad({
    url: ctx.sidecar!.url,
    path: '/event',
    bodies: ctx.payloads.singleBodies,
    connections: ctx.options.limitConnections,
    durationS,
  });
  ctx.warmupFailures.add(r);
  ctx.acknowledged += r.ok;
}

export function eventPhase(): BenchPhase {
  const series = new HttpSeries();
  return {
    name: 'event',
    needsSidecar: true,
    warmUp: warmUpEvent,
    steps: (ctx): Step[] =>
      ctx.options.connections.map((connections) => ({
        name: `POST /event @${connections}`,
        connections,
        run: async () => {
          const sidecar = ctx.sidecar!;
          const m = await httpStep(
            ctx,
            { url: sidecar.url, path: '/event', bodies: ctx.payloads.singleBodies, connections },
            series.failuresAt(connections),
            { pid: sidecar.child.pid, eventsPerOk: 1, sidecar: true },
          );
          series.add(connections, m);
          return `${fixed(m.result.okPerSecond)} req/s, p99 ${fixed(m.result.p99Ms, 1)} ms, peak ${fixed(m.peakBytes / MiB)} MiB, ${fixed(m.cpuUsPerEvent)} µs CPU/request (client ${fixed(m.clientCpuUsPerEvent)})${m.result.non2xx ? `, ${m.result.non2xx} non-2xx` : ''}`;
        },
      })),
    report(ctx, results) {
      const lhttpRounds = httpLimit(results, ctx.options.limitConnections)?.requestsPerSecond.rounds ?? [];
      results.sidecar.event = series.points().map(({ connections, list, point }) => ({
        ...point,
        peakRssMiB: rounds(list.map((m) => mib(m.peakBytes))),
        heapTotalMiB: rounds(list.map((m) => m.heap?.heapTotalMiB ?? Number.NaN)),
        ratioToHttpLimit: pairedRatio(
          list.map((m) => m.result.okPerSecond),
          lhttpRounds,
        ),
        cpuRatioToBare: pairedRatio(
          list.map((m) => m.cpuUsPerEvent),
          httpLimit(results, connections)?.cpuUsPerEvent.rounds ?? [],
        ),
      }));
    },
  };
}
