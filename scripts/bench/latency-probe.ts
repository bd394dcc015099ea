// Latency of one event at a time, and where it goes. Against one real broker, one event in flight at a time:
//   kafka     raw kafkajs send() of one ~1 KB record, idempotent, acks=-1 (the floor), with the time on the wire
//   producer  EventProducer.publish in-process, split into stages by its metric hooks
//   http      POST /event to the built sidecar CLI (a child process, keep-alive)
//   grpc      the sidecar's gRPC Log through the real @mojaloop/event-sdk client, ACK_MODE=confirmed
//   idle      the sidecar connected to Kafka with no traffic: CPU share of one core and context switches per second
// CPU per event of the sidecar is read from /proc (every thread); of the in-process paths from process.cpuUsage.
//
//   npx tsx scripts/bench/latency-probe.ts                       # a throwaway broker via scripts/with-kafka.sh
//   PROBE_BEFORE=<dir> npx tsx scripts/bench/latency-probe.ts    # also a second build (same layout), side by side
//   PROBE_PROFILE=1 PROBE_PATHS=idle npx tsx scripts/bench/latency-probe.ts  # a CPU profile of the sidecar
// Settings: PROBE_EVENTS (per path and round, default 1000), PROBE_ROUNDS (2), PROBE_IDLE_SECONDS (10),
// PROBE_PATHS (kafka,producer,http,grpc,idle; batch: POST /events of 100 events at 16 in flight),
// PROBE_IN_FLIGHT (e.g. 4,16,64: POST /event also at these concurrencies). PRODUCER_* and other sidecar
// variables reach the sidecar. Stages are medians per event (the wire: per request).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, logLevel, type ISocketFactory } from 'kafkajs';
import { benchBrokers } from './lib/broker.js';
import { freePort, shebangNodeFlags, startNode, waitForHttp, type NodeChild } from './lib/children.js';
import { generateEvents } from './lib/events.js';
import { renderProfile, summarizeProfile } from './lib/profile.js';
import { percentile } from './lib/stats.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback) || fallback;
const COUNT = num('PROBE_EVENTS', 1000);
const ROUNDS = num('PROBE_ROUNDS', 2);
const IDLE_SECONDS = num('PROBE_IDLE_SECONDS', 10);
const WARMUP = 100;
const PATHS = new Set((process.env.PROBE_PATHS ?? 'kafka,producer,http,grpc,idle').split(','));
const PARTITIONS = 12;
const BATCH_EVENTS = 100;
// Calls in flight for POST /event beyond the first row (1 is always measured, for every path).
const IN_FLIGHT = (process.env.PROBE_IN_FLIGHT ?? '')
  .split(',')
  .map(Number)
  .filter((n) => n > 1);

interface Timing {
  samples: number[];
  /** Events answered per second of the measured stretch. */
  perSecond?: number;
  cpuUsPerEvent: number;
  /** Mean ms per stage, where the path can tell them apart. */
  stages?: Record<string, number>;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

// ---------------------------------------------------------------- in-process paths (a worker per build)

/** Sockets that note when a request was written and its answer began to arrive: the time on the wire. */
function timedSockets(wire: number[]): ISocketFactory {
  return ({ host, port, onConnect }) => {
    const socket: Socket = connect({ host, port }, onConnect);
    let writtenAt = 0;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      writtenAt = performance.now();
      return write(...args);
    }) as typeof socket.write;
    socket.on('data', () => {
      if (writtenAt > 0) wire.push(performance.now() - writtenAt);
      writtenAt = 0;
    });
    return socket;
  };
}

async function rawKafka(brokers: string[], topic: string, value: Buffer): Promise<Timing> {
  const wire: number[] = [];
  const kafka = new Kafka({
    clientId: 'probe',
    brokers,
    logLevel: logLevel.NOTHING,
    socketFactory: timedSockets(wire),
  });
  const producer = kafka.producer({ idempotent: true, createPartitioner: () => () => 0 });
  await producer.connect();
  const send = () => producer.send({ topic, acks: -1, messages: [{ value }] });
  for (let i = 0; i < WARMUP; i++) await send();
  wire.length = 0;
  const samples: number[] = [];
  const cpu0 = cpuUs();
  for (let i = 0; i < COUNT; i++) {
    const t0 = performance.now();
    await send();
    samples.push(performance.now() - t0);
  }
  const cpuUsPerEvent = (cpuUs() - cpu0) / COUNT;
  await producer.disconnect();
  const onWire = percentile(wire.slice(-COUNT), 50);
  return {
    samples,
    cpuUsPerEvent,
    stages: { 'wire + broker': onWire, 'kafkajs client (send() minus the wire)': percentile(samples, 50) - onWire },
  };
}

