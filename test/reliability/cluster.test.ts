// Every event a service logs reaches Kafka, on a replicated cluster: three KRaft nodes, topics with
// replication factor 3 and min.insync.replicas 2. Services log through the real @mojaloop/event-sdk
// client over gRPC (16 calls in flight; it never retries) and over HTTP; the sidecar runs as a process
// with its spool. Each case counts the events the clients LOGGED (every id tried, whatever the answer)
// against what is on the topic afterwards, and reports logged, on Kafka, lost, duplicates, the
// longest answer and the time from the fault's end to an empty spool.
//
// Every case runs in both runs (CI runs the reduced one): leader kill, rolling restart, two nodes down (ISR below
// min.insync.replicas), the whole cluster down (20 s reduced, 60 s full), and the sidecar SIGKILLed while it replays
// its spool. The full run keeps the faults longer and the load higher.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { FULL, SidecarProcess, freePorts, report, sized, sleep, uniqueSuffix, until } from '../helpers/reliability.js';
import {
  ReliabilityCluster,
  ServiceLoad,
  MIN_INSYNC_REPLICAS,
  REPLICATION_FACTOR,
} from '../helpers/reliability-cluster.js';
import { HealthWatch, sampleHealth, spoolDrained, type HealthSample } from '../helpers/reliability-health.js';
import { readTopic } from '../helpers/reliability-topic.js';

const PARTITIONS = 8;
const GRPC_RATE = sized(100, 150);
const HTTP_RATE = sized(40, 50);
const GRPC_IN_FLIGHT = 16;
const WARM_UP_MS = 5000;
const AFTER_FAULT_MS = 5000;
const LEADER_DOWN_MS = 10_000;
const TWO_DOWN_MS = sized(20_000, 30_000);
const CLUSTER_DOWN_MS = sized(20_000, 60_000);
const REPLAY_FILL_MS = sized(15_000, 20_000);
const DRAIN_TIMEOUT_MS = 300_000;

interface CaseContext {
  t: TestContext;
  cluster: ReliabilityCluster;
  topic: string;
  sidecar: SidecarProcess;
  load: ServiceLoad;
  health: HealthWatch;
}

interface FaultResult {
  /** When the fault ended (the last node back, the sidecar restarted). */
  faultEnd: number;
  /** When it began. */
  faultStart: number;
  notes: string[];
  /** The load was stopped by the fault itself (before the sidecar was killed). */
  loadStopped?: boolean;
  /** The sidecar the case ends with (a restarted one). */
  sidecar?: SidecarProcess;
}

interface CaseFigures {
  logged: number;
  onKafka: number;
  lost: string[];
  duplicates: number;
  records: number;
  unanswered: number;
  longestAnswerMs: number;
  drainMs: number;
  health: HealthSample[];
}

let cluster: ReliabilityCluster;
let clusterStartMs = 0;

