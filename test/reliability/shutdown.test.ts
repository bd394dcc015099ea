// Shutdown: SIGTERM while events stream in over HTTP (and gRPC when served), with a burst in
// flight at the moment of the signal. The sidecar must answer every request it had taken, put
// every acknowledged event on the topic, and exit 0 within SHUTDOWN_TIMEOUT_MS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import {
  FULL,
  SidecarProcess,
  baseSidecarEnv,
  report,
  sharedBrokers,
  sized,
  sleep,
  uniqueSuffix,
} from '../helpers/reliability.js';
import { toWire, validEvent } from '../helpers/reliability-events.js';
import { Ledger, grpcClient, runLoad, sendGrpc, sendHttp } from '../helpers/reliability-load.js';
import { formatReconciliation, readTopic, reconcile } from '../helpers/reliability-topic.js';

const ROUNDS = sized(1, 3);
const RATE = sized(150, 300);
const BURST = sized(200, 500);
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Slack over the configured bound for process exit and the signal's delivery on a busy machine. */
const EXIT_SLACK_MS = 3000;
/**
 * A request written on a keep-alive connection just as the server closes it as idle may be
 * reset (the usual keep-alive race); one written this long before the signal had reached it.
 */
const KEEP_ALIVE_GRACE_MS = 1000;

for (let round = 1; round <= ROUNDS; round++) {
  test(
    `SIGTERM under load (round ${round} of ${ROUNDS}): every acknowledged event on the topic, exit 0 in time`,
    {
      timeout: 5 * 60_000,
    },
    async (t) => {
      const brokers = sharedBrokers();
      const topic = `reliability-shutdown-${uniqueSuffix()}`;
      const sidecar = await SidecarProcess.start(t, {
        env: baseSidecarEnv(brokers, topic, {
          SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
          PUBLISH_TIMEOUT_MS: '5000',
        }),
      });
      const agent = new Agent({ keepAlive: true, maxSockets: 256 });
      t.after(() => agent.destroy());
      const grpc = sidecar.hasGrpc ? grpcClient(sidecar.grpcPort!) : undefined;
      t.after(() => grpc?.close());
      const ledger = new Ledger();
      let stop = false;
      const stopAfter = () => stop;

      const streams = [
        runLoad({
          ratePerSec: RATE,
          durationMs: 60_000,
          maxCount: 100_000,
          maxInFlight: 500,
          stop: stopAfter,
          send: (n) => sendHttp(ledger, sidecar.httpPort, validEvent(n, 'shutdown-http'), { agent, timeoutMs: 30_000 }),
        }),
      ];
      if (grpc)
        streams.push(
          runLoad({
            ratePerSec: RATE,
            durationMs: 60_000,
            maxCount: 100_000,
            maxInFlight: 500,
            stop: stopAfter,
            send: (n) => {
              const event = validEvent(n, 'shutdown-grpc');
              return sendGrpc(ledger, grpc, event, toWire(event), { deadlineMs: 30_000 });
            },
          }),
        );

      await sleep(2000);
      // A burst, so that many requests are in flight when the signal arrives.
      const burst = Array.from({ length: BURST }, (_, i) =>
        i % 2 === 0 || !grpc
          ? sendHttp(ledger, sidecar.httpPort, validEvent(i, 'shutdown-burst'), { agent, timeoutMs: 30_000 })
          : (() => {
              const event = validEvent(i, 'shutdown-burst');
              return sendGrpc(ledger, grpc, event, toWire(event), { deadlineMs: 30_000 });
            })(),
      );
      await sleep(5);
      const signalledAt = Date.now();
      sidecar.signal('SIGTERM');
      const exit = await sidecar.exited;
      const exitMs = exit.at - signalledAt;
      // Keep sending a moment after the exit: those requests find the port closed, which is expected.
      await sleep(500);
      stop = true;
      await Promise.all([...streams, ...burst]);

      const contents = await readTopic(brokers, topic);
      const r = reconcile(ledger, contents);
      const outcomes = [...ledger.outcomes()].map(([, o]) => o);
      const before = outcomes.filter((o) => o.sentAt < signalledAt);
      const unansweredBefore = before.filter((o) => o.kind === 'unanswered');
      const after = outcomes.filter((o) => o.sentAt >= signalledAt);
      // HTTP requests without an answer, by where they were: a connection refused (the port was
      // closed), a new connection the server had not read a request from when it closed it (Node's
      // server.close() ends connections without a request in progress), or a request on an
      // established keep-alive connection written well before the signal (the server owes it an answer).
      const httpBefore = unansweredBefore.filter((o) => o.transport === 'http');
      const refusedConnection = httpBefore.filter((o) => o.connectedAt === undefined);
      const resetNew = httpBefore.filter((o) => o.connectedAt !== undefined && !o.reusedSocket);
      const lostOnKeepAlive = httpBefore.filter(
        (o) => o.reusedSocket && (o.writtenAt ?? o.sentAt) < signalledAt - KEEP_ALIVE_GRACE_MS,
      );
      const grpcBefore = unansweredBefore.filter((o) => o.transport === 'grpc');
      const unansweredDetail =
        `  HTTP unanswered of those sent before the signal: connection refused ${refusedConnection.length}, ` +
        `new connection reset ${resetNew.length} (connected >500 ms before the signal: ${resetNew.filter((o) => o.connectedAt! < signalledAt - 500).length}), ` +
        `on an established keep-alive connection ${httpBefore.filter((o) => o.reusedSocket).length} (written >${KEEP_ALIVE_GRACE_MS} ms before the signal: ${lostOnKeepAlive.length}); ` +
        `gRPC calls started before the signal without an answer: ${grpcBefore.length}`;
      report(
        t,
        [
          `shutdown round ${round} (${FULL ? 'full' : 'reduced'}): ${RATE}/s per transport over ${sidecar.transports.join(' + ')}, burst of ${BURST} at the signal`,
          `  exit code ${exit.code ?? exit.signal} ${exitMs} ms after SIGTERM (bound ${SHUTDOWN_TIMEOUT_MS} ms)`,
          `  sent before the signal ${before.length} (unanswered ${unansweredBefore.length}), after it ${after.length} (acked ${after.filter((o) => o.kind === 'acked').length}, refused ${after.filter((o) => o.kind === 'refused').length}, connection refused/closed ${after.filter((o) => o.kind === 'unanswered').length})`,
          unansweredDetail,
          `  ${formatReconciliation(r)}`,
          `  answers: ${ledger.statusSummary()}`,
        ].join('\n'),
      );

      assert.equal(exit.code, 0, `exit code\n${sidecar.describe()}`);
      assert.ok(exitMs <= SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS, `exited ${exitMs} ms after SIGTERM`);
      assert.deepEqual(r.lost.slice(0, 20), [], `${r.lost.length} acknowledged events are not on the topic`);
      assert.deepEqual(
        lostOnKeepAlive.slice(0, 10).map((o) => `${o.transport}: ${o.status}`),
        [],
        'every request the sidecar had received on an open connection got an answer',
      );
      assert.ok(r.acked > 0);
    },
  );
}