async function inProcessProducer(root: string, brokers: string[], topic: string): Promise<Timing> {
  const mod = (await import(pathToFileURL(join(root, 'packages/producer/dist/index.js')).href)) as {
    EventProducer: new (options: object) => {
      connect(): Promise<void>;
      publish(event: unknown): Promise<unknown>;
      close(): Promise<void>;
    };
  };
  let batchAt = 0;
  let ackAt = 0;
  const producer = new mod.EventProducer({
    brokers,
    topic,
    createTopic: { partitions: PARTITIONS },
    metrics: {
      batchSize: () => (batchAt = performance.now()),
      publishLatency: () => (ackAt = performance.now()),
    },
  });
  await producer.connect();
  const events = generateEvents(200, { seed: 2 });
  for (let i = 0; i < WARMUP; i++) await producer.publish(events[i % events.length]);
  const samples: number[] = [];
  const wait: number[] = [];
  const send: number[] = [];
  const answer: number[] = [];
  const cpu0 = cpuUs();
  for (let i = 0; i < COUNT; i++) {
    const t0 = performance.now();
    await producer.publish(events[i % events.length]);
    const t1 = performance.now();
    samples.push(t1 - t0);
    wait.push(batchAt - t0);
    send.push(ackAt - batchAt);
    answer.push(t1 - ackAt);
  }
  const cpuUsPerEvent = (cpuUs() - cpu0) / COUNT;
  await producer.close();
  return {
    samples,
    cpuUsPerEvent,
    stages: {
      'publish -> request (prepare, queue, linger, lane)': percentile(wait, 50),
      'request -> ack (kafkajs + broker)': percentile(send, 50),
      'ack -> caller resumes': percentile(answer, 50),
    },
  };
}

async function worker(root: string): Promise<void> {
  const brokers = process.env.KAFKA_BROKERS!.split(',');
  const suffix = `${process.pid}-${Date.now()}`;
  const out: Record<string, Timing> = {};
  if (PATHS.has('kafka')) {
    const topic = `probe-raw-${suffix}`;
    const admin = new Kafka({ clientId: 'probe', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    out.kafka = await rawKafka(brokers, topic, Buffer.alloc(1024, 'x'));
  }
  if (PATHS.has('producer')) out.producer = await inProcessProducer(root, brokers, `probe-producer-${suffix}`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runWorker(root: string): Promise<Record<string, Timing>> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker', root], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    // 'close', not 'exit': the worker's last line may still be unread at 'exit'.
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`worker for ${root} exited with ${code}`));
      resolveRun(JSON.parse(text.trim().split('\n').pop()!) as Record<string, Timing>);
    });
  });
}

// ---------------------------------------------------------------- the sidecar (a child process per build)

/** CPU time of every thread of `pid` in µs, and its context switches (/proc, Linux). */
function procStats(pid: number): { cpuUs: number; switches: number } {
  let cpu = 0;
  let switches = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      cpu += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]) / 1000;
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) switches += Number(m[1]);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return { cpuUs: cpu, switches };
}

interface Sidecar {
  name: string;
  child: NodeChild;
  httpPort: number;
  grpcPort: number;
  profileDir: string;
  spoolDir: string | undefined;
}

