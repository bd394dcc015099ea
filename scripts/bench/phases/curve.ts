// `curve`: gRPC `Log` through `@mojaloop/event-sdk` (one client, one channel, as a service holds it) at 1, 4, 16 and
// 64 calls in flight, against the sidecar under test (`ACK_MODE=confirmed`) and, in the same rounds, a second
// sidecar on the same broker with `ACK_MODE=received`, which answers before Kafka has the event: the speed a
// confirming sidecar should reach once batching adapts to load.
import { closedLoop, type ClosedLoopResult } from '../lib/closed-loop.js';
import { sdkCanCarry } from '../lib/events.js';
import { EventSdkClient } from '../lib/sdk-client.js';
import { pairedRatio } from '../lib/stats.js';
import { loopFigures, LoopFailures, loopStep, loopSummary, type Measured } from './measure.js';
import type { BenchContext, BenchPhase, Served, Step } from './phase.js';
import { startSidecar } from './sidecar.js';

type Mode = 'confirmed' | 'received';

export function curvePhase(): BenchPhase {
  const measured = new Map<string, Measured<ClosedLoopResult>[]>();
  const failures = new Map<string, LoopFailures>();
  const key = (mode: Mode, inFlight: number) => `${mode}@${inFlight}`;
  const failuresOf = (k: string) => failures.get(k) ?? failures.set(k, new LoopFailures()).get(k)!;
  const clients: Partial<Record<Mode, EventSdkClient>> = {};
  const served: Partial<Record<Mode, Served>> = {};

  const load = (ctx: BenchContext, mode: Mode, inFlight: number) => async (durationS: number) => {
    const events = ctx.payloads.events.filter(sdkCanCarry);
    const client = clients[mode]!;
    const r = await closedLoop((i) => client.log(events[i % events.length]!), inFlight, durationS);
    // Only the sidecar under test writes to the topic whose records are checked against what it acknowledged.
    if (mode === 'confirmed') ctx.acknowledged += r.ok;
    return r;
  };

  return {
    name: 'curve',
    needsSidecar: true,
    async prepare(ctx) {
      served.confirmed = ctx.sidecar!;
      const topic = ctx.topics.sidecar.replace('bench-sidecar-', 'bench-received-');
      ctx.resources.topics.push(topic);
      try {
        served.received = await startSidecar(ctx, { topic, ackMode: 'received', logName: 'sidecar-received.log' });
        ctx.log(`ACK_MODE=received sidecar ready (pid ${served.received.child.pid}, topic ${topic})`);
        for (const mode of ['confirmed', 'received'] as const) {
          const client = await EventSdkClient.connect('127.0.0.1', served[mode]!.grpcPort);
          clients[mode] = client;
          ctx.resources.closers.push(() => client.close());
          await client.log(ctx.payloads.events[0]!);
          if (mode === 'confirmed') ctx.acknowledged += 1;
        }
      } catch (err) {
        ctx.skip(['curve'], `no ACK_MODE=received sidecar to compare with: ${(err as Error).message}`);
      }
    },
    async warmUp(ctx, durationS) {
      const top = Math.max(...ctx.options.curveInFlight);
      for (const mode of ['confirmed', 'received'] as const) {
        failuresOf(key(mode, top)).add(await load(ctx, mode, top)(durationS));
      }
    },
    steps: (ctx): Step[] =>
      ctx.options.curveInFlight.flatMap((inFlight) =>
        (['confirmed', 'received'] as const).map((mode) => ({
          name: `gRPC event-sdk ${mode} @${inFlight}`,
          run: async () => {
            const k = key(mode, inFlight);
            const m = await loopStep(ctx, served[mode]!.child.pid, load(ctx, mode, inFlight), (r) =>
              failuresOf(k).add(r),
            );
            measured.set(k, [...(measured.get(k) ?? []), m]);
            return loopSummary(m);
          },
        })),
      ),
    report(ctx, results) {
      const points = ctx.options.curveInFlight.flatMap((inFlight) => {
        const confirmed = measured.get(key('confirmed', inFlight)) ?? [];
        const received = measured.get(key('received', inFlight)) ?? [];
        if (confirmed.length === 0) return [];
        return [
          {
            inFlight,
            confirmed: loopFigures(inFlight, confirmed, failuresOf(key('confirmed', inFlight))),
            ...(received.length > 0
              ? { received: loopFigures(inFlight, received, failuresOf(key('received', inFlight))) }
              : {}),
            ratioToReceived: pairedRatio(
              confirmed.map((m) => m.result.okPerSecond),
              received.map((m) => m.result.okPerSecond),
            ),
          },
        ];
      });
      if (points.length > 0) results.sidecar.curve = points;
    },
  };
}
