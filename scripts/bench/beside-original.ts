// The original Mojaloop event sidecar (mojaloop/event-sidecar, not published on npm) and this sidecar side by side on
// one broker: each started with its defaults (this one with its spool, on by default, in a directory of its own),
// both on `topic-event` (12 partitions, made first), both driven by the real @mojaloop/event-sdk client over gRPC at 1,
// 16 and 64 calls in flight, alternating within each round (and the order reversed every other round). Each point:
// events/s, p50/p99 of `await client.log()`, and each process's CPU time (user + system, every thread, from /proc) per
// accepted event; idle RSS of both before any load. The original answers before Kafka has an event, this one after.
//
//   ORIGINAL_DIR=<a checkout of the original with its production dependencies> npm run bench:original
//
// Settings: BESIDE_ORIGINAL_IN_FLIGHT (1,16,64), BESIDE_ORIGINAL_SECONDS (15 per point), BESIDE_ORIGINAL_ROUNDS (3).
// Writes bench/results/beside-original.json and .md.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, shebangNodeFlags, startNode, waitForHttp, type NodeChild } from './lib/children.js';
import { closedLoop } from './lib/closed-loop.js';
import { generateEvents, sdkCanCarry } from './lib/events.js';
import { RawKafka } from './lib/kafka-load.js';
import { readCpuMs, readMemory } from './lib/proc.js';
import { machineInfo } from './lib/run-info.js';
import { EventSdkClient } from './lib/sdk-client.js';
import { median } from './lib/stats.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const env = (name: string, fallback: string) => process.env[name]?.trim() || fallback;
const IN_FLIGHT = env('BESIDE_ORIGINAL_IN_FLIGHT', '1,16,64').split(',').map(Number);
const SECONDS = Number(env('BESIDE_ORIGINAL_SECONDS', '15'));
const ROUNDS = Number(env('BESIDE_ORIGINAL_ROUNDS', '3'));
const TOPIC = 'topic-event';
const log = (m: string) => process.stderr.write(`beside-original: ${m}\n`);

interface Figures {
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerEvent: number;
}
type Name = 'original' | 'sidecar';
interface Target {
  child: NodeChild;
  client: EventSdkClient;
  idleRssMiB: number;
}

async function start(name: Name, originalDir: string, brokers: string, dirs: string[]): Promise<Target> {
  const [http, grpc] = [await freePort(), await freePort()];
  const logPath = join(tmpdir(), `beside-original-${name}.log`);
  // Each with its defaults: not the EVENT_SDK_LOG_FILTER that our event-sdk client sets in this process.
  const { EVENT_SDK_LOG_FILTER: _client, ...base } = process.env;
  let child: NodeChild;
  if (name === 'original') {
    // rc('ES', ...): ES_-prefixed variables, `__` between nested keys (a dotted key stays one key).
    const overrides = {
      ES_PORT: String(http),
      ES_EVENT_LOGGER_GRPC_HOST: '127.0.0.1',
      ES_EVENT_LOGGER_GRPC_PORT: String(grpc),
      'ES_KAFKA__PRODUCER__EVENT__config__rdkafkaConf__metadata.broker.list': brokers,
    };
    const script = join(originalDir, 'src/index.js');
    // `server --api` is its own `npm start`: without --api it ignores PORT.
    const args = ['server', '--api'];
    child = startNode(script, { env: { ...base, ...overrides }, cwd: originalDir, logPath, args });
  } else {
    const spool = mkdtempSync(join(tmpdir(), 'beside-original-spool-'));
    dirs.push(spool);
    const cli = join(REPO, 'packages/sidecar/dist/cli.js');
    const vars = { HTTP_HOST: '127.0.0.1', HTTP_PORT: String(http), GRPC_HOST: '127.0.0.1', GRPC_PORT: String(grpc) };
    const settings = { ...vars, KAFKA_BROKERS: brokers, SPOOL_DIR: spool };
    child = startNode(cli, {
      env: { ...base, ...settings },
      cwd: REPO,
      logPath,
      nodeArgs: shebangNodeFlags(cli),
    });
  }
  await waitForHttp(`http://127.0.0.1:${http}/health`, child, 90_000);
  await sleep(5000);
  const idleRssMiB = (readMemory(child.pid)?.rssBytes ?? Number.NaN) / 2 ** 20;
  return { child, client: await EventSdkClient.connect('127.0.0.1', grpc), idleRssMiB };
}

