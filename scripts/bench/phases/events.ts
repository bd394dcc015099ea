// `events`: the sidecar's `POST /events`, `eventsPerRequest` events per request, beside L_kafka.
import { probe, runHttpLoad, type HttpLoadResult } from '../lib/http-load.js';
import { pairedRatio, rounds } from '../lib/stats.js';
import { Failures, measure, roundFigures, summary, type Measured } from './measure.js';
import type { BenchContext, BenchPhase } from './phase.js';

export function eventsPhase(): BenchPhase {
  const measured: Measured<HttpLoadResult>[] = [];
  const failures = new Failures();
  // Only 200 counts: a 207 is partial.
  const load = (ctx: BenchContext) => (durationS: number) =>
    runHttpLoad({
      url: ctx.sidecar!.url,
      path: '/events',
      bodies: ctx.payloads.batchBodies,
      connections: ctx.options.batchConnections,
      durationS,
      okStatus: [200],
    });
  return {
    name: 'events',
    needsSidecar: true,
    async prepare(ctx) {
      const many = await probe(`${ctx.sidecar!.url}/events`, ctx.payloads.batchBodies[0]!);
      if (many.status === 200) ctx.acknowledged += ctx.options.eventsPerRequest;
      else ctx.skip(['events'], `POST /events answered ${many.status}: ${many.body}`);
    },
    async warmUp(ctx, durationS) {
      const r = await load(ctx)(durationS);
      ctx.warmupFailures.add(r);
      ctx.acknowledged += r.ok * ctx.options.eventsPerRequest;
    },
    steps: (ctx) => [
      {
        name: 'POST /events',
        run: async () => {
          const { sidecar, options } = ctx;
          const perOk = options.eventsPerRequest;
          const target = { pid: sidecar!.child.pid, sidecarUrl: sidecar!.url, eventsPerOk: perOk, counts: true };
          const m = await measure(ctx, target, load(ctx), failures);
          measured.push(m);
          return summary(m, 'events/s', perOk);
        },
      },
    ],
    report(ctx, results) {
      if (measured.length === 0) return;
      const { options } = ctx;
      const lkafka = results.limits.kafka;
      const eps = measured.map((m) => m.result.okPerSecond * options.eventsPerRequest);
      const figures = roundFigures(measured, true);
      results.sidecar.events = {
        connections: options.batchConnections,
        eventsPerRequest: options.eventsPerRequest,
        eventsPerSecond: rounds(eps),
        requestsPerSecond: rounds(measured.map((m) => m.result.okPerSecond)),
        ...figures,
        peakRssMiB: figures.peakRssMiB!,
        heapTotalMiB: figures.heapTotalMiB!,
        cpuRatioToKafkaClient: pairedRatio(
          measured.map((m) => m.cpuUsPerEvent),
          lkafka?.cpuUsPerEvent.rounds ?? [],
        ),
        ratioToKafkaLimit: pairedRatio(eps, lkafka?.eventsPerSecond.rounds ?? []),
        ...failures.http(),
      };
    },
  };
}
