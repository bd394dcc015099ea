// `soak`: `POST /event` at half the best rate the event phase measured, RSS at its start and end. Runs once, after
// the rounds.
import { runHttpLoad } from '../lib/http-load.js';
import { MemoryWatch } from '../lib/proc.js';
import { growth, median } from '../lib/stats.js';
import { fixed, MiB } from './measure.js';
import type { BenchPhase } from './phase.js';

export function soakPhase(): BenchPhase {
  return {
    name: 'soak',
    needsSidecar: true,
    enabled: (options) => options.soakS > 0,
    // The event phase warms `POST /event` up when it runs; the soak does so only without it.
    async warmUp(ctx, durationS) {
      if (ctx.running('event')) return;
      const { url } = ctx.sidecar!;
      const connections = ctx.options.limitConnections;
      const r = await runHttpLoad({ url, path: '/event', bodies: ctx.payloads.singleBodies, connections, durationS });
      ctx.warmupFailures.add(r);
      ctx.acknowledged += r.ok;
    },
    async report(ctx, results) {
      const { options } = ctx;
      const sidecar = ctx.sidecar!;
      const eventPoints = results.sidecar.event;
      const peakRate = Math.max(0, ...eventPoints.map((p) => p.requestsPerSecond.median).filter(Number.isFinite));
      if (peakRate <= 0) {
        ctx.skip(['soak'], 'no POST /event rate was measured to take half of (run the event phase too)');
        return;
      }
      const target = Math.max(1, Math.round(peakRate / 2));
      ctx.log(
        `soak: POST /event at ${target} req/s (half of ${fixed(peakRate)}) over ${options.limitConnections} connections for ${options.soakS} s`,
      );
      const watch = new MemoryWatch(sidecar.child.pid, 1000);
      const result = await runHttpLoad({
        url: sidecar.url,
        path: '/event',
        bodies: ctx.payloads.singleBodies,
        connections: options.limitConnections,
        durationS: options.soakS,
        overallRate: target,
      });
      const peakBytes = watch.stop();
      ctx.acknowledged += result.ok;
      const span = options.soakS * 1000;
      const firstTenth = watch.samples.filter((s) => s.atMs <= span * 0.1).map((s) => s.rssBytes / MiB);
      const lastTenth = watch.samples.filter((s) => s.atMs >= span * 0.9).map((s) => s.rssBytes / MiB);
      const every = Math.max(1, Math.ceil(watch.samples.length / 300));
      const soak = {
        seconds: options.soakS,
        connections: options.limitConnections,
        targetPerSecond: target,
        achievedPerSecond: result.okPerSecond,
        p50Ms: result.p50Ms,
        p99Ms: result.p99Ms,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        rssStartMiB: median(firstTenth),
        rssEndMiB: median(lastTenth),
        rssMaxMiB: peakBytes / MiB,
        rssGrowth: growth(median(firstTenth), median(lastTenth)),
        rssSeries: watch.samples
          .filter((_, i) => i % every === 0)
          .map((s): [number, number] => [Math.round(s.atMs / 100) / 10, Math.round((s.rssBytes / MiB) * 10) / 10]),
      };
      results.sidecar.soak = soak;
      ctx.log(
        `soak: ${fixed(result.okPerSecond)} req/s, p99 ${fixed(result.p99Ms, 1)} ms, RSS ${fixed(soak.rssStartMiB)} -> ${fixed(soak.rssEndMiB)} MiB`,
      );
    },
  };
}
