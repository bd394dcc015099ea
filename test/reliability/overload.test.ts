// Overload: after measuring the rate the sidecar sustains with a mix of clients (HTTP batches,
// HTTP single events, gRPC single events), offer about ten times as much with the same mix for a
// while (bounded in count and time). Every request must get an answer (201, 202 when the spool took
// it for a full producer queue, or 429 / 503 with Retry-After; batches 200/207 with each failed event
// saying why), the sidecar's RSS must stay under a stated bound, and every acknowledged event must be
// on the topic once the spool drained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  FULL,
  SidecarProcess,
  baseSidecarEnv,
  formatMiB,
  report,
  sharedBrokers,
  sized,
  uniqueSuffix,
  until,
} from '../helpers/reliability.js';
import { fastEvent, toWire } from '../helpers/reliability-events.js';
import {
  Ledger,
  grpcClient,
  prepareBatch,
  runLoad,
  sendBatch,
  sendGrpc,
  sendHttp,
  type GrpcClient,
  type LoadReport,
  type Outcome,
  type PreparedBatch,
} from '../helpers/reliability-load.js';
import { sampleHealth } from '../helpers/reliability-health.js';
import { formatReconciliation, readTopic, reconcile } from '../helpers/reliability-topic.js';

const WARM_UP_MS = 1500;
const CALIBRATION_MS = 3000;
const OVERLOAD_MS = sized(6000, 20_000);
const FACTOR = 10;
const BATCH = 100;
/** Shares of the events offered: batches carry most, singles over HTTP and gRPC the rest. */
const SHARE = { batch: 0.8, http: 0.12, grpc: 0.08 };
/** Stated bound on the sidecar's resident memory during the overload. */
const RSS_BOUND = 384 * 1048576;
const CLIENT_TIMEOUT_MS = 60_000;

function properRefusal(o: Outcome): boolean {
  if (o.transport === 'grpc')
    return ['RESOURCE_EXHAUSTED', 'UNAVAILABLE'].includes(o.status) && (o.retryAfter ?? 0) >= 1;
  // Batch items carry the Mojaloop code: 2005 server busy, 2003 service unavailable.
  return ['429', '503', 'item 2005', 'item 2003'].includes(o.status) && (o.retryAfter ?? 0) >= 1;
}

