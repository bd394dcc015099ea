// Broker faults: at a steady load over HTTP and gRPC, the broker is killed with SIGKILL and started
// again, several times, with the sidecar's spool on (its default). Every event sent must be on the
// topic afterwards, whatever its answer; events sent while Kafka was down must be answered 202
// (spooled) / `accepted`, never refused; /health must say DEGRADED (200) and come back to OK once the
// spool is empty; the sidecar must never exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import {
  FULL,
  ReliabilityBroker,
  SidecarProcess,
  baseSidecarEnv,
  report,
  sized,
  sleep,
  uniqueSuffix,
  until,
} from '../helpers/reliability.js';
import { validEvent, toWire } from '../helpers/reliability-events.js';
import { Ledger, grpcClient, runLoad, sendGrpc, sendHttp, type Outcome } from '../helpers/reliability-load.js';
import { HealthWatch, spoolDrained } from '../helpers/reliability-health.js';
import { formatReconciliation, readTopic, reconcile } from '../helpers/reliability-topic.js';

const CYCLES = sized(2, 5);
const RATE = sized(60, 120); // events per second per transport
const DOWN_MS = 4000;
const UP_MS = sized(3000, 5000);
const PUBLISH_TIMEOUT_MS = 5000;

interface Cycle {
  killedAt: number;
  restartBeganAt: number;
  restartedAt: number;
  restartMs: number;
  healthDownAt?: number;
  healthOkAt?: number;
  firstAckAt?: number;
}

/** Kept by the sidecar while Kafka is away: 202 spooled over HTTP, `accepted` over gRPC. */
function spooledOrAccepted(o: Outcome): boolean {
  return o.kind === 'acked' && (o.status === '202' || o.status === 'OK/accepted' || o.status === '201');
}

/** A refusal the promise allows: "try again later", with a Retry-After of at least 1 s. */
function properRefusal(o: Outcome): boolean {
  const statuses = o.transport === 'http' ? ['503', '429'] : ['UNAVAILABLE', 'RESOURCE_EXHAUSTED'];
  return statuses.includes(o.status) && o.retryAfter !== undefined && o.retryAfter >= 1;
}