describe(`replicated cluster (${REPLICATION_FACTOR} nodes, min.insync.replicas ${MIN_INSYNC_REPLICAS})`, () => {
  // Registered here, not from inside `before`: a hook added while hooks run would never be called.
  let stopCluster: (() => Promise<void>) | undefined;
  after(() => stopCluster?.());
  before(async () => {
    ({ cluster, startMs: clusterStartMs } = await ReliabilityCluster.create((fn) => (stopCluster = fn)));
  });

  test(
    'leader kill: the leader of the busiest partitions SIGKILLed under load, then restarted',
    { timeout: 15 * 60_000 },
    (t) =>
      runCase(t, 'leader kill', async ({ cluster, topic }) => {
        const { node, partitions } = await cluster.busiestLeader(topic);
        const before = await cluster.describe(topic);
        const faultStart = Date.now();
        await cluster.killNode(node);
        // When the partitions it led had a leader again.
        const electedAt = await until('new leaders for the killed node partitions', 60_000, async () =>
          (await cluster.describe(topic).catch(() => [])).some(
            (p) => partitions.includes(p.partition) && p.leader > 0 && p.leader !== node,
          )
            ? Date.now()
            : undefined,
        );
        await sleep(Math.max(0, LEADER_DOWN_MS - (Date.now() - faultStart)));
        const restartMs = await cluster.startNode(node);
        return {
          faultStart,
          faultEnd: Date.now(),
          notes: [
            `killed node ${node}, leader of partitions ${partitions.join(', ')} (the busiest) among ${before.filter((p) => p.leader === node).length} it led; new leaders elected within ${electedAt - faultStart} ms; node down ${LEADER_DOWN_MS} ms, back in ${restartMs} ms`,
          ],
        };
      }),
  );

  test(
    'rolling restart: the three nodes stopped and started one after the other under load',
    { timeout: 20 * 60_000 },
    (t) =>
      runCase(t, 'rolling restart', async ({ cluster, topic }) => {
        const faultStart = Date.now();
        const steps: string[] = [];
        for (let node = 1; node <= 3; node++) {
          const stopMs = await cluster.stopNode(node);
          const startMs = await cluster.startNode(node);
          const isrFrom = Date.now();
          // As an operator does: the next node only once every replica is back in sync.
          await cluster.waitFullIsr(topic);
          steps.push(
            `node ${node}: stopped in ${stopMs} ms, started in ${startMs} ms, ISR full after ${Date.now() - isrFrom} ms`,
          );
        }
        return { faultStart, faultEnd: Date.now(), notes: steps };
      }),
  );

  test(
    'ISR below min.insync.replicas: two nodes down, the sidecar spools, stays DEGRADED and unblocked, then delivers',
    { timeout: 20 * 60_000 },
    (t) =>
      runCase(t, 'two nodes down', async ({ cluster, topic, health }) => {
        const faultStart = Date.now();
        await cluster.killNode(2);
        await cluster.killNode(3);
        await sleep(TWO_DOWN_MS);
        const downEnd = Date.now();
        const during = health.between(faultStart + 2000, downEnd);
        const restart2 = await cluster.startNode(2);
        const restart3 = await cluster.startNode(3);
        const faultEnd = Date.now();
        const degraded = during.filter((s) => s.status === 'DEGRADED').length;
        const described = await cluster.describe(topic).catch(() => []);
        assert.ok(degraded > 0, `/health said DEGRADED while two nodes were down (samples: ${summarize(during)})`);
        return {
          faultStart,
          faultEnd,
          notes: [
            `nodes 2 and 3 SIGKILLed for ${downEnd - faultStart} ms (node 1 alone: no controller quorum, ISR of every partition below ${MIN_INSYNC_REPLICAS}); back in ${restart2} + ${restart3} ms`,
            `/health while down: ${summarize(during)}; spool depth at most ${Math.max(0, ...during.map((s) => s.spoolDepth ?? 0))}`,
            `ISR after: ${described.map((p) => `${p.partition}:[${p.isr.join(',')}]`).join(' ')}`,
          ],
        };
      }),
  );

  test(
    `whole cluster down for ${CLUSTER_DOWN_MS / 1000} s, then back: the spool drains`,
    { timeout: 20 * 60_000 },
    (t) =>
      runCase(t, `cluster down ${CLUSTER_DOWN_MS / 1000} s`, async ({ cluster, health }) => {
        const faultStart = Date.now();
        for (const node of [1, 2, 3]) await cluster.killNode(node);
        await sleep(CLUSTER_DOWN_MS);
        const downEnd = Date.now();
        const startMs = await cluster.start();
        const during = health.between(faultStart + 2000, downEnd);
        return {
          faultStart,
          faultEnd: Date.now(),
          notes: [
            `three nodes SIGKILLed for ${downEnd - faultStart} ms; the cluster back in ${startMs} ms`,
            `/health while down: ${summarize(during)}; spool depth at most ${Math.max(0, ...during.map((s) => s.spoolDepth ?? 0))}`,
          ],
        };
      }),
  );

  test(
    'the sidecar SIGKILLed while it replays its spool, then restarted: nothing lost, duplicates counted',
    { timeout: 20 * 60_000 },
    (t) =>
      runCase(t, 'sidecar killed during replay', async ({ t, cluster, sidecar, load, health }) => {
        const faultStart = Date.now();
        for (const node of [1, 2, 3]) await cluster.killNode(node);
        await sleep(REPLAY_FILL_MS);
        // The load stops before the kill: a call to a dead process cannot be delivered by anyone.
        await load.stop();
        const spooled = (await sampleHealth(sidecar.httpPort)).spoolDepth ?? 0;
        const spoolBytes = directoryBytes(sidecar.env.SPOOL_DIR);
        const clusterStart = Date.now();
        const startPromise = cluster.start();
        // Kill as soon as the replay has visibly begun: the depth below what was spooled.
        let depthAtKill = -1;
        let peak = spooled;
        await until(
          'the replay began',
          300_000,
          async () => {
            const h = await sampleHealth(sidecar.httpPort);
            const depth = h.spoolDepth ?? 0;
            peak = Math.max(peak, depth);
            if (depth < peak) {
              sidecar.signal('SIGKILL');
              depthAtKill = depth;
              return true;
            }
            return undefined;
          },
          20,
        );
        const killedAt = Date.now();
        await sidecar.exited;
        const startMs = await startPromise;
        health.httpPort = sidecar.httpPort;
        const restartBegan = Date.now();
        const restarted = await SidecarProcess.start(t, { env: sidecar.env });
        const restartMs = Date.now() - restartBegan;
        return {
          faultStart,
          faultEnd: Date.now(),
          loadStopped: true,
          sidecar: restarted,
          notes: [
            `three nodes SIGKILLed for ${clusterStart - faultStart} ms: ${spooled} events on the spool (peak seen ${peak}), its directory ${(spoolBytes / 1048576).toFixed(1)} MiB (${spooled > 0 ? Math.round(spoolBytes / spooled) : '-'} bytes an event); cluster back in ${startMs} ms`,
            `sidecar SIGKILLed ${killedAt - clusterStart} ms after the cluster's start began, the spool at ${depthAtKill} of ${peak} events (replay under way); restarted on the same spool in ${restartMs} ms`,
          ],
        };
      }),
  );
});

