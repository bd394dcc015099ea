// `event`: the sidecar's `POST /event` at every connection count, beside L_http in the same rounds.
import { httpLimit } from '../lib/results.js';
import { pairedRatio } from '../lib/stats.js';
import { httpSeriesPhase } from './measure.js';

export const eventPhase = () =>
  httpSeriesPhase({
    name: 'event',
    needsSidecar: true,
    label: 'POST /event',
    target: (ctx) => ctx.sidecar!,
    connections: (ctx) => [...ctx.options.connections],
    sidecar: { counts: true },
    report(ctx, results, series) {
      const lhttp = httpLimit(results, ctx.options.limitConnections)?.requestsPerSecond.rounds ?? [];
      results.sidecar.event = series.map(({ connections, list, point }) => ({
        ...point,
        peakRssMiB: point.peakRssMiB!,
        heapTotalMiB: point.heapTotalMiB!,
        ratioToHttpLimit: pairedRatio(
          list.map((m) => m.result.okPerSecond),
          lhttp,
        ),
        cpuRatioToBare: pairedRatio(
          list.map((m) => m.cpuUsPerEvent),
          httpLimit(results, connections)?.cpuUsPerEvent.rounds ?? [],
        ),
      }));
    },
  });