async function startSidecar(name: string, root: string, brokers: string[], outDir: string): Promise<Sidecar> {
  const cli = join(root, 'packages/sidecar/dist/cli.js');
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const profileDir = join(outDir, `profile-${name}`);
  rmSync(profileDir, { recursive: true, force: true });
  // The spool is on by default: measured so, in a directory of each sidecar's own (one sidecar per spool).
  const spoolDir = process.env.SPOOL_DIR ? undefined : mkdtempSync(join(tmpdir(), `probe-spool-${name}-`));
  const child = startNode(cli, {
    cwd: root,
    logPath: join(outDir, `sidecar-${name}.log`),
    nodeArgs: [
      ...shebangNodeFlags(cli),
      ...(process.env.PROBE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ],
    env: {
      ...process.env,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      KAFKA_BROKERS: brokers.join(','),
      EVENT_TOPIC: `probe-sidecar-${name}-${Date.now()}`,
      KAFKA_CREATE_TOPIC_PARTITIONS: String(PARTITIONS),
      ACK_MODE: 'confirmed',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      ...(spoolDir ? { SPOOL_DIR: spoolDir } : {}),
    },
  });
  await waitForHttp(`http://127.0.0.1:${httpPort}/health`, child, 90_000);
  return { name, child, httpPort, grpcPort, profileDir, spoolDir };
}

interface Route {
  path: string;
  status: number;
  /** Events per request. */
  events: number;
}
const SINGLE: Route = { path: '/event', status: 201, events: 1 };

async function httpPath(sidecar: Sidecar, bodies: Buffer[], inFlight = 1, route = SINGLE): Promise<Timing> {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  const post = (body: Buffer) =>
    new Promise<void>((done, fail) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: sidecar.httpPort,
          path: route.path,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.once('end', () =>
            res.statusCode === route.status ? done() : fail(new Error(`POST ${route.path}: ${res.statusCode}`)),
          );
        },
      );
      req.once('error', fail);
      req.end(body);
    });
  const timing = await oneAtATime(sidecar, (i) => post(bodies[i % bodies.length]!), inFlight, route.events);
  agent.destroy();
  return timing;
}

type SdkClient = { log(event: unknown): Promise<{ status: string }>; grpcClient: { close(): void } };

async function grpcPath(sidecar: Sidecar, messages: unknown[]): Promise<Timing> {
  const sdk = (await import('@mojaloop/event-sdk')) as unknown as {
    EventLoggingServiceClient: new (host: string, port: number) => SdkClient;
    EventMessage: new (message: unknown) => unknown;
  };
  const client = new sdk.EventLoggingServiceClient('127.0.0.1', sidecar.grpcPort);
  // The SDK's proto knows the types log, audit and trace only.
  const sdkMessages = messages
    .filter((m) => (m as { metadata: { event: { type: string } } }).metadata.event.type !== 'error')
    .map((m) => new sdk.EventMessage(m));
  const timing = await oneAtATime(sidecar, async (i) => {
    const answer = await client.log(sdkMessages[i % sdkMessages.length]);
    if (answer.status !== 'accepted') throw new Error(`Log: ${JSON.stringify(answer)}`);
  });
  client.grpcClient.close();
  return timing;
}

async function oneAtATime(
  sidecar: Sidecar,
  call: (i: number) => Promise<void>,
  inFlight = 1,
  perCall = 1,
): Promise<Timing> {
  const calls = Math.max(inFlight, Math.round(COUNT / perCall));
  for (let i = 0; i < Math.min(WARMUP, calls); i++) await call(i);
  const samples: number[] = [];
  const before = procStats(sidecar.child.pid);
  let next = 0;
  const loop = async () => {
    while (next < calls) {
      const i = next++;
      const t0 = performance.now();
      await call(i);
      samples.push(performance.now() - t0);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, loop));
  const seconds = (performance.now() - started) / 1000;
  const after = procStats(sidecar.child.pid);
  const events = calls * perCall;
  return { samples, cpuUsPerEvent: (after.cpuUs - before.cpuUs) / events, perSecond: events / seconds };
}

async function idle(sidecar: Sidecar): Promise<{ coreShare: number; switchesPerSecond: number }> {
  const before = procStats(sidecar.child.pid);
  const t0 = performance.now();
  await sleep(IDLE_SECONDS * 1000);
  const after = procStats(sidecar.child.pid);
  const seconds = (performance.now() - t0) / 1000;
  return {
    coreShare: (after.cpuUs - before.cpuUs) / 1e6 / seconds,
    switchesPerSecond: (after.switches - before.switches) / seconds,
  };
}

// ---------------------------------------------------------------- the run

function row(name: string, t: Timing[]): string {
  const samples = t.flatMap((x) => x.samples);
  const cpu = mean(t.map((x) => x.cpuUsPerEvent));
  const fmt = (n: number) => n.toFixed(2);
  const rate = t[0]?.perSecond === undefined ? '' : mean(t.map((x) => x.perSecond!)).toFixed(0);
  return `| ${name} | ${samples.length} | ${fmt(percentile(samples, 50))} | ${fmt(percentile(samples, 99))} | ${fmt(mean(samples))} | ${cpu.toFixed(0)} | ${rate} |`;
}

function stageLines(name: string, t: Timing[]): string[] {
  const keys = Object.keys(t[0]?.stages ?? {});
  return keys.map((k) => `| ${name} | ${k} | ${mean(t.map((x) => x.stages![k]!)).toFixed(3)} |`);
}

