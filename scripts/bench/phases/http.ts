// The phases that load one process with `POST /event` at every connection count, side by side in each round:
//   http   L_http, a bare express 5 app in its own process; with the `grpc` or `latency` phase in the run, the same
//          process serves a bare gRPC `Log` too (L_grpc, and the transport's floor at one call in flight)
//   event  the sidecar's `POST /event`, beside L_http
//   spool  `POST /event` of a second sidecar whose Kafka is away (SPOOL_DIR set, no broker at its address): every
//          event spooled (202), beside `event`; the same CLI and settings as the sidecar under test, kept for the whole
//          run, so the spool grows from step to step as a spool does during a long outage
import { join } from 'node:path';
import { freePort, startNode, waitForHttp } from '../lib/children.js';
import { probe } from '../lib/http-load.js';
import { httpLimit } from '../lib/results.js';
import { pairedRatio } from '../lib/stats.js';
import { httpSeriesPhase } from './measure.js';
import type { Served } from './phase.js';
import { startSidecar } from './sidecar.js';

export const httpPhase = () =>
  httpSeriesPhase({
    name: 'http',
    label: 'bare express',
    target: (ctx) => ctx.bare!,
    // Those of `POST /event`, and the one L_http is taken at.
    connections: ({ options: o }) => [...new Set([...o.connections, o.limitConnections])].sort((a, b) => a - b),
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

export function spoolPhase() {
  let spooling: Served | undefined;
  return httpSeriesPhase({
    name: 'spool',
    label: 'POST /event spooled',
    target: () => spooling!,
    connections: (ctx) => [...ctx.options.connections],
    sidecar: { counts: false },
    okStatus: [202],
    async prepare(ctx) {
      try {
        const served = await startSidecar(ctx, {
          topic: ctx.topics.sidecar,
          ackMode: 'confirmed',
          logName: 'sidecar-spool.log',
          brokers: [`127.0.0.1:${await freePort()}`],
          // A long outage at full speed: the default 1 GiB would fill up within a full run.
          env: { SPOOL_MAX_BYTES: process.env.SPOOL_MAX_BYTES ?? String(64 * 1024 ** 3) },
        });
        const one = await probe(`${served.url}/event`, ctx.payloads.singleBodies[0]!);
        if (one.status !== 202) return ctx.skip(['spool'], `POST /event answered ${one.status}, not 202: ${one.body}`);
        spooling = served;
        ctx.log(`spooling sidecar ready (pid ${served.child.pid}, Kafka away, spool in ${served.env.SPOOL_DIR})`);
      } catch (err) {
        ctx.skip(['spool'], `the spooling sidecar did not start: ${(err as Error).message}`);
      }
    },
    report(_ctx, results, series) {
      if (series.length === 0) return;
      const event = results.sidecar.event;
      const kafkaPath = (c: number) => event.find((p) => p.connections === c);
      results.sidecar.spool = {
        sync: process.env.SPOOL_SYNC?.trim() || 'full',
        lingerMs: Number(process.env.SPOOL_LINGER_MS?.trim() || 0),
        event: series.map(({ connections, list, point }) => ({
          ...point,
          peakRssMiB: point.peakRssMiB!,
          heapTotalMiB: point.heapTotalMiB!,
          ratioToKafkaPath: pairedRatio(
            list.map((m) => m.result.okPerSecond),
            kafkaPath(connections)?.requestsPerSecond.rounds ?? [],
          ),
          cpuRatioToKafkaPath: pairedRatio(
            list.map((m) => m.cpuUsPerEvent),
            kafkaPath(connections)?.cpuUsPerEvent.rounds ?? [],
          ),
        })),
      };
    },
  });
}