async function main(): Promise<void> {
  const originalDir = process.env.ORIGINAL_DIR;
  const brokers = process.env.KAFKA_BROKERS;
  if (!originalDir || !brokers) throw new Error('set ORIGINAL_DIR (and run through scripts/with-kafka.sh)');
  const kafka = new RawKafka(brokers.split(','));
  await kafka.connect();
  await kafka.createTopic(TOPIC, 12);
  const dirs: string[] = [];
  const targets: Partial<Record<Name, Target>> = {};
  const events = generateEvents(2000, { seed: 3 }).filter(sdkCanCarry);
  const measured = new Map<string, Figures[]>();
  const machine = machineInfo();
  try {
    for (const name of ['original', 'sidecar'] as const) targets[name] = await start(name, originalDir, brokers, dirs);
    log(
      `idle RSS: original ${targets.original!.idleRssMiB.toFixed(0)} MiB, sidecar ${targets.sidecar!.idleRssMiB.toFixed(0)} MiB`,
    );
    const run = async (name: Name, inFlight: number, seconds: number): Promise<Figures> => {
      const { child, client } = targets[name]!;
      const cpu0 = readCpuMs(child.pid);
      const r = await closedLoop((i) => client.log(events[i % events.length]!), inFlight, seconds);
      if (r.failed > 0) log(`${name} @${inFlight}: ${r.failed} failed ${JSON.stringify(r.failures)}`);
      const cpuUsPerEvent = ((readCpuMs(child.pid) - cpu0) * 1000) / Math.max(1, r.ok);
      return { eventsPerSecond: r.okPerSecond, p50Ms: r.p50Ms, p99Ms: r.p99Ms, cpuUsPerEvent };
    };
    for (const name of ['original', 'sidecar'] as const) await run(name, 16, 3); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const inFlight of IN_FLIGHT) {
        const order: Name[] = round % 2 === 0 ? ['original', 'sidecar'] : ['sidecar', 'original'];
        for (const name of order) {
          const f = await run(name, inFlight, SECONDS);
          measured.set(`${name}@${inFlight}`, [...(measured.get(`${name}@${inFlight}`) ?? []), f]);
          log(
            `round ${round + 1} @${inFlight} ${name}: ${f.eventsPerSecond.toFixed(0)} events/s, p50/p99 ${f.p50Ms.toFixed(2)}/${f.p99Ms.toFixed(2)} ms, ${f.cpuUsPerEvent.toFixed(0)} µs CPU/event`,
          );
        }
      }
    }
  } finally {
    for (const t of Object.values(targets)) t.client.close();
    await Promise.all(Object.values(targets).map((t) => t.child.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await kafka.close();
  }
  write(measured, targets as Record<Name, Target>, machine);
}

function write(
  measured: Map<string, Figures[]>,
  targets: Record<Name, Target>,
  m: ReturnType<typeof machineInfo>,
): void {
  const fold = (list: Figures[]): Figures => ({
    eventsPerSecond: Math.round(median(list.map((f) => f.eventsPerSecond))),
    p50Ms: Number(median(list.map((f) => f.p50Ms)).toFixed(2)),
    p99Ms: Number(median(list.map((f) => f.p99Ms)).toFixed(2)),
    cpuUsPerEvent: Math.round(median(list.map((f) => f.cpuUsPerEvent))),
  });
  const settings = [`BESIDE_ORIGINAL_ROUNDS=${ROUNDS}`, `BESIDE_ORIGINAL_SECONDS=${SECONDS}`];
  const result = {
    date: new Date().toISOString(),
    command: `ORIGINAL_DIR=<mojaloop/event-sidecar v14.2.3 with its dependencies> ${settings.join(' ')} npm run bench:original`,
    machine: `${m.cpuModel}, ${m.cores} cores, Node ${m.node}, Kafka ${m.kafka}, load average ${m.loadAverageStart.map((l) => l.toFixed(1)).join(' ')} at the start`,
    points: IN_FLIGHT.map((inFlight) => ({
      inFlight,
      original: fold(measured.get(`original@${inFlight}`) ?? []),
      sidecar: fold(measured.get(`sidecar@${inFlight}`) ?? []),
    })),
    memory: {
      originalIdleRssMiB: Math.round(targets.original.idleRssMiB),
      sidecarIdleRssMiB: Math.round(targets.sidecar.idleRssMiB),
    },
  };
  const cell = (f: Figures) =>
    `${f.eventsPerSecond.toLocaleString('en')} · ${f.p50Ms}/${f.p99Ms} · ${f.cpuUsPerEvent.toLocaleString('en')}`;
  const md = [
    `The original event sidecar (v14.2.3) beside this one, ${result.date.slice(0, 10)}: ${result.machine}; \`${result.command}\`.`,
    `Medians of ${ROUNDS} rounds of ${SECONDS} s per point, the real \`@mojaloop/event-sdk\` client over gRPC, one broker;`,
    "CPU is each process's user + system time per accepted event. The original answers before Kafka has the event, this",
    'sidecar after (`ACK_MODE=confirmed`, its default).',
    '',
    '| in flight | original: events/s · p50/p99 ms · CPU µs/event | this sidecar | events/s ratio | CPU ratio |',
    '| --- | --- | --- | --- | --- |',
    ...result.points.map(
      (p) =>
        `| ${p.inFlight} | ${cell(p.original)} | ${cell(p.sidecar)} | ${(p.sidecar.eventsPerSecond / p.original.eventsPerSecond).toFixed(2)} × | ${(p.sidecar.cpuUsPerEvent / p.original.cpuUsPerEvent).toFixed(2)} × |`,
    ),
    '',
    `Idle RSS before any load: original ${result.memory.originalIdleRssMiB} MiB, this sidecar ${result.memory.sidecarIdleRssMiB} MiB.`,
    '',
  ].join('\n');
  const out = join(REPO, 'bench/results/beside-original');
  writeFileSync(`${out}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${out}.md`, md);
  console.log(md);
}

await main();
