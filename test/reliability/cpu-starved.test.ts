// Overload the sidecar does not cause: its CPU taken by other processes on the machine (busy loops beside it),
// while services log through the real @mojaloop/event-sdk (16 calls in flight; it never retries) and over HTTP.
// The sidecar's event loop runs late, so it sheds load; with its spool (the default), what it would have refused
// (503 BUSY, which the SDK drops) is spooled and delivered instead. Counted by events LOGGED: every one on Kafka.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import {
  SidecarProcess,
  baseSidecarEnv,
  report,
  sharedBrokers,
  sized,
  sleep,
  uniqueSuffix,
} from '../helpers/reliability.js';
import { ServiceLoad } from '../helpers/reliability-cluster.js';
import { spoolDrained } from '../helpers/reliability-health.js';
import { readTopic } from '../helpers/reliability-topic.js';

const STARVED_MS = sized(15_000, 40_000);
/** Busy loops per core: the sidecar gets a small share of the machine meanwhile. */
const BURNERS_PER_CORE = 3;
/** Low enough that a starved event loop is late by more than it within the test. */
const MAX_EVENT_LOOP_DELAY_MS = 10;

function burners(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

test(
  'CPU saturated by other processes: every event logged through event-sdk is on Kafka',
  { timeout: 10 * 60_000 },
  async (t) => {
    const brokers = sharedBrokers();
    const topic = `reliability-cpu-starved-${uniqueSuffix()}`;
    const sidecar = await SidecarProcess.start(t, {
      env: baseSidecarEnv(brokers, topic, {
        MAX_EVENT_LOOP_DELAY_MS: String(MAX_EVENT_LOOP_DELAY_MS),
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '600000',
      }),
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 256 });
    t.after(() => agent.destroy());
    const load = await ServiceLoad.start({
      grpcPort: sidecar.grpcPort,
      httpPort: sidecar.httpPort,
      grpcRate: 5000,
      grpcInFlight: 16,
      httpRate: 50,
      agent,
      note: 'cpu-starved',
    });
    await sleep(2000);
    const load0 = loadavg()[0]!;
    const count = availableParallelism() * BURNERS_PER_CORE;
    const busy = burners(count);
    // The busy loops are this test's own children: it stops them, by their pids, whatever happens.
    const stopBurners = () => {
      for (const child of busy) if (child.exitCode === null) child.kill('SIGKILL');
    };
    t.after(stopBurners);
    await sleep(STARVED_MS);
    const loadDuring = loadavg()[0]!;
    stopBurners();
    await sleep(3000);
    await load.stop();
    await spoolDrained(sidecar.httpPort, 180_000);

    const metrics = await fetch(`http://127.0.0.1:${sidecar.httpPort}/metrics`).then((r) => r.text());
    const spooledForLoad = (reason: string) =>
      Number(
        new RegExp(`^event_sidecar_events_spooled_for_load_total\\{reason="${reason}"\\} (\\S+)$`, 'm').exec(
          metrics,
        )?.[1] ?? 0,
      );
    const busyLate = spooledForLoad('busy');
    const queueFull = spooledForLoad('overloaded');
    const contents = await readTopic(brokers, topic, { timeoutMs: 180_000 });
    const lost: string[] = [];
    for (const id of load.ledger.byId.keys()) if (!contents.countById.has(id)) lost.push(id);
    report(
      t,
      [
        `${count} busy loops on ${availableParallelism()} cores for ${STARVED_MS} ms (load average ${load0.toFixed(1)} before, ${loadDuring.toFixed(1)} during); MAX_EVENT_LOOP_DELAY_MS ${MAX_EVENT_LOOP_DELAY_MS}`,
        `  logged ${load.ledger.byId.size}, on Kafka ${load.ledger.byId.size - lost.length}, lost ${lost.length}; spooled instead of shed: ${busyLate} (event loop late), ${queueFull} (producer queue full)`,
        `  answers: ${load.ledger.statusSummary()}; refusals: ${load.ledger.refusalSummary() || 'none'}`,
        `  longest answer ${load.longestAnswerMs()} ms (p99 ${load.answerQuantileMs(0.99)} ms)`,
      ].join('\n'),
    );
    assert.deepEqual(
      lost.slice(0, 10),
      [],
      `${lost.length} of ${load.ledger.byId.size} logged events are not on Kafka`,
    );
    assert.ok(busyLate > 0, 'the starved sidecar shed load (else this test shows nothing)');
    assert.equal(load.ledger.unanswered, 0, 'every call answered');
    sidecar.signal('SIGTERM');
    assert.equal((await sidecar.exited).code, 0, sidecar.describe());
  },
);
