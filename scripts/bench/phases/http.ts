// `http`: L_http, a bare express 5 app in its own process, at every connection count. With the `grpc` or `latency`
// phase in the run, the same process serves a bare gRPC `Log` too: L_grpc, measured by the grpc phase, and the
// transport's floor at one call in flight, measured by the latency phase.
import { join } from 'node:path';
import { freePort, startNode, waitForHttp } from '../lib/children.js';
import { httpSeriesPhase } from './measure.js';

/** The connection counts of the bare app: those of `POST /event`, and the one L_http is taken at. */
export function bareConnections(connections: readonly number[], limitConnections: number): number[] {
  return [...new Set([...connections, limitConnections])].sort((a, b) => a - b);
}

export const httpPhase = () =>
  httpSeriesPhase({
    name: 'http',
    label: 'bare express',
    target: (ctx) => ctx.bare!,
    connections: (ctx) => bareConnections(ctx.options.connections, ctx.options.limitConnections),
    async prepare(ctx) {
      const port = await freePort();
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
    report(_ctx, results, series) {
      results.limits.http = series.map((s) => s.point);
    },
  });
