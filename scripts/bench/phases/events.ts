// `events`: the sidecar's `POST /events`, `eventsPerRequest` events per request, beside L_kafka.
import { probe, runHttpLoad, type HttpLoadResult } from '../lib/http-load.js';
import { pairedRatio, rounds } from '../lib/stats.js';
import { fixed, serverFigures, httpStep, MiB, type Measured } from './measure.js';
import { Failures, type BenchPhase } from './phase.js';

export function eventsPhase(): BenchPhase {
  const measured: Measured<HttpLoadResult>[] = [];
  const failures = new Failures();
  return {
    name: 'events',
    needsSidecar: true,
    async prepare(ctx) {
      const many = await probe(`${ctx.sidecar!.url}/events`, ctx.payloads.batchBodies[0]!);
      if (many.status === 200) ctx.acknowledged += ctx.options.eventsPerRequest;
      else ctx.skip(['events'], `POST /events answered ${many.status}: ${many.body}`);
    },
    async warmUp(ctx, durationS) {
      const r = await runHttpLoad({
        url: ctx.sidecar!.url,
        path: '/events',
        bodies: ctx.payloads.batchBodies,
        connections: ctx.options.batchConnections,
        durationS,
        okStatus: [200],
      });
      ctx.warmupFailures.add(r);
      ctx.acknowledged += r.ok * ctx.options.eventsPerRequest;
    },
    steps: (ctx) => [
      {
        name: 'POST /events',
        run: async () => {
          const { options } = ctx;
          const m = await httpStep(
            ctx,
            {
              url: ctx.sidecar!.url,
              path: '/events',
              bodies: ctx.payloads.batchBodies,
              connections: options.batchConnections,
              okStatus: [200],
            },
            failures,
            { pid: ctx.sidecar!.child.pid, eventsPerOk: options.eventsPerRequest, sidecar: true },
          );
          measured.push(m);
          return `${fixed(m.result.okPerSecond * options.eventsPerRequest)} events/s, p99 ${fixed(m.result.p99Ms, 1)} ms, peak ${fixed(m.peakBytes / MiB)} MiB, ${fixed(m.cpuUsPerEvent)} µs CPU/event (client ${fixed(m.clientCpuUsPerEvent)})`;
        },
      },
    ],
    report(ctx, results) {
      if (measured.length === 0) return;
      const { options } = ctx;
      const lkafka = results.limits.kafka;
      const eps = measured.map((m) => m.result.okPerSecond * options.eventsPerRequest);
      results.sidecar.events = {
        connections: options.batchConnections,
        eventsPerRequest: options.eventsPerRequest,
        eventsPerSecond: rounds(eps),
        requestsPerSecond: rounds(measured.map((m) => m.result.okPerSecond)),
        ...serverFigures(measured),
        cpuRatioToKafkaClient: pairedRatio(
          measured.map((m) => m.cpuUsPerEvent),
          lkafka?.cpuUsPerEvent.rounds ?? [],
        ),
        clientCpuUsPerEvent: rounds(measured.map((m) => m.clientCpuUsPerEvent)),
        ratioToKafkaLimit: pairedRatio(eps, lkafka?.eventsPerSecond.rounds ?? []),
        non2xx: failures.non2xx,
        errors: failures.errors,
        timeouts: failures.timeouts,
        statusCodes: failures.statusCodes,
      };
    },
  };
}
