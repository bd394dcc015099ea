// `latency`: one call in flight, what a Mojaloop service that awaits each audit or trace call waits. Side by side in
// the same rounds, with the same events:
//   - raw kafkajs `send()` of one record (acks=-1), one at a time, from this process: the floor;
//   - gRPC `Log` of the sidecar under test through `@mojaloop/event-sdk`'s client, as services use it;
//   - `POST /event` of the same sidecar over one keep-alive connection;
//   - with the `http` phase in the run, the same two clients against the bare process (a grpc-js `Log` that answers
//     at once, an express route): what each transport and its client cost before the sidecar does any work.
import { closedLoop, type ClosedLoopResult } from '../lib/closed-loop.js';
import { sdkCanCarry } from '../lib/events.js';
import { KeepAliveClient } from '../lib/keepalive-http.js';
import type { LatencyPath } from '../lib/results.js';
import { EventSdkClient } from '../lib/sdk-client.js';
import { pairedDelta } from '../lib/stats.js';
import { Failures, loopFigures, measure, summary, type Measured, type Target } from './measure.js';
import type { BenchContext, BenchPhase, Served } from './phase.js';

type Path = 'send' | 'grpc' | 'http' | 'bareGrpc' | 'bareHttp';
type Call = (i: number) => Promise<void>;

/** The same events on every path: those the event-sdk client can carry, with their JSON. */
const carriedOf = ({ payloads: { events, json } }: BenchContext) =>
  events.flatMap((e, i) => (sdkCanCarry(e) ? [[e, json[i]!] as const] : []));

/** An event-sdk client and a keep-alive HTTP client to `served`, each checked with one event. */
async function clientsOf(ctx: BenchContext, served: Served): Promise<{ grpc: Call; http: Call }> {
  const http = new KeepAliveClient(served.url);
  ctx.resources.closers.push(() => http.close());
  const sdk = await EventSdkClient.connect('127.0.0.1', served.grpcPort);
  ctx.resources.closers.push(() => sdk.close());
  const carried = carriedOf(ctx);
  const grpc: Call = (i) => sdk.log(carried[i % carried.length]![0]);
  const post: Call = (i) => http.post('/event', carried[i % carried.length]![1], 201);
  await grpc(0);
  await post(0);
  return { grpc, http: post };
}

export function latencyPhase(): BenchPhase {
  const calls: Partial<Record<Path, { call: Call; target: () => Target }>> = {};
  const measured: Partial<Record<Path, Measured<ClosedLoopResult>[]>> = {};
  const failures: Partial<Record<Path, Failures>> = {};
  const failuresOf = (path: Path) => (failures[path] ??= new Failures());
  const paths = () => Object.keys(calls) as Path[];
  const load = (path: Path) => (durationS: number) => closedLoop(calls[path]!.call, 1, durationS);

  return {
    name: 'latency',
    needsSidecar: true,
    async prepare(ctx) {
      const topic = await ctx.rawTopic();
      // Keyed by trace id, as the sidecar keys them.
      const records = carriedOf(ctx).map(([e, value]) => ({ key: e.metadata.trace.traceId, value }));
      // kafkajs runs in this process, alone during its step: this process's CPU time is the client's cost.
      calls.send = {
        call: (i) => ctx.kafka.sendOne(topic, records[i % records.length]!),
        target: () => ({ pid: process.pid }),
      };
      const sidecar = ctx.sidecar!;
      try {
        const { grpc, http } = await clientsOf(ctx, sidecar);
        ctx.acknowledged += 2;
        const target = () => ({ pid: sidecar.child.pid, counts: true });
        Object.assign(calls, { grpc: { call: grpc, target }, http: { call: http, target } });
      } catch (err) {
        return ctx.skip(
          ['latency'],
          `the sidecar did not accept one event at one call in flight: ${(err as Error).message}`,
        );
      }
      const bare = ctx.bare;
      if (!bare?.grpcPort) return;
      try {
        const { grpc, http } = await clientsOf(ctx, bare);
        const target = () => ({ pid: bare.child.pid });
        Object.assign(calls, { bareGrpc: { call: grpc, target }, bareHttp: { call: http, target } });
      } catch (err) {
        ctx.log(`no transport floor at one call in flight: the bare server did not answer: ${(err as Error).message}`);
      }
    },
    async warmUp(ctx, durationS) {
      for (const path of paths()) {
        const r = await load(path)(durationS);
        failuresOf(path).add(r);
        if (calls[path]!.target().counts) ctx.acknowledged += r.ok;
      }
    },
    steps: (ctx) =>
      paths().map((path) => ({
        name: `${path} @1`,
        run: async () => {
          const m = await measure(ctx, calls[path]!.target(), load(path), failuresOf(path));
          (measured[path] ??= []).push(m);
          return summary(m, path === 'send' ? 'sends/s' : 'events/s');
        },
      })),
    report(_ctx, results) {
      const figures = (path: Path) => {
        const list = measured[path];
        return list?.length ? loopFigures(1, list, failuresOf(path)) : undefined;
      };
      const send = figures('send');
      if (!send) return;
      const beside = (path: 'grpc' | 'http'): { [k: string]: LatencyPath } => {
        const f = figures(path);
        if (!f) return {};
        const p50OverSendMs = pairedDelta(f.p50Ms.rounds, send.p50Ms.rounds);
        return { [path]: { ...f, p50OverSendMs, p99OverSendMs: pairedDelta(f.p99Ms.rounds, send.p99Ms.rounds) } };
      };
      const floor = (path: 'bareGrpc' | 'bareHttp') => {
        const f = figures(path);
        return f ? { [path]: f } : {};
      };
      results.sidecar.latency = {
        send,
        ...beside('grpc'),
        ...beside('http'),
        ...floor('bareGrpc'),
        ...floor('bareHttp'),
      };
    },
  };
}
