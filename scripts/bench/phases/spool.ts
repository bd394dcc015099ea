// `spool`: `POST /event` of a second sidecar whose Kafka is away (SPOOL_DIR set, no broker at its address): every
// event spooled (202), beside the event phase at the same connections; needs `event` for its ratio. The same CLI
// and settings as the sidecar under test, kept for the whole run, so the spool grows from step to step as a spool
// does during a long outage.
import { existsSync, mkdtempSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { freePort, shebangNodeFlags, startNode, waitForHttp } from '../lib/children.js';
import { probe, runHttpLoad } from '../lib/http-load.js';
import { pairedRatio, rounds } from '../lib/stats.js';
import { fixed, httpStep, HttpSeries, mib, MiB } from './measure.js';
import type { BenchPhase, Served, Step } from './phase.js';

export function spoolPhase(): BenchPhase {
  const series = new HttpSeries();
  let spooling: Served | undefined;
  return {
    name: 'spool',
    async prepare(ctx) {
      const { options } = ctx;
      const cli = resolve(ctx.repo, options.sidecarCli);
      if (!existsSync(cli)) {
        ctx.skip(['spool'], `${relative(ctx.repo, cli)} not found (run npm run build)`);
        return;
      }
      const [httpPort, grpcPort, nobody] = [await freePort(), await freePort(), await freePort()];
      const spoolDir = mkdtempSync(join(options.spoolBase, 'bench-spool-'));
      ctx.resources.dirs.push(spoolDir);
      const child = startNode(cli, {
        env: {
          ...process.env,
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(httpPort),
          GRPC_HOST: '127.0.0.1',
          GRPC_PORT: String(grpcPort),
          KAFKA_BROKERS: `127.0.0.1:${nobody}`,
          EVENT_TOPIC: ctx.topics.sidecar,
          KAFKA_CREATE_TOPIC_PARTITIONS: String(options.partitions),
          SPOOL_DIR: spoolDir,
          // A long outage at full speed: the default 1 GiB would fill up within a full run.
          SPOOL_MAX_BYTES: process.env.SPOOL_MAX_BYTES ?? String(64 * 1024 ** 3),
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
          AUTH_TOKEN: '',
        },
        cwd: ctx.repo,
        logPath: join(ctx.outDir, 'sidecar-spool.log'),
        nodeArgs: shebangNodeFlags(cli),
      });
      ctx.resources.children.push({ child, graceMs: 30_000 });
      try {
        // With a spool the sidecar is healthy (200, DEGRADED) while Kafka is away.
        await waitForHttp(`http://127.0.0.1:${httpPort}/health`, child, 90_000);
        const one = await probe(`http://127.0.0.1:${httpPort}/event`, ctx.payloads.singleBodies[0]!);
        if (one.status === 202) {
          spooling = { child, url: `http://127.0.0.1:${httpPort}`, grpcPort };
          ctx.log(`spooling sidecar ready (pid ${child.pid}, Kafka away, spool in ${spoolDir})`);
        } else ctx.skip(['spool'], `POST /event answered ${one.status}, not 202 spooled: ${one.body}`);
      } catch (err) {
        ctx.skip(['spool'], `the spooling sidecar did not start: ${(err as Error).message}`);
      }
    },
    async warmUp(ctx, durationS) {
      ctx.warmupFailures.add(
        await runHttpLoad({
          url: spooling!.url,
          path: '/event',
          bodies: ctx.payloads.singleBodies,
          connections: ctx.options.limitConnections,
          durationS,
          okStatus: [202],
        }),
      );
    },
    steps: (ctx): Step[] =>
      ctx.options.connections.map((connections) => ({
        name: `POST /event spooled @${connections}`,
        connections,
        run: async () => {
          const m = await httpStep(
            ctx,
            {
              url: spooling!.url,
              path: '/event',
              bodies: ctx.payloads.singleBodies,
              connections,
              okStatus: [202],
            },
            series.failuresAt(connections),
            { pid: spooling!.child.pid, eventsPerOk: 1, sidecar: true, delivered: false },
          );
          series.add(connections, m);
          return `${fixed(m.result.okPerSecond)} req/s, p99 ${fixed(m.result.p99Ms, 1)} ms, peak ${fixed(m.peakBytes / MiB)} MiB, ${fixed(m.cpuUsPerEvent)} µs CPU/request (client ${fixed(m.clientCpuUsPerEvent)})${m.result.non2xx ? `, ${m.result.non2xx} non-2xx` : ''}`;
        },
      })),
    report(_ctx, results) {
      const points = series.points().map(({ connections, list, point }) => {
        const kafkaPath = results.sidecar.event.find((p) => p.connections === connections);
        return {
          ...point,
          peakRssMiB: rounds(list.map((m) => mib(m.peakBytes))),
          heapTotalMiB: rounds(list.map((m) => m.heap?.heapTotalMiB ?? Number.NaN)),
          ratioToKafkaPath: pairedRatio(
            list.map((m) => m.result.okPerSecond),
            kafkaPath?.requestsPerSecond.rounds ?? [],
          ),
          cpuRatioToKafkaPath: pairedRatio(
            list.map((m) => m.cpuUsPerEvent),
            kafkaPath?.cpuUsPerEvent.rounds ?? [],
          ),
        };
      });
      if (points.length === 0) return;
      results.sidecar.spool = {
        sync: process.env.SPOOL_SYNC?.trim() || 'full',
        lingerMs: Number(process.env.SPOOL_LINGER_MS?.trim() || 0),
        event: points,
      };
    },
  };
}
