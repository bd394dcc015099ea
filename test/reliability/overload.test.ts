// Overload: after measuring the rate the sidecar sustains, offer about ten times as much for a
// while (bounded in count and time). Every request must get an answer (201, or 429 / 503 with
// Retry-After; batches 200/207 with each failed event saying why), the sidecar's RSS must stay
// under a stated bound, and every acknowledged event must be on the topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import {
  FULL,
  SidecarProcess,
  baseSidecarEnv,
  formatMiB,
  report,
  sharedBrokers,
  sized,
  uniqueSuffix,
} from '../helpers/reliability.js';
import { toWire, validEvent } from '../helpers/reliability-events.js';
import {
  Ledger,
  grpcClient,
  httpCall,
  retryAfterOf,
  runLoad,
  sendGrpc,
  sendHttp,
  type Outcome,
} from '../helpers/reliability-load.js';
import { formatReconciliation, readTopic, reconcile } from '../helpers/reliability-topic.js';

const WARM_UP_MS = 1500;
const CALIBRATION_MS = 3000;
const OVERLOAD_MS = sized(6000, 20_000);
const FACTOR = 10;
const BATCH = 50;
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
        PRODUCER_MAX_QUEUE: '500',
        MAX_BATCH_EVENTS: '100',
        PUBLISH_TIMEOUT_MS: '10000',
      }),
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1200 });
    t.after(() => agent.destroy());
    const grpc = sidecar.hasGrpc ? grpcClient(sidecar.grpcPort!) : undefined;
    t.after(() => grpc?.close());
    const ledger = new Ledger();

    // 1. The sustainable rate: a closed loop of 32 clients sending single events over HTTP, after
    // a warm-up (JIT, connections, the producer's first batches) that is not counted.
    const warmUpEnd = Date.now() + WARM_UP_MS;
    const calibrationEnd = warmUpEnd + CALIBRATION_MS;
    let calibrated = 0;
    await Promise.all(
      Array.from({ length: 32 }, async (_, w) => {
        for (let n = 0; Date.now() < calibrationEnd && n < 100_000; n++) {
          const outcome = await sendHttp(ledger, sidecar.httpPort, validEvent(n + w, 'calibration'), { agent });
          if (outcome.kind === 'acked' && outcome.sentAt >= warmUpEnd) calibrated++;
        }
      }),
    );
    const sustainable = Math.max(50, Math.round((calibrated * 1000) / CALIBRATION_MS));
    const target = sustainable * FACTOR;
    sidecar.resetMaxRss();
    const rssBefore = sidecar.rss();

    // 2. Ten times that, split over HTTP singles, gRPC singles (when served) and HTTP batches.
    const maxEvents = Math.min(target * (OVERLOAD_MS / 1000), 400_000);
    const singlesShare = grpc ? 0.35 : 0.6;
    const batchResults: Array<{ status: number; items: number }> = [];
    const started = Date.now();
    const streams = [
      runLoad({
        ratePerSec: target * singlesShare,
        durationMs: OVERLOAD_MS,
        maxCount: Math.ceil(maxEvents * singlesShare),
        maxInFlight: 1000,
        send: (n) =>
          sendHttp(ledger, sidecar.httpPort, validEvent(n, 'overload-http'), { agent, timeoutMs: CLIENT_TIMEOUT_MS }),
      }),
      runLoad({
        ratePerSec: (target * 0.4) / BATCH,
        durationMs: OVERLOAD_MS,
        maxCount: Math.ceil((maxEvents * 0.4) / BATCH),
        maxInFlight: 100,
        send: async (n) => {
          const events = Array.from({ length: BATCH }, (_, i) => validEvent(n * BATCH + i, 'overload-batch'));
          const sentAt = Date.now();
          const result = await httpCall(
            sidecar.httpPort,
            {
              path: '/events',
              body: JSON.stringify(events),
              headers: { 'content-type': 'application/json' },
              timeoutMs: CLIENT_TIMEOUT_MS,
            },
            agent,
          );
          const answeredAt = Date.now();
          if (result.error !== undefined) {
            for (const e of events)
              ledger.record(e.id, { transport: 'http', kind: 'unanswered', status: result.error, sentAt, answeredAt });
            return;
          }
          const { answer } = result;
          batchResults.push({ status: answer.status, items: events.length });
          const retryAfter = retryAfterOf(answer);
          const items = (answer.json as { results?: Array<{ status: string; error?: { errorCode: string } }> })
            ?.results;
          events.forEach((e, i) => {
            const item = items?.[i];
            if (!item) {
              // The whole batch was answered with one status.
              const kind = answer.status === 201 || answer.status === 200 ? 'acked' : 'refused';
              ledger.record(e.id, {
                transport: 'http',
                kind,
                status: String(answer.status),
                ...(retryAfter === undefined ? {} : { retryAfter }),
                sentAt,
                answeredAt,
              });
              return;
            }
            ledger.record(e.id, {
              transport: 'http',
              kind: item.status === 'published' ? 'acked' : 'refused',
              status: item.status === 'published' ? 'item published' : `item ${item.error?.errorCode ?? item.status}`,
              ...(retryAfter === undefined ? {} : { retryAfter }),
              sentAt,
              answeredAt,
            });
          });
        },
      }),
    ];
    if (grpc)
      streams.push(
        runLoad({
          ratePerSec: target * 0.25,
          durationMs: OVERLOAD_MS,
          maxCount: Math.ceil(maxEvents * 0.25),
          maxInFlight: 1000,
          send: (n) => {
            const event = validEvent(n, 'overload-grpc');
            return sendGrpc(ledger, grpc, event, toWire(event), { deadlineMs: CLIENT_TIMEOUT_MS });
          },
        }),
      );
    const loads = await Promise.all(streams);
    const drainedMs = Date.now() - started;
    assert.ok(sidecar.running, `the sidecar exited under overload\n${sidecar.describe()}`);
    const peakRss = sidecar.maxRss;

    const contents = await readTopic(brokers, topic);
    const r = reconcile(ledger, contents);
    const offered = loads.reduce((sum, l, i) => sum + (i === 1 ? l.started * BATCH : l.started), 0);
    const wrong = [...ledger.outcomes()].filter(
      ([, o]) => o.kind === 'refused' && o.sentAt >= started && !properRefusal(o),
    );
    report(
      t,
      [
        `overload (${FULL ? 'full' : 'reduced'}): sustainable ${sustainable} events/s (closed loop, 32 clients, HTTP singles); offered ${target} events/s for ${OVERLOAD_MS} ms over ${sidecar.transports.join(' + ')} (+ batches of ${BATCH})`,
        `  started: ${offered} events in ${loads.map((l) => l.started).join(' / ')} requests (singles / batches${grpc ? ' / gRPC' : ''}), held back by the in-flight bound: ${loads.map((l) => l.skipped).join(' / ')}; every answer in ${drainedMs} ms`,
        `  offered rate achieved ${Math.round((offered * 1000) / OVERLOAD_MS)} events/s = ${((offered * 1000) / OVERLOAD_MS / sustainable).toFixed(1)}x sustainable`,
        `  ${formatReconciliation(r)}`,
        `  answers: ${ledger.statusSummary()}`,
        `  batch statuses: ${[...new Set(batchResults.map((b) => b.status))].map((s) => `${s}: ${batchResults.filter((b) => b.status === s).length}`).join(', ')}`,
        `  RSS before ${formatMiB(rssBefore)}, peak ${formatMiB(peakRss)} (bound ${formatMiB(RSS_BOUND)})`,
      ].join('\n'),
    );

    assert.equal(r.unanswered, 0, 'every request got an answer');
    assert.deepEqual(r.lost.slice(0, 20), [], `${r.lost.length} acknowledged events are not on the topic`);
    assert.deepEqual(
      wrong.slice(0, 10).map(([id, o]) => `${id}: ${o.transport} ${o.status} retry-after=${o.retryAfter}`),
      [],
      `${wrong.length} refusals were not 429/503 with Retry-After`,
    );
    assert.ok(peakRss < RSS_BOUND, `peak RSS ${formatMiB(peakRss)} under ${formatMiB(RSS_BOUND)}`);
    assert.ok(r.acked > 0, 'some events were acknowledged');
    sidecar.signal('SIGTERM');
    assert.equal((await sidecar.exited).code, 0);
  },
);
