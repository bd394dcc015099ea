// A broker restart as a service sees it: @mojaloop/event-sdk logging with 16 calls in flight (it never
// retries: a failed call is an event lost at its source) plus HTTP clients, the one broker SIGKILLed for
// 8 s and started again. Counted by events LOGGED, not acknowledged. With the spool (the default) none
// may be lost; the full run also measures the sidecar with SPOOL_DIR off, for the comparison in
// test/reliability/README.md.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { FULL, ReliabilityBroker, SidecarProcess, report, sleep, uniqueSuffix } from '../helpers/reliability.js';
import { ServiceLoad } from '../helpers/reliability-cluster.js';
import { spoolDrained } from '../helpers/reliability-health.js';
import { readTopic } from '../helpers/reliability-topic.js';

const DOWN_MS = 8000;
const WARM_UP_MS = 4000;
const AFTER_MS = 4000;

interface Row {
  logged: number;
  accepted: number;
  onKafka: number;
  lost: number;
  answers: string;
  restartMs: number;
}

async function restartUnderLoad(t: TestContext, spool: boolean): Promise<Row> {
  const broker = await ReliabilityBroker.create(t, { fastRestart: true });
  await broker.start();
  const topic = `reliability-sdk-restart-${uniqueSuffix()}`;
  const sidecar = await SidecarProcess.start(t, {
    env: {
      KAFKA_BROKERS: broker.brokers.join(','),
      KAFKA_CLIENT_ID: `reliability-${uniqueSuffix()}`,
      EVENT_TOPIC: topic,
      KAFKA_CREATE_TOPIC_PARTITIONS: '12',
      LOG_LEVEL: 'warn',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '600000',
      ...(spool ? {} : { SPOOL_DIR: 'off' }),
    },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  t.after(() => agent.destroy());
  const load = await ServiceLoad.start({
    grpcPort: sidecar.grpcPort,
    httpPort: sidecar.httpPort,
    // As fast as 16 calls in flight allow: the SDK's pace, not ours.
    grpcRate: 5000,
    grpcInFlight: 16,
    httpRate: 50,
    agent,
    note: spool ? 'sdk-restart-spool' : 'sdk-restart-no-spool',
  });
  await sleep(WARM_UP_MS);
  await broker.kill();
  await sleep(DOWN_MS);
  const restartMs = await broker.start();
  await sleep(AFTER_MS);
  await load.stop();
  if (spool) await spoolDrained(sidecar.httpPort, 120_000);
  const contents = await readTopic(broker.brokers, topic);
  let onKafka = 0;
  for (const id of load.ledger.byId.keys()) if (contents.countById.has(id)) onKafka++;
  sidecar.signal('SIGTERM');
  assert.equal((await sidecar.exited).code, 0, sidecar.describe());
  return {
    logged: load.ledger.byId.size,
    accepted: load.ledger.ackedIds().length,
    onKafka,
    lost: load.ledger.byId.size - onKafka,
    answers: `${load.ledger.statusSummary()}; refusals: ${load.ledger.refusalSummary() || 'none'}`,
    restartMs,
  };
}

function line(name: string, r: Row): string {
  return `  ${name}: logged ${r.logged}, answered accepted/201/202 ${r.accepted}, on Kafka ${r.onKafka}, lost ${r.lost} (broker back in ${r.restartMs} ms); answers: ${r.answers}`;
}

test(
  'broker SIGKILLed for 8 s under event-sdk load, spool on (the default): no logged event lost',
  { timeout: 10 * 60_000 },
  async (t) => {
    const r = await restartUnderLoad(t, true);
    report(
      t,
      [
        `broker restart under event-sdk load (16 calls in flight) + HTTP 50/s, down ${DOWN_MS} ms:`,
        line('spool on', r),
      ].join('\n'),
    );
    assert.equal(r.lost, 0, `${r.lost} of ${r.logged} logged events are not on Kafka (answers: ${r.answers})`);
  },
);

test(
  'the same with SPOOL_DIR off: what turning the spool off costs (measured, not asserted)',
  { timeout: 10 * 60_000, skip: !FULL && 'full run only' },
  async (t) => {
    const r = await restartUnderLoad(t, false);
    report(t, [`broker restart under event-sdk load, spool off:`, line('spool off', r)].join('\n'));
    // Not a promise: without a spool an event Kafka cannot take is refused, and the SDK drops it.
    assert.ok(r.logged > 0);
  },
);
