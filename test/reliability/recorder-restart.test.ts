// A service that logs straight to Kafka, through a broker restart: the Span load of @mojaloop/event-sdk (8 units of
// work in flight, each a span that audits, logs, opens a child span that logs and finishes, then finishes; at most
// one span per 10 ms each; nothing awaited, EVENT_SDK_ASYNC_OVERRIDE_EVENTS=audit,log,trace, so that the events pile
// up while Kafka is away instead of the units waiting for their audits; the bench's recorder phase runs both) through
// EventSdkRecorder (whenUnavailable 'wait') and, beside it in the same run, through the SDK's own direct mode
// (node-rdkafka, Mojaloop's chart settings); the one broker SIGKILLed for 8 s and started again. Counted by events
// LOGGED (handed to the recorder by the SDK), looked for by id on the topics after the load and the drain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FULL, ReliabilityBroker, report, sleep, uniqueSuffix } from '../helpers/reliability.js';
import { describeLoad, startRecorderLoad } from '../../scripts/bench/lib/span-load.js';

const KILL_AFTER_MS = 6000;
const DOWN_MS = 8000;
// The load goes on after the broker is back (a restart after SIGKILL takes 5-20 s on a busy machine).
const LOAD_MS = FULL ? 40_000 : 35_000;

test(
  'broker SIGKILLed for 8 s under Span load: EventSdkRecorder loses no logged event (the direct mode beside it)',
  { timeout: 10 * 60_000 },
  async (t) => {
    const broker = await ReliabilityBroker.create(t, { fastRestart: true });
    await broker.start();
    const loads = (['recorder', 'direct'] as const).map((recorder) =>
      startRecorderLoad({
        recorder,
        brokers: broker.brokers,
        loadMs: LOAD_MS,
        topicPrefix: `reliability-recorder-${uniqueSuffix()}`,
        asyncOverride: 'audit,log,trace',
        stderr: 'inherit',
      }),
    );
    t.after(() => {
      for (const { pid } of loads) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already ended
        }
      }
    });
    await Promise.all(loads.map((l) => l.started));
    await sleep(KILL_AFTER_MS);
    await broker.kill();
    await sleep(DOWN_MS);
    const restartMs = await broker.start();
    const [ours, direct] = await Promise.all(loads.map((l) => l.result));
    report(
      t,
      [
        `broker SIGKILLed ${KILL_AFTER_MS / 1000} s into ${LOAD_MS / 1000} s of Span load, down ${DOWN_MS / 1000} s, back in ${restartMs} ms:`,
        `  ${describeLoad(ours!)}`,
        `  ${describeLoad(direct!)}`,
      ].join('\n'),
    );
    assert.ok(ours!.logged > 0 && direct!.logged > 0);
    assert.equal(ours!.lost, 0, `${ours!.lost} of ${ours!.logged} logged events are not on Kafka`);
    assert.equal(ours!.failed, 0, `record() failed: ${JSON.stringify(ours!.failures)}`);
    assert.equal(ours!.outOfOrder, 0, 'each trace of each type on Kafka in the order it was logged');
  },
);