test(
  `overload at ${FACTOR}x the sustainable rate: every request answered, memory bounded, nothing acknowledged lost`,
  {
    timeout: 15 * 60_000,
  },
  async (t) => {
    const brokers = sharedBrokers();
    const topic = `reliability-overload-${uniqueSuffix()}`;
    const sidecar = await SidecarProcess.start(t, {
      env: baseSidecarEnv(brokers, topic, {
        // A small queue, so that the backpressure answer (429) is reached rather than only latency.
        PRODUCER_MAX_QUEUE: '1000',
        MAX_BATCH_EVENTS: String(BATCH),
        PUBLISH_TIMEOUT_MS: '10000',
        // The client keeps its connections; the server must not close an idle one under it, or a
        // request crossing the close is reset (the keep-alive race, a client-side matter). Any reset
        // left is then the sidecar's doing.
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '600000',
      }),
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 7000 });
    t.after(() => agent.destroy());
    const grpc = grpcClient(sidecar.grpcPort);
    t.after(() => grpc.close());
    const share = SHARE;

    // 1. The sustainable rate of this mix: closed loops (each client waits for its answer), after a
    // warm-up (JIT, connections, the producer's first batches) that is not counted.
    const calibration = new Ledger();
    const warmUpEnd = Date.now() + WARM_UP_MS;
    const calibrationEnd = warmUpEnd + CALIBRATION_MS;
    const loop = async (send: (n: number) => Promise<unknown>) => {
      for (let n = 0; Date.now() < calibrationEnd && n < 1_000_000; n++) await send(n);
    };
    await Promise.all([
      ...Array.from({ length: 8 }, () =>
        loop((n) => sendBatch(calibration, sidecar.httpPort, prepareBatch(batchOf(n)), { agent })),
      ),
      ...Array.from({ length: 12 }, () =>
        loop((n) => sendHttp(calibration, sidecar.httpPort, fastEvent(n), { agent })),
      ),
      ...Array.from({ length: 8 }, () => loop((n) => sendGrpcEvent(calibration, grpc, n))),
    ]);
    let calibrated = 0;
    for (const [, o] of calibration.outcomes()) if (o.kind === 'acked' && o.sentAt >= warmUpEnd) calibrated++;
    const sustainable = Math.max(100, Math.round((calibrated * 1000) / CALIBRATION_MS));
    const target = sustainable * FACTOR;
    sidecar.resetMaxRss();
    const rssBefore = sidecar.rss();

    // 2. Ten times that. Batches are made before the clock starts, so that making them takes
    // nothing from the offer.
    const maxEvents = Math.min(target * (OVERLOAD_MS / 1000), 400_000);
    const batchCount = Math.ceil((maxEvents * share.batch) / BATCH);
    const batches: PreparedBatch[] = Array.from({ length: batchCount }, (_, n) => prepareBatch(batchOf(n)));
    const ledger = new Ledger();
    const batchStatuses = new Map<string, number>();
    // The load client shares the cores with the sidecar and Kafka: how late its own event loop ran
    // tells how much of an answer's latency is the client's.
    const clientDelay = monitorEventLoopDelay({ resolution: 20 });
    clientDelay.enable();
    const started = Date.now();
    // Per request (a batch is one), by stream: where the latency is.
    const requestMs = { batch: [] as number[], http: [] as number[], grpc: [] as number[] };
    const timed =
      <T>(into: number[], send: (n: number) => Promise<T>) =>
      async (n: number): Promise<T> => {
        const t0 = Date.now();
        try {
          return await send(n);
        } finally {
          into.push(Date.now() - t0);
        }
      };
    const streams: Array<Promise<LoadReport>> = [
      runLoad({
        ratePerSec: (target * share.batch) / BATCH,
        durationMs: OVERLOAD_MS,
        maxCount: batchCount,
        maxInFlight: 2000,
        send: timed(requestMs.batch, async (n) => {
          const status = String(
            await sendBatch(ledger, sidecar.httpPort, batches[n]!, { agent, timeoutMs: CLIENT_TIMEOUT_MS }),
          );
          batchStatuses.set(status, (batchStatuses.get(status) ?? 0) + 1);
        }),
      }),
      runLoad({
        ratePerSec: target * share.http,
        durationMs: OVERLOAD_MS,
        maxCount: Math.ceil(maxEvents * share.http),
        maxInFlight: 4000,
        send: timed(requestMs.http, (n) =>
          sendHttp(ledger, sidecar.httpPort, fastEvent(n), { agent, timeoutMs: CLIENT_TIMEOUT_MS }),
        ),
      }),
    ];
    streams.push(
      runLoad({
        ratePerSec: target * share.grpc,
        durationMs: OVERLOAD_MS,
        maxCount: Math.ceil(maxEvents * share.grpc),
        maxInFlight: 4000,
        send: timed(requestMs.grpc, (n) => sendGrpcEvent(ledger, grpc, n)),
      }),
    );
    const loads = await Promise.all(streams);
    const drainedMs = Date.now() - started;
    clientDelay.disable();
    assert.ok(sidecar.running, `the sidecar exited under overload\n${sidecar.describe()}`);
    const peakRss = sidecar.maxRss;
    // prom-client's event-loop figures cover the time since the previous scrape: the overload.
    const metricsText = await fetch(`${sidecar.url}/metrics`).then(
      (res) => res.text(),
      () => '',
    );
    const lag = (name: string) =>
      Math.round(
        Number(new RegExp(`^\\w*nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(metricsText)?.[1]) * 1000,
      );

    // What the spool took for the full queue is delivered after the overload: read the topic once it is.
    const drainStarted = Date.now();
    await until('the spool drained', 300_000, async () =>
      ((await sampleHealth(sidecar.httpPort)).spoolDepth ?? 0) === 0 ? true : undefined,
    );
    const spoolDrainMs = Date.now() - drainStarted;
    const contents = await readTopic(brokers, topic);
    // Calibration events are on the topic too: they count for losses as well.
    for (const [id, o] of calibration.outcomes()) ledger.record(id, o);
    const r = reconcile(ledger, contents);
    const offered = loads.reduce((sum, l, i) => sum + (i === 0 ? l.started * BATCH : l.started), 0);
    const overloadOutcomes = [...ledger.outcomes()].map(([, o]) => o).filter((o) => o.sentAt >= started);
    const wrong = overloadOutcomes.filter((o) => o.kind === 'refused' && !properRefusal(o));
    const unanswered = overloadOutcomes.filter((o) => o.kind === 'unanswered');
    const latencies = overloadOutcomes
      .filter((o) => o.kind !== 'unanswered')
      .map((o) => o.answeredAt - o.sentAt)
      .sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
    // Sorted rather than spread into Math.min: tens of thousands of arguments overflow the stack.
    const waits = unanswered.map((o) => o.answeredAt - o.sentAt).sort((a, b) => a - b);
    report(
      t,
      [
        `overload (${FULL ? 'full' : 'reduced'}): sustainable ${sustainable} events/s (closed loops: 8 clients of batches of ${BATCH}, 12 of HTTP singles, 8 of gRPC singles); offered ${target} events/s for ${OVERLOAD_MS} ms (batches ${share.batch * 100}%, HTTP singles ${Math.round(share.http * 100)}%, gRPC ${share.grpc * 100}%)`,
        `  started: ${offered} events in ${loads.map((l) => l.started).join(' / ')} requests (batches / HTTP / gRPC), held back by the in-flight bound: ${loads.map((l) => l.skipped).join(' / ')}; every answer within ${drainedMs} ms`,
        `  offered rate achieved ${Math.round((offered * 1000) / OVERLOAD_MS)} events/s = ${((offered * 1000) / OVERLOAD_MS / sustainable).toFixed(1)}x sustainable`,
        `  ${formatReconciliation(r)} (calibration included)`,
        `  answers during the overload: ${countBy(overloadOutcomes.map((o) => `${o.transport} ${o.status}`))}; batch statuses: ${[...batchStatuses].map(([s, n]) => `${s}: ${n}`).join(', ')}`,
        `  answer latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${latencies.at(-1) ?? 0} ms; the spool (events taken while the producer's queue was full) empty ${spoolDrainMs} ms after the last answer`,
        ...(unanswered.length > 0
          ? [
              `  unanswered: ${[...new Set(unanswered.map((o) => o.status))].join('/')} after ${waits[0]}-${waits.at(-1)} ms, on reused sockets ${unanswered.filter((o) => o.reusedSocket).length}`,
            ]
          : []),
        `  request latency p50 / p99 / max: ${Object.entries(requestMs)
          .filter(([, list]) => list.length > 0)
          .map(([name, list]) => {
            const sorted = [...list].sort((a, b) => a - b);
            const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
            return `${name} ${at(0.5)} / ${at(0.99)} / ${sorted.at(-1)} ms`;
          })
          .join(', ')}`,
        `  the sidecar's event loop late by p50 ${lag('p50')} ms, p99 ${lag('p99')} ms, max ${lag('max')} ms`,
        `  the load client's event loop late by p50 ${ms(clientDelay.percentile(50))} ms, p99 ${ms(clientDelay.percentile(99))} ms, max ${ms(clientDelay.max)} ms`,
        `  RSS before ${formatMiB(rssBefore)}, peak ${formatMiB(peakRss)} (bound ${formatMiB(RSS_BOUND)})`,
      ].join('\n'),
    );

    assert.equal(unanswered.length, 0, 'every request got an answer');
    assert.deepEqual(r.lost.slice(0, 20), [], `${r.lost.length} acknowledged events are not on the topic`);
    assert.deepEqual(
      wrong.slice(0, 10).map((o) => `${o.transport} ${o.status} retry-after=${o.retryAfter}`),
      [],
      `${wrong.length} refusals were not 429/503 with Retry-After`,
    );
    assert.ok(peakRss < RSS_BOUND, `peak RSS ${formatMiB(peakRss)} under ${formatMiB(RSS_BOUND)}`);
    assert.ok(r.acked > 0, 'some events were acknowledged');
    sidecar.signal('SIGTERM');
    assert.equal((await sidecar.exited).code, 0);
  },
);

function batchOf(n: number): Array<{ id: string }> {
  return Array.from({ length: BATCH }, (_, i) => fastEvent(n * BATCH + i, 'overload-batch'));
}

function sendGrpcEvent(ledger: Ledger, grpc: GrpcClient, n: number): Promise<Outcome> {
  const event = fastEvent(n, 'overload-grpc');
  return sendGrpc(ledger, grpc, event, toWire(event), { deadlineMs: CLIENT_TIMEOUT_MS });
}

/** Nanoseconds (perf_hooks histograms) as whole milliseconds. */
function ms(ns: number): number {
  return Math.round(ns / 1e6);
}

function countBy(keys: string[]): string {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
}
