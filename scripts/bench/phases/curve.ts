// `curve`: gRPC `Log` through `@mojaloop/event-sdk` (one client, one channel, as a service holds it) at 1, 4, 16 and
// 64 calls in flight, against the sidecar under test (`ACK_MODE=confirmed`) and, in the same rounds, a second
// sidecar on the same broker with `ACK_MODE=received`, which answers before Kafka has the event: the speed a
// confirming sidecar should reach once batching adapts to load.
import { closedLoop } from '../lib/closed-loop.js';
import { sdkCanCarry } from '../lib/events.js';
import { EventSdkClient } from '../lib/sdk-client.js';
import { pairedRatio } from '../lib/stats.js';
import { Failures, loopFigures, measure, summary, type Measured } from './measure.js';
import type { BenchContext, BenchPhase, Served } from './phase.js';
import { startSidecar } from './sidecar.js';

const MODES = ['confirmed', 'received'] as const;
type Mode = (typeof MODES)[number];

export function curvePhase(): BenchPhase {
  const measured = new Map<string, Measured[]>();
  const failures = new Map<string, Failures>();
  const failuresOf = (k: string) => failures.get(k) ?? failures.set(k, new Failures()).get(k)!;
  const clients: Partial<Record<Mode, EventSdkClient>> = {};
  const served: Partial<Record<Mode, Served>> = {};
  const load = (ctx: BenchContext, mode: Mode, inFlight: number) => (durationS: number) => {
    const events = ctx.payloads.events.filter(sdkCanCarry);
    return closedLoop((i) => clients[mode]!.log(events[i % events.length]!), inFlight, durationS);
  };
  // Only the sidecar under test writes to the topic whose records are checked against what it acknowledged.
  const target = (mode: Mode) => ({ pid: served[mode]!.child.pid, counts: mode === 'confirmed' });

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
        for (const mode of MODES) {
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
      for (const mode of MODES) {
        const r = await load(ctx, mode, top)(durationS);
        failuresOf(`${mode}@${top}`).add(r);
        if (target(mode).counts) ctx.acknowledged += r.ok;
      }
    },
    steps: (ctx) =>
      ctx.options.curveInFlight.flatMap((inFlight) =>
        MODES.map((mode) => ({
          name: `gRPC event-sdk ${mode} @${inFlight}`,
          run: async () => {
            const k = `${mode}@${inFlight}`;
            const m = await measure(ctx, target(mode), load(ctx, mode, inFlight), failuresOf(k));
            measured.set(k, [...(measured.get(k) ?? []), m]);
            return summary(m);
          },
        })),
      ),
    report(ctx, results) {
      const points = ctx.options.curveInFlight.flatMap((inFlight) => {
        const [confirmed = [], received = []] = MODES.map((mode) => measured.get(`${mode}@${inFlight}`));
        if (confirmed.length === 0) return [];
        const figures = (mode: Mode, list: Measured[]) =>
          loopFigures(inFlight, list, failuresOf(`${mode}@${inFlight}`));
        const rate = (list: Measured[]) => list.map((m) => m.result.okPerSecond);
        return [
          {
            inFlight,
            confirmed: figures('confirmed', confirmed),
            ...(received.length > 0 ? { received: figures('received', received) } : {}),
            ratioToReceived: pairedRatio(rate(confirmed), rate(received)),
          },
        ];
      });
      if (points.length > 0) results.sidecar.curve = points;
    },
  };
}