test(
  `broker killed with SIGKILL ${CYCLES} times under load, spool on: no event lost, none refused`,
  { timeout: 30 * 60_000 },
  async (t) => {
    const broker = await ReliabilityBroker.create(t, { fastRestart: true });
    const firstStartMs = await broker.start();
    const topic = `reliability-faults-${uniqueSuffix()}`;
    const sidecar = await SidecarProcess.start(t, {
      env: baseSidecarEnv(broker.brokers, topic, {
        PUBLISH_TIMEOUT_MS: String(PUBLISH_TIMEOUT_MS),
        KAFKA_CONNECTION_TIMEOUT_MS: '1000',
        KAFKA_REQUEST_TIMEOUT_MS: '3000',
        SHUTDOWN_TIMEOUT_MS: '20000',
        // The client keeps its connections; the server must not close an idle one under it, or a
        // request crossing the close is reset (the keep-alive race, a client-side matter). Any reset
        // left is then the sidecar's doing.
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '600000',
      }),
    });
    // Enough sockets that no request waits in the client for one (its send time would then lie);
    // the health probe (fetch) uses connections of its own, never queued behind events.
    const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
    t.after(() => agent.destroy());
    const grpc = grpcClient(sidecar.grpcPort);
    t.after(() => grpc.close());

    const ledger = new Ledger();
    const watch = new HealthWatch(sidecar.httpPort);
    t.after(() => watch.stop());
    const health = watch.samples;
    let loadRunning = true;

    const loads = [
      runLoad({
        ratePerSec: RATE,
        durationMs: 30 * 60_000,
        maxCount: 1_000_000,
        maxInFlight: 2000,
        stop: () => !loadRunning,
        send: (n) => sendHttp(ledger, sidecar.httpPort, validEvent(n, 'faults-http'), { agent, timeoutMs: 60_000 }),
      }),
    ];
    loads.push(
      runLoad({
        ratePerSec: RATE,
        durationMs: 30 * 60_000,
        maxCount: 1_000_000,
        maxInFlight: 2000,
        stop: () => !loadRunning,
        send: (n) => {
          const event = validEvent(n, 'faults-grpc');
          return sendGrpc(ledger, grpc, event, toWire(event), { deadlineMs: 60_000 });
        },
      }),
    );

    const cycles: Cycle[] = [];
    try {
      await sleep(UP_MS);
      for (let i = 0; i < CYCLES; i++) {
        await broker.kill();
        const killedAt = Date.now();
        await sleep(DOWN_MS);
        const restartBeganAt = Date.now();
        const restartMs = await broker.start();
        const cycle: Cycle = { killedAt, restartBeganAt, restartedAt: Date.now(), restartMs };
        cycles.push(cycle);
        await until('/health back to OK (Kafka up, spool empty) after the restart', 90_000, () =>
          health.some((h) => h.at > cycle.restartedAt && h.status === 'OK') ? true : undefined,
        );
        await until('an event acknowledged after the restart', 90_000, () =>
          [...ledger.outcomes()].some(([, o]) => o.kind === 'acked' && o.sentAt > cycle.restartedAt) ? true : undefined,
        );
        await sleep(UP_MS);
        assert.ok(sidecar.running, `the sidecar exited during cycle ${i + 1}\n${sidecar.describe()}`);
      }
    } finally {
      loadRunning = false;
    }
    const loadReports = await Promise.all(loads);
    await spoolDrained(sidecar.httpPort, 120_000);
    await watch.stop();
    assert.ok(sidecar.running, `the sidecar exited\n${sidecar.describe()}`);

    // Per cycle: when /health turned DEGRADED (still 200) and back to OK, and the first acknowledgement after the restart.
    for (const cycle of cycles) {
      cycle.healthDownAt = health.find(
        (h) => h.at >= cycle.killedAt && h.http === 200 && h.status === 'DEGRADED' && h.kafka !== 'OK',
      )?.at;
      cycle.healthOkAt = health.find((h) => h.at >= cycle.restartedAt && h.http === 200 && h.status === 'OK')?.at;
      let firstAck: number | undefined;
      for (const [, o] of ledger.outcomes())
        if (o.kind === 'acked' && o.sentAt >= cycle.restartedAt && (firstAck === undefined || o.answeredAt < firstAck))
          firstAck = o.answeredAt;
      cycle.firstAckAt = firstAck;
    }

    const contents = await readTopic(broker.brokers, topic);
    const r = reconcile(ledger, contents);

    const wrongRefusals = [...ledger.outcomes()].filter(([, o]) => o.kind === 'refused' && !properRefusal(o));
    // Sent after the broker died and before its restart began: nothing could have stored them.
    // (HTTP: when the request reached its socket.)
    const sentWhileDown = [...ledger.outcomes()].filter(([, o]) =>
      cycles.some(
        (c) => (o.writtenAt ?? o.sentAt) >= c.killedAt + 1000 && (o.writtenAt ?? o.sentAt) <= c.restartBeganAt,
      ),
    );
    const keptWhileDown = sentWhileDown.filter(([, o]) => spooledOrAccepted(o)).length;
    // The promise: every event sent is on Kafka, whatever it was answered.
    const loggedLost = [...ledger.byId.keys()].filter((id) => !contents.countById.has(id));

    report(
      t,
      [
        `broker faults (${FULL ? 'full' : 'reduced'}): ${CYCLES} SIGKILL cycles, ${RATE}/s per transport over ${sidecar.transports.join(' + ')}; first broker start ${firstStartMs} ms`,
        ...cycles.map(
          (c, i) =>
            `  cycle ${i + 1}: restart took ${c.restartMs} ms; /health DEGRADED after ${c.healthDownAt ? c.healthDownAt - c.killedAt : '-'} ms; ` +
            `OK again (spool empty) ${c.healthOkAt ? c.healthOkAt - c.restartedAt : '-'} ms after the restart; first ack after the restart +${c.firstAckAt ? c.firstAckAt - c.restartedAt : '-'} ms`,
        ),
        `  requests started ${loadReports.map((l) => l.started).join(' + ')} (skipped by the in-flight bound: ${loadReports.map((l) => l.skipped).join(' + ')})`,
        `  ${formatReconciliation(r)}`,
        `  sent ${ledger.byId.size} events, not on the topic ${loggedLost.length}`,
        `  answers: ${ledger.statusSummary()}`,
        `  refusals: ${ledger.refusalSummary() || 'none'}`,
        `  sent while Kafka was down: ${sentWhileDown.length}, answered 202 spooled / accepted: ${keptWhileDown}`,
        `  sidecar peak RSS ${(sidecar.maxRss / 1048576).toFixed(1)} MiB; log lines at error or above: ${sidecar.linesAtLeast(50)}`,
      ].join('\n'),
    );

    assert.deepEqual(r.lost.slice(0, 20), [], `${r.lost.length} acknowledged events are not on the topic`);
    assert.deepEqual(loggedLost.slice(0, 20), [], `${loggedLost.length} events sent are not on the topic`);
    const unanswered = [...ledger.outcomes()].filter(([, o]) => o.kind === 'unanswered');
    const t0 = cycles[0]?.killedAt ?? 0;
    assert.deepEqual(
      unanswered
        .slice(0, 10)
        .map(
          ([, o]) =>
            `${o.transport} ${o.status} sent ${o.sentAt - t0} ms after the first kill, after ${o.answeredAt - o.sentAt} ms, reused socket ${o.reusedSocket}, written ${o.writtenAt ? o.writtenAt - o.sentAt : '-'} ms`,
        ),
      [],
      `${unanswered.length} requests got no answer (kills at +${cycles.map((c) => c.killedAt - t0).join(', +')} ms, restarts done at +${cycles.map((c) => c.restartedAt - t0).join(', +')} ms)`,
    );
    assert.deepEqual(
      wrongRefusals.slice(0, 10).map(([id, o]) => `${id}: ${o.transport} ${o.status} retry-after=${o.retryAfter}`),
      [],
      `${wrongRefusals.length} refusals were not 503/429 (UNAVAILABLE/RESOURCE_EXHAUSTED) with Retry-After`,
    );
    assert.ok(sentWhileDown.length > 0, 'some events were sent while Kafka was down');
    assert.equal(keptWhileDown, sentWhileDown.length, 'every event sent while Kafka was down was spooled / accepted');
    for (const [i, c] of cycles.entries()) {
      assert.ok(c.healthDownAt, `cycle ${i + 1}: /health said DEGRADED (200) while the broker was down`);
      assert.ok(c.healthOkAt, `cycle ${i + 1}: /health came back to OK`);
    }

    // The sidecar survived every fault; it still stops cleanly.
    sidecar.signal('SIGTERM');
    const exit = await sidecar.exited;
    assert.equal(exit.code, 0, `exit after SIGTERM\n${sidecar.describe()}`);
  },
);
