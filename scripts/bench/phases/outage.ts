// `outage`: gRPC `Log` through `@mojaloop/event-sdk` at 16 calls in flight for 30 s while the broker is SIGKILLed for
// 8 s and started again, beside the same 30 s without a fault, each round, on one broker of the phase's own and one
// sidecar with its spool (the default). Events/s counts every call answered `accepted` (on Kafka or on the spool);
// CPU per event is the sidecar's over the window. Each trace logs 8 events in a row, as a service's request does.
// After the outage step the next waits for the spool to drain (timed, not measured).
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventMessage } from '@event-sidecar/contract';
import { closedLoop, type ClosedLoopResult } from '../lib/closed-loop.js';
import { sdkCanCarry } from '../lib/events.js';
import { OwnBroker } from '../lib/own-broker.js';
import { EventSdkClient } from '../lib/sdk-client.js';
import { pairedRatio, rounds } from '../lib/stats.js';
import { Failures, loopFigures, summary, withCpu, type Measured } from './measure.js';
import type { BenchContext, BenchPhase, Served } from './phase.js';
import { startSidecar } from './sidecar.js';

const IN_FLIGHT = 16;
const WINDOW_S = 30;
const KILL_AT_MS = 5000;
const DOWN_MS = 8000;
const EVENTS_PER_TRACE = 8;

export function outagePhase(): BenchPhase {
  const measured = { steady: [] as Measured<ClosedLoopResult>[], outage: [] as Measured<ClosedLoopResult>[] };
  const faults: { restartMs: number; drainMs: number }[] = [];
  const failures = { steady: new Failures(), outage: new Failures() };
  let broker: OwnBroker | undefined;
  let served: Served | undefined;
  let client: EventSdkClient | undefined;

  /** The load for `seconds`: each event a new id, in the trace of its group of EVENTS_PER_TRACE. */
  const load = (ctx: BenchContext, seconds: number) => {
    const base = ctx.payloads.events.filter(sdkCanCarry);
    const prefix = randomBytes(8).toString('hex');
    const next = (i: number): EventMessage => {
      const event = base[i % base.length]!;
      const traceId = `${prefix}${Math.floor(i / EVENTS_PER_TRACE)
        .toString(16)
        .padStart(16, '0')}`;
      return {
        ...event,
        id: randomUUID(),
        metadata: { ...event.metadata, trace: { ...event.metadata.trace, traceId } },
      };
    };
    return closedLoop((i) => client!.log(next(i)), IN_FLIGHT, seconds);
  };
  /** The window measured with the sidecar's CPU, its failures tallied. */
  const window = async (ctx: BenchContext, kind: 'steady' | 'outage') => {
    const m = {
      ...(await withCpu(
        served!.child.pid,
        () => load(ctx, WINDOW_S),
        (r) => r.ok,
      )),
      peakBytes: NaN,
    };
    failures[kind].add(m.result);
    measured[kind].push(m);
    return m;
  };
  const spoolEmpty = async (): Promise<boolean> => {
    const health = (await fetch(`${served!.url}/health`).then((r) => r.json())) as { status?: string };
    return health.status === 'OK';
  };

  return {
    name: 'outage',
    async prepare(ctx) {
      try {
        broker = await OwnBroker.create(ctx.repo);
        ctx.resources.closers.push(() => broker!.killNow());
        ctx.resources.dirs.push(broker.workDir);
        await broker.start();
        const topic = ctx.topics.sidecar.replace('bench-sidecar-', 'bench-outage-');
        const { brokers } = broker;
        served = await startSidecar(ctx, { topic, ackMode: 'confirmed', logName: 'sidecar-outage.log', brokers });
        client = await EventSdkClient.connect('127.0.0.1', served.grpcPort);
        ctx.resources.closers.push(() => client!.close());
        ctx.log(`outage sidecar ready (pid ${served.child.pid}, its own broker ${broker.brokers.join(',')})`);
      } catch (err) {
        ctx.skip(['outage'], `no broker of its own or no sidecar on it: ${(err as Error).message}`);
      }
    },
    async warmUp(ctx, durationS) {
      failures.steady.add(await load(ctx, durationS));
    },
    steps: (ctx) => [
      {
        name: `gRPC event-sdk @${IN_FLIGHT}, ${WINDOW_S} s, no fault`,
        run: async () => summary(await window(ctx, 'steady')),
      },
      {
        name: `gRPC event-sdk @${IN_FLIGHT}, ${WINDOW_S} s, broker SIGKILLed for ${DOWN_MS / 1000} s`,
        run: async () => {
          const fault = (async () => {
            await sleep(KILL_AT_MS);
            await broker!.kill();
            await sleep(DOWN_MS);
            return { restartMs: await broker!.start(), backAt: Date.now() };
          })();
          const m = await window(ctx, 'outage');
          const { restartMs, backAt } = await fault;
          for (let i = 0; !(await spoolEmpty()); i += 1) {
            if (i > 1200) throw new Error('the spool did not drain within 10 minutes');
            await sleep(500);
          }
          faults.push({ restartMs, drainMs: Date.now() - backAt });
          return `${summary(m)}; broker back in ${restartMs} ms, spool empty ${Date.now() - backAt} ms later`;
        },
      },
    ],
    report(_ctx, results) {
      const { steady, outage } = measured;
      if (steady.length === 0 || outage.length === 0) return;
      const ratio = (pick: (m: Measured) => number) => pairedRatio(outage.map(pick), steady.map(pick));
      results.sidecar.outage = {
        inFlight: IN_FLIGHT,
        windowS: WINDOW_S,
        downMs: DOWN_MS,
        steady: loopFigures(IN_FLIGHT, steady, failures.steady),
        outage: loopFigures(IN_FLIGHT, outage, failures.outage),
        ratio: ratio((m) => m.result.okPerSecond),
        cpuRatio: ratio((m) => m.cpuUsPerEvent),
        restartMs: rounds(faults.map((f) => f.restartMs)),
        drainMs: rounds(faults.map((f) => f.drainMs)),
      };
    },
  };
}
