// `npm run bench`: the sidecar beside its limits, in one run, on one broker, with the same events.
// Phases, each run for several rounds (alternating the order of a phase and its limit from round to round):
//   kafka   L_kafka, raw kafkajs sendBatch of 100 events (acks=-1)
//   http    L_http, a bare express 5 app in its own process, at every connection count
//   event   the sidecar's POST /event at every connection count
//   spool   POST /event of a second sidecar whose Kafka is away (SPOOL_DIR set, no broker at its address): every
//           event spooled (202), beside the event phase at the same connections; needs `event` for its ratio
//   events  the sidecar's POST /events, 100 events per request
//   grpc    the sidecar's gRPC Log, many calls in flight over a few channels
//   soak    POST /event at half the peak rate, RSS at its start and end
// Writes <out>/<name>.json, .md and .svg (bench/results/latest.* by default, quick.* with --quick).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { protoPath } from '@event-sidecar/contract';
import type { Message } from 'kafkajs';
import { renderChart } from './lib/chart.js';
import { freePort, shebangNodeFlags, startNode, waitForHttp, type NodeChild } from './lib/children.js';
import { generateEvents, payloadStats, toGrpcMessage } from './lib/events.js';
import { GrpcLoad, type GrpcLoadResult } from './lib/grpc-load.js';
import {
  probe,
  readHeap,
  runHttpLoad,
  type HeapReading,
  type HttpLoadOptions,
  type HttpLoadResult,
} from './lib/http-load.js';
import { RawKafka, type KafkaLoadResult } from './lib/kafka-load.js';
import { MemoryWatch, readCpuMs } from './lib/proc.js';
import { parseOptions, UsageRequested, type BenchOptions, type Phase } from './lib/options.js';
import { renderProfile, summarizeProfile } from './lib/profile.js';
import { renderMarkdown } from './lib/report.js';
import { evaluateGoals, type BenchResults, type HttpPoint, type MachineInfo } from './lib/results.js';
import { growth, median, pairedRatio, rounds } from './lib/stats.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const MiB = 1024 * 1024;

const log = (message: string): void => {
  process.stderr.write(`bench: ${message}\n`);
};
const fixed = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** Failures of a phase summed over its rounds and warm-ups. */
class Failures {
  non2xx = 0;
  errors = 0;
  timeouts = 0;
  statusCodes: Record<string, number> = {};
  add(r: HttpLoadResult): void {
    this.non2xx += r.non2xx;
    this.errors += r.errors;
    this.timeouts += r.timeouts;
    for (const [code, count] of Object.entries(r.statusCodes))
      this.statusCodes[code] = (this.statusCodes[code] ?? 0) + count;
  }
}

interface Measured<T> {
  result: T;
  peakBytes: number;
  /** CPU time the serving process spent per successful event during the measured run, in microseconds. */
  cpuUsPerEvent: number;
  /** The same for this process, the load generator: is it the bottleneck? */
  clientCpuUsPerEvent: number;
  /** The sidecar's V8 heap at the end of the run (prom-client metrics). */
  heap?: HeapReading | undefined;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    totalMemoryMiB: Math.round(os.totalmem() / MiB),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    // scripts/kafka-local.sh runs KAFKA_VERSION, 4.4.0 by default; an external broker should set it too.
    kafka: process.env.KAFKA_VERSION?.trim() || '4.4.0',
    loadAverageStart: os.loadavg(),
    loadAverageEnd: [],
  };
}

/** The command that reproduces this run, BENCH_* settings included. */
function commandLine(argv: readonly string[]): string {
  const env = Object.entries(process.env)
    .filter(([k, v]) => k.startsWith('BENCH_') && v)
    .map(([k, v]) => `${k}=${v}`);
  return [...env, 'npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
}

/** Settings of the sidecar worth recording (its own variables, no secrets, no broker-script ones). */
function sidecarSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  const localScript =
    /^KAFKA_(PORT|CONTROLLER_PORT|WORK_DIR|CACHE_DIR|VERSION|START_TIMEOUT|STOP_TIMEOUT|HEAP_OPTS|EXTRA_PROPERTIES)$/;
  const own = /^(HTTP_|GRPC_|KAFKA_|EVENT_|PARTITION_|PRODUCER_|PUBLISH_|MAX_|ACK_MODE$|LOG_LEVEL$|SHUTDOWN_)/;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (v === undefined || !own.test(k) || localScript.test(k)) continue;
    // Secrets, and file paths (of this machine, not of the sidecar's behaviour), are only noted as set.
    out[k] = /PASSWORD|TOKEN|SECRET|_FILE|_PATH/.test(k) ? '(set)' : v;
  }
  return out;
}