async function main(): Promise<void> {
  const brokers = benchBrokers(import.meta.url);
  const outDir = join(REPO, 'bench/results/probe');
  mkdirSync(outDir, { recursive: true });
  const builds = [{ name: 'current', root: REPO }];
  if (process.env.PROBE_BEFORE) builds.unshift({ name: 'before', root: resolve(process.env.PROBE_BEFORE) });
  for (const b of builds) {
    if (!existsSync(join(b.root, 'packages/sidecar/dist/cli.js'))) throw new Error(`${b.root}: not built`);
  }
  const events = generateEvents(500, { seed: 1 });
  const bodies = events.map((e) => Buffer.from(JSON.stringify(e)));
  const batchBodies = Array.from({ length: 5 }, (_, i) =>
    Buffer.from(JSON.stringify(events.slice(i * BATCH_EVENTS, (i + 1) * BATCH_EVENTS))),
  );
  const timings = new Map<string, Timing[]>();
  const add = (key: string, t: Timing) => timings.set(key, [...(timings.get(key) ?? []), t]);

  const sidecars: Sidecar[] = [];
  if (['http', 'grpc', 'idle', 'batch'].some((p) => PATHS.has(p)) || IN_FLIGHT.length > 0) {
    for (const b of builds) sidecars.push(await startSidecar(b.name, b.root, brokers, outDir));
  }
  const idleShares = new Map<string, { coreShare: number; switchesPerSecond: number }[]>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Odd rounds in reverse order, so that drift on a shared machine favours neither build.
      const order = round % 2 === 0 ? builds : [...builds].reverse();
      for (const b of order) {
        if (PATHS.has('kafka') || PATHS.has('producer')) {
          for (const [path, t] of Object.entries(await runWorker(b.root))) add(`${path} (${b.name})`, t);
        }
        const sidecar = sidecars.find((s) => s.name === b.name);
        if (!sidecar) continue;
        if (PATHS.has('http')) add(`http POST /event (${b.name})`, await httpPath(sidecar, bodies));
        for (const n of IN_FLIGHT) add(`http POST /event x${n} (${b.name})`, await httpPath(sidecar, bodies, n));
        if (PATHS.has('batch')) {
          const route = { path: '/events', status: 200, events: BATCH_EVENTS };
          add(`http POST /events x16 (${b.name})`, await httpPath(sidecar, batchBodies, 16, route));
        }
        if (PATHS.has('grpc')) add(`grpc event-sdk (${b.name})`, await grpcPath(sidecar, events));
        console.error(`round ${round + 1}: ${b.name} done`);
      }
    }
    if (PATHS.has('idle')) {
      // After traffic: some of what wakes an idle process starts with the first request.
      await sleep(2000);
      for (const s of sidecars) idleShares.set(s.name, [await idle(s)]);
    }
  } finally {
    for (const s of sidecars) {
      await s.child.stop();
      if (s.spoolDir) rmSync(s.spoolDir, { recursive: true, force: true });
    }
  }

  const lines = [
    `One event in flight, ${COUNT} per path and round, ${ROUNDS} rounds (percentiles over every sample; CPU per event`,
    `of the sidecar process for http/grpc, of the in-process client + producer for kafka/producer).`,
    '',
    '| path | events | p50 ms | p99 ms | mean ms | CPU µs/event | events/s |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...[...timings.entries()].map(([k, t]) => row(k, t)),
    '',
    '| path | stage | median ms |',
    '| --- | --- | --- |',
    ...[...timings.entries()].flatMap(([k, t]) => stageLines(k, t)),
    '',
  ];
  if (idleShares.size > 0) {
    lines.push(
      `Idle sidecar (Kafka connected, no traffic, ${IDLE_SECONDS} s):`,
      '',
      '| build | CPU % of a core | context switches/s |',
      '| --- | --- | --- |',
    );
    for (const [name, [r]] of idleShares) {
      lines.push(`| ${name} | ${(r!.coreShare * 100).toFixed(2)} | ${r!.switchesPerSecond.toFixed(0)} |`);
    }
    lines.push('');
  }
  if (process.env.PROBE_PROFILE) {
    for (const s of sidecars) {
      const file = readdirSync(s.profileDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) lines.push(`### Profile: ${s.name}`, '', renderProfile(summarizeProfile(join(s.profileDir, file), 20)));
    }
  }
  console.log(lines.join('\n'));
}

if (process.argv[2] === '--worker') await worker(process.argv[3]!);
else await main();