async function runCase(t: TestContext, name: string, fault: (ctx: CaseContext) => Promise<FaultResult>): Promise<void> {
  // Every case begins with the whole cluster up and in sync.
  const running = await cluster.runningNodes();
  if (running.length < 3) await cluster.start();
  const topic = `reliability-cluster-${uniqueSuffix()}`;
  await cluster.createTopic(topic, PARTITIONS);

  const [httpPort, grpcPort] = await freePorts(2);
  const sidecar = await SidecarProcess.start(t, {
    env: {
      KAFKA_BROKERS: cluster.brokers.join(','),
      KAFKA_CLIENT_ID: `reliability-cluster-${uniqueSuffix()}`,
      EVENT_TOPIC: topic,
      HTTP_PORT: String(httpPort),
      GRPC_PORT: String(grpcPort),
      LOG_LEVEL: 'warn',
      // The load's connections stay open through the case; none is closed under a request.
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '600000',
    },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  t.after(() => agent.destroy());
  const health = new HealthWatch(sidecar.httpPort);
  t.after(() => health.stop());
  const load = await ServiceLoad.start({
    grpcPort: sidecar.grpcPort,
    httpPort: sidecar.httpPort,
    grpcRate: GRPC_RATE,
    grpcInFlight: GRPC_IN_FLIGHT,
    httpRate: HTTP_RATE,
    agent,
    note: name.replace(/\W+/g, '-'),
  });

  await sleep(WARM_UP_MS);
  let result: FaultResult;
  try {
    result = await fault({ t, cluster, topic, sidecar, load, health });
  } catch (err) {
    await load.stop();
    throw err;
  }
  if (!result.loadStopped) {
    await sleep(AFTER_FAULT_MS);
    await load.stop();
  }
  const last = result.sidecar ?? sidecar;
  const drainedAt = await spoolDrained(last.httpPort, DRAIN_TIMEOUT_MS);
  await health.stop();
  // The first time after the fault that /health saw Kafka OK and the spool empty (the load was still
  // running then, so that moment may come before the load stopped).
  const emptyAt = health.samples.find((h) => h.at >= result.faultEnd && h.status === 'OK' && !h.spoolDepth)?.at;

  const contents = await readTopic(cluster.brokers, topic, { timeoutMs: 180_000 });
  const figures = measure(
    load,
    contents.countById,
    contents.records,
    (emptyAt ?? drainedAt) - result.faultEnd,
    health.samples,
  );
  const answers = load.ledger.statusSummary();
  report(
    t,
    [
      `${name} (${FULL ? 'full' : 'reduced'}): cluster of 3 started in ${clusterStartMs} ms; topic ${PARTITIONS} partitions, RF ${REPLICATION_FACTOR}, min.insync.replicas ${MIN_INSYNC_REPLICAS}; load event-sdk gRPC ${GRPC_RATE}/s (${GRPC_IN_FLIGHT} in flight) + HTTP ${HTTP_RATE}/s`,
      ...result.notes.map((n) => `  ${n}`),
      `  logged ${figures.logged}, on Kafka ${figures.onKafka}, lost ${figures.lost.length}, duplicates ${figures.duplicates} (records ${figures.records}); unanswered ${figures.unanswered}`,
      `  longest answer ${figures.longestAnswerMs} ms (p50 ${load.answerQuantileMs(0.5)} ms, p99 ${load.answerQuantileMs(0.99)} ms); fault end to empty spool ${figures.drainMs} ms; fault lasted ${result.faultEnd - result.faultStart} ms`,
      `  answers: ${answers}`,
      `  refusals: ${load.ledger.refusalSummary() || 'none'}`,
      `  sidecar: peak RSS ${(last.maxRss / 1048576).toFixed(1)} MiB; log lines at error or above ${sidecar.linesAtLeast(50) + (last === sidecar ? 0 : last.linesAtLeast(50))}`,
      ...errorLines(sidecar, last).map((l) => `    ${l}`),
    ].join('\n'),
  );

  assert.ok(last.running, `the sidecar exited\n${last.describe()}`);
  assert.deepEqual(
    figures.lost.slice(0, 10),
    [],
    `${figures.lost.length} of ${figures.logged} logged events are not on Kafka (answers: ${answers})`,
  );
  assert.equal(figures.unanswered, 0, 'every call answered');
  last.signal('SIGTERM');
  assert.equal((await last.exited).code, 0, `exit after SIGTERM\n${last.describe()}`);
}

function measure(
  load: ServiceLoad,
  countById: Map<string, number>,
  records: number,
  drainMs: number,
  health: HealthSample[],
): CaseFigures {
  const lost: string[] = [];
  let duplicates = 0;
  let onKafka = 0;
  for (const id of load.ledger.byId.keys()) {
    const count = countById.get(id) ?? 0;
    if (count === 0) lost.push(id);
    else {
      onKafka++;
      duplicates += count - 1;
    }
  }
  return {
    logged: load.ledger.byId.size,
    onKafka,
    lost,
    duplicates,
    records,
    unanswered: load.ledger.unanswered,
    longestAnswerMs: load.longestAnswerMs(),
    drainMs,
    health,
  };
}

/** "DEGRADED ×40, OK ×2" of the /health samples. */
function summarize(samples: HealthSample[]): string {
  const counts = new Map<string, number>();
  for (const s of samples) {
    const key = `${s.http} ${s.status ?? ''}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(', ') || 'no samples';
}

/** The distinct error log lines of the case's sidecars (message and error), most frequent first. */
function errorLines(...sidecars: SidecarProcess[]): string[] {
  const counts = new Map<string, number>();
  for (const sidecar of new Set(sidecars))
    for (const line of sidecar.lastLogs(400)) {
      if ((line.level ?? 0) < 50) continue;
      const err = line.err as { type?: string; code?: string; message?: string } | undefined;
      const key =
        `${line.msg ?? ''}${err ? ` (${[err.type, err.code, err.message].filter(Boolean).join(': ')})` : ''}`.slice(
          0,
          300,
        );
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, n]) => `${n} × ${k}`);
}

/** Bytes of the files in a directory (the spool: its SQLite file and WAL). */
function directoryBytes(dir: string | undefined): number {
  if (!dir) return 0;
  let total = 0;
  for (const name of readdirSync(dir)) total += statSync(join(dir, name)).size;
  return total;
}
