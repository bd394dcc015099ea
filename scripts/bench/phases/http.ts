// `http`: L_http, a bare express 5 app in its own process, at every connection count. With the `grpc` or `latency`
// phase in the run, the same process serves a bare gRPC `Log` too: L_grpc, measured by the grpc phase, and the
// transport's floor at one call in flight, measured by the latency phase.
import { join } from 'node:path';
import { freePort, startNode, waitForHttp } from '../lib/children.js';
import { runHttpLoad } from '../lib/http-load.js';
import { fixed, httpStep, HttpSeries } from './measure.js';
import type { BenchPhase, Step } from './phase.js';

/** The connection counts of the bare app: those of `POST /event`, and the one L_http is taken at. */
export function bareConnections(connections: readonly number[], limitConnections: number): number[] {
  return [...new Set([...connections, limitConnections])].sort((a, b) => a - b);
}

export function httpPhase(): BenchPhase {
  const series = new HttpSeries();
  return {
    name: 'http',
    async prepare(ctx) {
      const port = await freePort();
      // The gRPC limit serves the grpc phase, and the latency phase's transport floor at one call in flight.
      const grpcPort = ctx.selected('grpc') || ctx.selected('latency') ? await freePort() : 0;
      const child = startNode(join(ctx.benchDir, 'bare-server.ts'), {
        nodeArgs: ['--import', 'tsx'],
        env: { ...process.env, PORT: String(port), ...(grpcPort ? { GRPC_PORT: String(grpcPort) } : {}) },
        cwd: ctx.repo,
        logPath: join(ctx.outDir, 'bare-server.log'),
      });
      ctx.resources.children.push({ child });
      await waitForHttp(`http://127.0.0.1:${port}/health`, child, 30_000);
      ctx.bare = { child, url: `http://127.0.0.1:${port}`, grpcPort };
    },
    async warmUp(ctx, durationS) {
      ctx.warmupFailures.add(
        await runHttpLoad({
          url: ctx.bare!.url,
          path: '/event',
          bodies: ctx.payloads.singleBodies,
          connections: ctx.options.limitConnections,
          durationS,
        }),
      );
    },
    steps: (ctx): Step[] =>
      bareConnections(ctx.options.connections, ctx.options.limitConnections).map((connections) => ({
        name: `bare express @${connections}`,
        connections,
        run: async () => {
          const bare = ctx.bare!;
          const m = await httpStep(
            ctx,
            { url: bare.url, path: '/event', bodies: ctx.payloads.singleBodies, connections },
            series.failuresAt(connections),
            { pid: bare.child.pid, eventsPerOk: 1, sidecar: false },
          );
          series.add(connections, m);
          return `${fixed(m.result.okPerSecond)} req/s, p99 ${fixed(m.result.p99Ms, 1)} ms, ${fixed(m.cpuUsPerEvent)} µs CPU/request`;
        },
      })),
    report(_ctx, results) {
      results.limits.http = series.points().map((p) => p.point);
    },
  };
}