function newestProfile(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let options: BenchOptions;
  try {
    options = parseOptions(argv, process.env);
  } catch (err) {
    if (err instanceof UsageRequested) {
      console.log(err.message);
      return 0;
    }
    console.error((err as Error).message);
    return 2;
  }
  const brokers = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) {
    console.error('KAFKA_BROKERS is not set: run through `npm run bench` (scripts/with-kafka.sh starts a broker)');
    return 2;
  }
  const has = (phase: Phase) => options.phases.includes(phase);
  const outDir = resolve(REPO, options.outDir);
  mkdirSync(outDir, { recursive: true });
  const machine = machineInfo();
  const date = new Date().toISOString();
  log(
    `${options.quick ? 'quick' : 'full'} run: ${options.rounds} rounds of ${options.durationS} s (+${options.warmupS} s warm-up), soak ${options.soakS} s, phases ${options.phases.join(',')}`,
  );
  log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverageStart.map((l) => l.toFixed(1)).join(' ')}`,
  );

  // ------------------------------------------------------------------ payloads
  const events = generateEvents(1000, { seed: 1 });
  const payload = payloadStats(events);
  const json = events.map((e) => Buffer.from(JSON.stringify(e)));
  // autocannon copies the request set per connection: 64 distinct events and 8 distinct batches are plenty.
  const singleBodies = json.slice(0, 64);
  const batchBodies = Array.from({ length: 8 }, (_, b) => {
    const slice = Array.from(
      { length: options.eventsPerRequest },
      (_, i) => json[(b * options.eventsPerRequest + i) % json.length]!,
    );
    return Buffer.concat([Buffer.from('['), Buffer.from(slice.join(',')), Buffer.from(']')]);
  });
  const kafkaBatches: Message[][] = Array.from({ length: 10 }, (_, b) =>
    Array.from({ length: options.kafkaBatch }, (_, i) => {
      const index = (b * options.kafkaBatch + i) % events.length;
      return { key: events[index]!.metadata.trace.traceId, value: json[index]! };
    }),
  );
  log(
    `payload: ${payload.events} events, ${payload.meanBytes} bytes on average (${payload.minBytes}-${payload.maxBytes}), ${JSON.stringify(payload.byType)}`,
  );

  // ------------------------------------------------------------------ resources, always released
  const runId = Date.now().toString(36);
  const rawTopic = `bench-raw-${runId}`;
  const sidecarTopic = `bench-sidecar-${runId}`;
  const kafka = new RawKafka(brokers, options.kafkaIdempotent);
  let bare: NodeChild | undefined;
  let bareUrl = '';
  let bareGrpcPort = 0;
  let bareGrpc: GrpcLoad | undefined;
  let sidecar: NodeChild | undefined;
  let spoolSidecar: NodeChild | undefined;
  let spoolDir: string | undefined;
  let grpc: GrpcLoad | undefined;
  const profileDir = join(outDir, 'profile');
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    grpc?.close();
    bareGrpc?.close();
    const stopping = [bare?.stop(), sidecar?.stop(30_000), spoolSidecar?.stop(30_000)];
    await Promise.allSettled(stopping);
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
    await kafka
      .deleteTopics([rawTopic, sidecarTopic])
      .catch((err: unknown) => log(`could not delete the topics: ${(err as Error).message}`));
    await kafka.close().catch(() => undefined);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const skipped: { phase: string; reason: string }[] = [];
  const skip = (phases: Phase[], reason: string): void => {
    for (const phase of phases) {
      if (has(phase) && !skipped.some((s) => s.phase === phase)) {
        skipped.push({ phase, reason });
        log(`skipping ${phase}: ${reason}`);
      }
    }
  };
  const runs = {
    event: has('event'),
    spool: has('spool'),
    events: has('events'),
    grpc: has('grpc'),
    soak: has('soak') && options.soakS > 0,
  };
  let acknowledged = 0;
  let sidecarEnv: Record<string, string> = {};
  let spoolUrl = '';

  try {
    await kafka.connect();
    if (has('kafka')) await kafka.createTopic(rawTopic, options.partitions);

    if (has('http')) {
      const port = await freePort();
      // With the gRPC phase, the bare process serves gRPC too: L_grpc, the limit of the transport alone.
      if (has('grpc')) bareGrpcPort = await freePort();
      bare = startNode(join(BENCH_DIR, 'bare-server.ts'), {
        nodeArgs: ['--import', 'tsx'],
        env: { ...process.env, PORT: String(port), ...(bareGrpcPort ? { GRPC_PORT: String(bareGrpcPort) } : {}) },
        cwd: REPO,
        logPath: join(outDir, 'bare-server.log'),
      });
      await waitForHttp(`http://127.0.0.1:${port}/health`, bare, 30_000);
      bareUrl = `http://127.0.0.1:${port}`;
    }

    // ---------------------------------------------------------------- the sidecar
    const sidecarPhases: Phase[] = ['event', 'events', 'grpc', 'soak'];
    let sidecarUrl = '';
    if (sidecarPhases.some(has)) {
      const cli = resolve(REPO, options.sidecarCli);
      if (!existsSync(cli)) {
        skip(sidecarPhases, `${relative(REPO, cli)} not found (run npm run build)`);
      } else {
        const [httpPort, grpcPort] = [await freePort(), await freePort()];
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(httpPort),
          GRPC_HOST: '127.0.0.1',
          GRPC_PORT: String(grpcPort),
          KAFKA_BROKERS: brokers.join(','),
          EVENT_TOPIC: sidecarTopic,
          KAFKA_CREATE_TOPIC_PARTITIONS: String(options.partitions),
          // gRPC answers `accepted` only once Kafka has the event, as HTTP does.
          ACK_MODE: 'confirmed',
          // One log line per request would measure the log pipe; warnings and errors still show.
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        };
        delete env.AUTH_TOKEN;
        sidecarEnv = sidecarSettings(env);
        if (options.profile) rmSync(profileDir, { recursive: true, force: true });
        sidecar = startNode(cli, {
          env,
          cwd: REPO,
          logPath: join(outDir, 'sidecar.log'),
          nodeArgs: [
            ...shebangNodeFlags(cli),
            ...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
          ],
        });
        try {
          await waitForHttp(`http://127.0.0.1:${httpPort}/health`, sidecar, 90_000);
          sidecarUrl = `http://127.0.0.1:${httpPort}`;
          log(`sidecar ready (pid ${sidecar.pid}, topic ${sidecarTopic})`);
        } catch (err) {
          skip(sidecarPhases, `the sidecar did not become healthy: ${(err as Error).message}`);
        }
        if (sidecarUrl) {
          const one = await probe(`${sidecarUrl}/event`, singleBodies[0]!);
          if (one.status === 201) acknowledged += 1;
          else skip(['event', 'soak'], `POST /event answered ${one.status}: ${one.body}`);
          const many = await probe(`${sidecarUrl}/events`, batchBodies[0]!);
          if (many.status === 200) acknowledged += options.eventsPerRequest;
          else skip(['events'], `POST /events answered ${many.status}: ${many.body}`);
          if (has('grpc')) {
            try {
              grpc = new GrpcLoad(protoPath, `127.0.0.1:${grpcPort}`, options.grpcChannels);
              await grpc.ready(10_000);
              const call = await grpc.call(grpc.encode(toGrpcMessage(events[0]!)));
              if (call.ok) acknowledged += 1;
              else skip(['grpc'], `Log answered ${call.outcome}`);
            } catch (err) {
              skip(['grpc'], `no gRPC server on GRPC_PORT: ${(err as Error).message}`);
            }
          }
        }
      }
    }
    // ---------------------------------------------------------------- the spooling sidecar
    // The same CLI and settings, but its Kafka is away (nothing listens at its KAFKA_BROKERS): it starts anyway
    // because SPOOL_DIR is set, and spools every event. Kept for the whole run, so the spool grows from step
    // to step as a spool does during a long outage.
    if (has('spool')) {
      const cli = resolve(REPO, options.sidecarCli);
      if (!existsSync(cli)) {
        skip(['spool'], `${relative(REPO, cli)} not found (run npm run build)`);
      } else {
        const [httpPort, grpcPort, nobody] = [await freePort(), await freePort(), await freePort()];
        spoolDir = mkdtempSync(join(options.spoolBase, 'bench-spool-'));
        spoolSidecar = startNode(cli, {
          env: {
            ...process.env,
            HTTP_HOST: '127.0.0.1',
            HTTP_PORT: String(httpPort),
            GRPC_HOST: '127.0.0.1',
            GRPC_PORT: String(grpcPort),
            KAFKA_BROKERS: `127.0.0.1:${nobody}`,
            EVENT_TOPIC: sidecarTopic,
            KAFKA_CREATE_TOPIC_PARTITIONS: String(options.partitions),
            SPOOL_DIR: spoolDir,
            // A long outage at full speed: the default 1 GiB would fill up within a full run.
            SPOOL_MAX_BYTES: process.env.SPOOL_MAX_BYTES ?? String(64 * 1024 ** 3),
            LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
            AUTH_TOKEN: '',
          },
          cwd: REPO,
          logPath: join(outDir, 'sidecar-spool.log'),
          nodeArgs: shebangNodeFlags(cli),
        });
        try {
          // With a spool the sidecar is healthy (200, DEGRADED) while Kafka is away.
          await waitForHttp(`http://127.0.0.1:${httpPort}/health`, spoolSidecar, 90_000);
          const one = await probe(`http://127.0.0.1:${httpPort}/event`, singleBodies[0]!);
          if (one.status === 202) {
            spoolUrl = `http://127.0.0.1:${httpPort}`;
            log(`spooling sidecar ready (pid ${spoolSidecar.pid}, Kafka away, spool in ${spoolDir})`);
          } else skip(['spool'], `POST /event answered ${one.status}, not 202 spooled: ${one.body}`);
        } catch (err) {
          skip(['spool'], `the spooling sidecar did not start: ${(err as Error).message}`);
        }
      }
    }
    for (const s of skipped) if (s.phase in runs) runs[s.phase as keyof typeof runs] = false;
    const grpcMessages = grpc && runs.grpc ? events.slice(0, 256).map((e) => grpc!.encode(toGrpcMessage(e))) : [];
    if (runs.grpc && bareGrpcPort) {
      try {
        bareGrpc = new GrpcLoad(protoPath, `127.0.0.1:${bareGrpcPort}`, options.grpcChannels);
        await bareGrpc.ready(10_000);
      } catch (err) {
        log(`no L_grpc: the bare gRPC server did not answer: ${(err as Error).message}`);
        bareGrpc?.close();
        bareGrpc = undefined;
      }
    }

    // ---------------------------------------------------------------- rounds
    const kafkaRounds: Measured<KafkaLoadResult>[] = [];
    const bareRounds = new Map<number, Measured<HttpLoadResult>[]>();
    const bareFailures = new Map<number, Failures>();
    const eventRounds = new Map<number, Measured<HttpLoadResult>[]>();
    const eventFailures = new Map<number, Failures>();
    const spoolRounds = new Map<number, Measured<HttpLoadResult>[]>();
    const spoolFailures = new Map<number, Failures>();
    const batchRounds: Measured<HttpLoadResult>[] = [];
    const batchFailures = new Failures();
    const grpcRounds: Measured<GrpcLoadResult>[] = [];
    const bareGrpcRounds: Measured<GrpcLoadResult>[] = [];
    const grpcFailures: Record<string, number> = {};
    let grpcFailed = 0;
    const bareConnections = [...new Set([...options.connections, options.limitConnections])].sort((a, b) => a - b);

    /**
     * Warm-up then measure one HTTP load against the process `pid`: failures of both runs are counted, and events
     * the sidecar acknowledged; its CPU time is read around the measured run only.
     */
    const httpStep = async (
      load: Omit<HttpLoadOptions, 'durationS'>,
      failures: Failures,
      // `delivered: false`: the sidecar answers without Kafka (spooled), so its events are not in the topic.
      target: { pid: number; eventsPerOk: number; sidecar: boolean; delivered?: boolean },
    ): Promise<Measured<HttpLoadResult>> => {
      const watch = target.sidecar ? new MemoryWatch(target.pid) : undefined;
      if (options.warmupS > 0) {
        const warm = await runHttpLoad({ ...load, durationS: options.warmupS });
        failures.add(warm);
        if (target.sidecar && target.delivered !== false) acknowledged += warm.ok * target.eventsPerOk;
      }
      const cpu0 = readCpuMs(target.pid);
      const client0 = process.cpuUsage();
      const result = await runHttpLoad({ ...load, durationS: options.durationS });
      const client = process.cpuUsage(client0);
      const cpuMs = readCpuMs(target.pid) - cpu0;
      const events = result.ok * target.eventsPerOk;
      failures.add(result);
      if (target.sidecar && target.delivered !== false) acknowledged += result.ok * target.eventsPerOk;
      return {
        result,
        heap: target.sidecar ? await readHeap(load.url) : undefined,
        peakBytes: watch ? watch.stop() : Number.NaN,
        cpuUsPerEvent: (cpuMs * 1000) / events,
        clientCpuUsPerEvent: (client.user + client.system) / events,
      };
    };

    type Step = { name: string; run: () => Promise<string> };
    const steps: Step[] = [];
    if (has('kafka')) {
      steps.push({
        name: 'L_kafka',
        run: async () => {
          if (options.warmupS > 0) await kafka.run(rawTopic, kafkaBatches, options.kafkaConcurrency, options.warmupS);
          // kafkajs runs in this process, alone during this phase: its CPU time is the client's cost.
          const cpu0 = process.cpuUsage();
          const r = await kafka.run(rawTopic, kafkaBatches, options.kafkaConcurrency, options.durationS);
          const cpu = process.cpuUsage(cpu0);
          const cpuUsPerEvent = (cpu.user + cpu.system) / r.events;
          kafkaRounds.push({ result: r, peakBytes: Number.NaN, cpuUsPerEvent, clientCpuUsPerEvent: cpuUsPerEvent });
          return `${fixed(r.eventsPerSecond)} events/s, batch p99 ${fixed(r.batchP99Ms, 1)} ms, ${fixed(cpuUsPerEvent)} µs CPU/event`;
        },
      });
    }
    if (runs.events) {
      steps.push({
        name: 'POST /events',
        run: async () => {
          const m = await httpStep(
            {
              url: sidecarUrl,
              path: '/events',
              bodies: batchBodies,
              connections: options.batchConnections,
              okStatus: [200],
            },
            batchFailures,
            { pid: sidecar!.pid, eventsPerOk: options.eventsPerRequest, sidecar: true },
          );
          batchRounds.push(m);
          return `${fixed(m.result.okPerSecond * options.eventsPerRequest)} events/s, p99 ${fixed(m.result.p99Ms, 1)} ms, peak ${fixed(m.peakBytes / MiB)} MiB, ${fixed(m.cpuUsPerEvent)} µs CPU/event (client ${fixed(m.clientCpuUsPerEvent)})`;
        },
      });
    }
    if (runs.grpc) {
      steps.push({
        name: 'gRPC Log',
        run: async () => {
          const watch = new MemoryWatch(sidecar!.pid);
          const tally = (r: GrpcLoadResult) => {
            acknowledged += r.ok;
            grpcFailed += r.failed;
            for (const [k, v] of Object.entries(r.failures)) grpcFailures[k] = (grpcFailures[k] ?? 0) + v;
          };
          if (options.warmupS > 0) tally(await grpc!.run(grpcMessages, options.grpcInFlight, options.warmupS));
          const cpu0 = readCpuMs(sidecar!.pid);
          const client0 = process.cpuUsage();
          const result = await grpc!.run(grpcMessages, options.grpcInFlight, options.durationS);
          const client = process.cpuUsage(client0);
          const cpuUsPerEvent = ((readCpuMs(sidecar!.pid) - cpu0) * 1000) / result.ok;
          const clientCpuUsPerEvent = (client.user + client.system) / result.ok;
          tally(result);
          const peakBytes = watch.stop();
          grpcRounds.push({ result, peakBytes, cpuUsPerEvent, clientCpuUsPerEvent, heap: await readHeap(sidecarUrl) });
          return `${fixed(result.okPerSecond)} events/s, p99 ${fixed(result.p99Ms, 1)} ms, peak ${fixed(peakBytes / MiB)} MiB, ${fixed(cpuUsPerEvent)} µs CPU/event (client ${fixed(clientCpuUsPerEvent)})${result.failed ? `, ${result.failed} failed` : ''}`;
        },
      });
    }
    if (runs.grpc && bareGrpc) {
      const load = bareGrpc;
      steps.push({
        name: 'L_grpc',
        run: async () => {
          if (options.warmupS > 0) await load.run(grpcMessages, options.grpcInFlight, options.warmupS);
          const cpu0 = readCpuMs(bare!.pid);
          const client0 = process.cpuUsage();
          const result = await load.run(grpcMessages, options.grpcInFlight, options.durationS);
          const client = process.cpuUsage(client0);
          const cpuUsPerEvent = ((readCpuMs(bare!.pid) - cpu0) * 1000) / result.ok;
          const clientCpuUsPerEvent = (client.user + client.system) / result.ok;
          bareGrpcRounds.push({ result, peakBytes: Number.NaN, cpuUsPerEvent, clientCpuUsPerEvent });
          return `${fixed(result.okPerSecond)} calls/s, p99 ${fixed(result.p99Ms, 1)} ms, ${fixed(cpuUsPerEvent)} µs CPU/call (client ${fixed(clientCpuUsPerEvent)})`;
        },
      });
    }
    for (const connections of bareConnections) {
      if (has('http')) {
        steps.push({
          name: `bare express @${connections}`,
          run: async () => {
            const failures = bareFailures.get(connections) ?? new Failures();
            bareFailures.set(connections, failures);
            const m = await httpStep({ url: bareUrl, path: '/event', bodies: singleBodies, connections }, failures, {
              pid: bare!.pid,
              eventsPerOk: 1,
              sidecar: false,
            });
            bareRounds.set(connections, [...(bareRounds.get(connections) ?? []), m]);
            return `${fixed(m.result.okPerSecond)} req/s, p99 ${fixed(m.result.p99Ms, 1)} ms, ${fixed(m.cpuUsPerEvent)} µs CPU/request`;
          },
        });
      }
      if (runs.event && options.connections.includes(connections)) {
        steps.push({
          name: `POST /event @${connections}`,
          run: async () => {
            const failures = eventFailures.get(connections) ?? new Failures();
            eventFailures.set(connections, failures);
            const m = await httpStep({ url: sidecarUrl, path: '/event', bodies: singleBodies, connections }, failures, {
              pid: sidecar!.pid,
              eventsPerOk: 1,
              sidecar: true,
            });
            eventRounds.set(connections, [...(eventRounds.get(connections) ?? []), m]);
            return `${fixed(m.result.okPerSecond)} req/s, p99 ${fixed(m.result.p99Ms, 1)} ms, peak ${fixed(m.peakBytes / MiB)} MiB, ${fixed(m.cpuUsPerEvent)} µs CPU/request (client ${fixed(m.clientCpuUsPerEvent)})${m.result.non2xx ? `, ${m.result.non2xx} non-2xx` : ''}`;
          },
        });
      }
      if (runs.spool && options.connections.includes(connections)) {
        steps.push({
          name: `POST /event spooled @${connections}`,
          run: async () => {
            const failures = spoolFailures.get(connections) ?? new Failures();
            spoolFailures.set(connections, failures);
            const m = await httpStep(
              { url: spoolUrl, path: '/event', bodies: singleBodies, connections, okStatus: [202] },
              failures,
              { pid: spoolSidecar!.pid, eventsPerOk: 1, sidecar: true, delivered: false },
            );
            spoolRounds.set(connections, [...(spoolRounds.get(connections) ?? []), m]);
            return `${fixed(m.result.okPerSecond)} req/s, p99 ${fixed(m.result.p99Ms, 1)} ms, peak ${fixed(m.peakBytes / MiB)} MiB, ${fixed(m.cpuUsPerEvent)} µs CPU/request (client ${fixed(m.clientCpuUsPerEvent)})${m.result.non2xx ? `, ${m.result.non2xx} non-2xx` : ''}`;
          },
        });
      }
    }

    // One warm-up of every process before the first round (JIT, heap growth, connections), so that round 1 is
    // not the slowest by construction; the per-step warm-ups then only re-establish connections.
    if (options.warmupS > 0) {
      const durationS = options.warmupS * 2;
      const failures = new Failures();
      if (has('kafka')) await kafka.run(rawTopic, kafkaBatches, options.kafkaConcurrency, durationS);
      if (has('http')) {
        failures.add(
          await runHttpLoad({
            url: bareUrl,
            path: '/event',
            bodies: singleBodies,
            connections: options.limitConnections,
            durationS,
          }),
        );
      }
      if (runs.event || runs.soak) {
        const r = await runHttpLoad({
          url: sidecarUrl,
          path: '/event',
          bodies: singleBodies,
          connections: options.limitConnections,
          durationS,
        });
        failures.add(r);
        acknowledged += r.ok;
      }
      if (runs.spool) {
        failures.add(
          await runHttpLoad({
            url: spoolUrl,
            path: '/event',
            bodies: singleBodies,
            connections: options.limitConnections,
            durationS,
            okStatus: [202],
          }),
        );
      }
      if (runs.events) {
        const r = await runHttpLoad({
          url: sidecarUrl,
          path: '/events',
          bodies: batchBodies,
          connections: options.batchConnections,
          durationS,
          okStatus: [200],
        });
        failures.add(r);
        acknowledged += r.ok * options.eventsPerRequest;
      }
      if (runs.grpc) acknowledged += (await grpc!.run(grpcMessages, options.grpcInFlight, durationS)).ok;
      const failed = failures.non2xx + failures.errors + failures.timeouts;
      log(`warm-up done${failed > 0 ? ` (${failed} failed requests: ${JSON.stringify(failures.statusCodes)})` : ''}`);
    }

    for (let round = 0; round < options.rounds; round++) {
      // Odd rounds run the steps backwards: a phase and its limit swap places, so drift does not favour either.
      const order = round % 2 === 0 ? steps : [...steps].reverse();
      for (const step of order) {
        const summary = await step.run();
        log(`[round ${round + 1}/${options.rounds}] ${step.name}: ${summary}`);
        if (sidecar?.hasExited()) throw new Error(`the sidecar exited during ${step.name}:\n${sidecar.tail()}`);
      }
    }

    // ---------------------------------------------------------------- figures
    const mib = (bytes: number) => bytes / MiB;
    const httpPoint = (connections: number, list: Measured<HttpLoadResult>[], failures: Failures): HttpPoint => ({
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
    });
    const httpLimits = [...bareRounds.entries()].map(([c, list]) => httpPoint(c, list, bareFailures.get(c)!));
    const lhttpRounds = (bareRounds.get(options.limitConnections) ?? []).map((m) => m.result.okPerSecond);
    const lkafkaRounds = kafkaRounds.map((m) => m.result.eventsPerSecond);
    const eventPoints = [...eventRounds.entries()]
      .sort(([a], [b]) => a - b)
      .map(([c, list]) => ({
        ...httpPoint(c, list, eventFailures.get(c)!),
        peakRssMiB: rounds(list.map((m) => mib(m.peakBytes))),
        heapTotalMiB: rounds(list.map((m) => m.heap?.heapTotalMiB ?? Number.NaN)),
        ratioToHttpLimit: pairedRatio(
          list.map((m) => m.result.okPerSecond),
          lhttpRounds,
        ),
        cpuRatioToBare: pairedRatio(
          list.map((m) => m.cpuUsPerEvent),
          (bareRounds.get(c) ?? []).map((m) => m.cpuUsPerEvent),
        ),
      }));
    const kafkaCpuRounds = kafkaRounds.map((m) => m.cpuUsPerEvent);
    const spoolPoints = [...spoolRounds.entries()]
      .sort(([a], [b]) => a - b)
      .map(([c, list]) => ({
        ...httpPoint(c, list, spoolFailures.get(c)!),
        peakRssMiB: rounds(list.map((m) => mib(m.peakBytes))),
        heapTotalMiB: rounds(list.map((m) => m.heap?.heapTotalMiB ?? Number.NaN)),
        ratioToKafkaPath: pairedRatio(
          list.map((m) => m.result.okPerSecond),
          (eventRounds.get(c) ?? []).map((m) => m.result.okPerSecond),
        ),
        cpuRatioToKafkaPath: pairedRatio(
          list.map((m) => m.cpuUsPerEvent),
          (eventRounds.get(c) ?? []).map((m) => m.cpuUsPerEvent),
        ),
      }));

    const results: BenchResults = {
      version: 1,
      date,
      command: commandLine(argv),
      mode: options.quick ? 'quick' : 'full',
      git: {
        commit: git(['rev-parse', '--short', 'HEAD']),
        branch: git(['rev-parse', '--abbrev-ref', 'HEAD']),
        dirty: git(['status', '--porcelain']) !== '',
      },
      machine,
      settings: {
        rounds: options.rounds,
        durationS: options.durationS,
        warmupS: options.warmupS,
        soakS: options.soakS,
        connections: options.connections,
        limitConnections: options.limitConnections,
        batchConnections: options.batchConnections,
        eventsPerRequest: options.eventsPerRequest,
        kafkaBatch: options.kafkaBatch,
        kafkaConcurrency: options.kafkaConcurrency,
        kafkaIdempotent: options.kafkaIdempotent,
        grpcInFlight: options.grpcInFlight,
        grpcChannels: options.grpcChannels,
        partitions: options.partitions,
        acks: -1,
        phases: options.phases,
        profiled: options.profile,
      },
      payload,
      limits: {
        ...(kafkaRounds.length > 0
          ? {
              kafka: {
                concurrency: options.kafkaConcurrency,
                batchSize: options.kafkaBatch,
                eventsPerSecond: rounds(lkafkaRounds),
                batchP50Ms: rounds(kafkaRounds.map((m) => m.result.batchP50Ms)),
                batchP99Ms: rounds(kafkaRounds.map((m) => m.result.batchP99Ms)),
                cpuUsPerEvent: rounds(kafkaRounds.map((m) => m.cpuUsPerEvent)),
              },
            }
          : {}),
        http: httpLimits.sort((a, b) => a.connections - b.connections),
        ...(bareGrpcRounds.length > 0
          ? {
              grpc: {
                inFlight: options.grpcInFlight,
                channels: options.grpcChannels,
                callsPerSecond: rounds(bareGrpcRounds.map((m) => m.result.okPerSecond)),
                p50Ms: rounds(bareGrpcRounds.map((m) => m.result.p50Ms)),
                p99Ms: rounds(bareGrpcRounds.map((m) => m.result.p99Ms)),
                cpuUsPerCall: rounds(bareGrpcRounds.map((m) => m.cpuUsPerEvent)),
                clientCpuUsPerCall: rounds(bareGrpcRounds.map((m) => m.clientCpuUsPerEvent)),
                ratioToKafkaLimit: pairedRatio(
                  bareGrpcRounds.map((m) => m.result.okPerSecond),
                  lkafkaRounds,
                ),
              },
            }
          : {}),
      },
      sidecar: {
        env: sidecarEnv,
        event: eventPoints,
        ...(spoolPoints.length > 0
          ? {
              spool: {
                sync: process.env.SPOOL_SYNC?.trim() || 'full',
                lingerMs: Number(process.env.SPOOL_LINGER_MS?.trim() || 2),
                event: spoolPoints,
              },
            }
          : {}),
      },
      goals: [],
      skipped,
    };
    if (batchRounds.length > 0) {
      const eps = batchRounds.map((m) => m.result.okPerSecond * options.eventsPerRequest);
      results.sidecar.events = {
        connections: options.batchConnections,
        eventsPerRequest: options.eventsPerRequest,
        eventsPerSecond: rounds(eps),
        requestsPerSecond: rounds(batchRounds.map((m) => m.result.okPerSecond)),
        p50Ms: rounds(batchRounds.map((m) => m.result.p50Ms)),
        p99Ms: rounds(batchRounds.map((m) => m.result.p99Ms)),
        peakRssMiB: rounds(batchRounds.map((m) => mib(m.peakBytes))),
        heapTotalMiB: rounds(batchRounds.map((m) => m.heap?.heapTotalMiB ?? Number.NaN)),
        cpuUsPerEvent: rounds(batchRounds.map((m) => m.cpuUsPerEvent)),
        cpuRatioToKafkaClient: pairedRatio(
          batchRounds.map((m) => m.cpuUsPerEvent),
          kafkaCpuRounds,
        ),
        clientCpuUsPerEvent: rounds(batchRounds.map((m) => m.clientCpuUsPerEvent)),
        ratioToKafkaLimit: pairedRatio(eps, lkafkaRounds),
        non2xx: batchFailures.non2xx,
        errors: batchFailures.errors,
        timeouts: batchFailures.timeouts,
        statusCodes: batchFailures.statusCodes,
      };
    }
    if (grpcRounds.length > 0) {
      const eps = grpcRounds.map((m) => m.result.okPerSecond);
      results.sidecar.grpc = {
        inFlight: options.grpcInFlight,
        channels: options.grpcChannels,
        eventsPerSecond: rounds(eps),
        p50Ms: rounds(grpcRounds.map((m) => m.result.p50Ms)),
        p99Ms: rounds(grpcRounds.map((m) => m.result.p99Ms)),
        peakRssMiB: rounds(grpcRounds.map((m) => mib(m.peakBytes))),
        heapTotalMiB: rounds(grpcRounds.map((m) => m.heap?.heapTotalMiB ?? Number.NaN)),
        cpuUsPerEvent: rounds(grpcRounds.map((m) => m.cpuUsPerEvent)),
        cpuRatioToKafkaClient: pairedRatio(
          grpcRounds.map((m) => m.cpuUsPerEvent),
          kafkaCpuRounds,
        ),
        clientCpuUsPerEvent: rounds(grpcRounds.map((m) => m.clientCpuUsPerEvent)),
        ratioToKafkaLimit: pairedRatio(eps, lkafkaRounds),
        ...(bareGrpcRounds.length > 0
          ? {
              ratioToGrpcLimit: pairedRatio(
                eps,
                bareGrpcRounds.map((m) => m.result.okPerSecond),
              ),
            }
          : {}),
        failed: grpcFailed,
        failures: grpcFailures,
      };
    }

    // ---------------------------------------------------------------- soak
    if (runs.soak) {
      const peakRate = Math.max(0, ...eventPoints.map((p) => p.requestsPerSecond.median).filter(Number.isFinite));
      if (peakRate <= 0) {
        skip(['soak'], 'no POST /event rate was measured to take half of (run the event phase too)');
      } else {
        const target = Math.max(1, Math.round(peakRate / 2));
        log(
          `soak: POST /event at ${target} req/s (half of ${fixed(peakRate)}) over ${options.limitConnections} connections for ${options.soakS} s`,
        );
        const watch = new MemoryWatch(sidecar!.pid, 1000);
        const result = await runHttpLoad({
          url: sidecarUrl,
          path: '/event',
          bodies: singleBodies,
          connections: options.limitConnections,
          durationS: options.soakS,
          overallRate: target,
        });
        const peakBytes = watch.stop();
        acknowledged += result.ok;
        const span = options.soakS * 1000;
        const firstTenth = watch.samples.filter((s) => s.atMs <= span * 0.1).map((s) => mib(s.rssBytes));
        const lastTenth = watch.samples.filter((s) => s.atMs >= span * 0.9).map((s) => mib(s.rssBytes));
        const every = Math.max(1, Math.ceil(watch.samples.length / 300));
        results.sidecar.soak = {
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
          rssMaxMiB: mib(peakBytes),
          rssGrowth: growth(median(firstTenth), median(lastTenth)),
          rssSeries: watch.samples
            .filter((_, i) => i % every === 0)
            .map((s) => [Math.round(s.atMs / 100) / 10, Math.round(mib(s.rssBytes) * 10) / 10]),
        };
        log(
          `soak: ${fixed(result.okPerSecond)} req/s, p99 ${fixed(result.p99Ms, 1)} ms, RSS ${fixed(results.sidecar.soak.rssStartMiB)} -> ${fixed(results.sidecar.soak.rssEndMiB)} MiB`,
        );
      }
    }

    const peaks = [
      ...eventPoints.flatMap((p) => p.peakRssMiB.rounds),
      ...spoolPoints.flatMap((p) => p.peakRssMiB.rounds),
      ...(results.sidecar.events?.peakRssMiB.rounds ?? []),
      ...(results.sidecar.grpc?.peakRssMiB.rounds ?? []),
      ...(results.sidecar.soak ? [results.sidecar.soak.rssMaxMiB] : []),
    ].filter(Number.isFinite);
    if (peaks.length > 0) results.sidecar.peakRssMiB = Math.max(...peaks);
    if (sidecarUrl && acknowledged > 0) {
      results.sidecar.delivery = { acknowledged, recordsInTopic: await kafka.records(sidecarTopic) };
    }
    machine.loadAverageEnd = os.loadavg();

    // ---------------------------------------------------------------- profile, then files
    await cleanup();
    if (options.profile) {
      const file = newestProfile(profileDir);
      if (file) {
        const summary = summarizeProfile(file);
        results.profile = { ...summary, file: relative(REPO, file) };
        writeFileSync(join(outDir, `${options.name}-profile.md`), renderProfile(results.profile));
        log(`profile: ${relative(REPO, file)}`);
        process.stderr.write(`${renderProfile(results.profile)}\n`);
      } else {
        log('profile: the sidecar wrote no .cpuprofile (did it exit cleanly?)');
      }
    }
    results.goals = evaluateGoals(results, options.limitConnections);
    const markdown = renderMarkdown(results);
    writeFileSync(join(outDir, `${options.name}.json`), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(outDir, `${options.name}.md`), markdown);
    writeFileSync(join(outDir, `${options.name}.svg`), renderChart(results));
    console.log(markdown);
    log(`wrote ${relative(REPO, join(outDir, options.name))}.{json,md,svg}`);
    return 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
