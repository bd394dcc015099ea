// `latency`: one call in flight, what a Mojaloop service that awaits each audit or trace call waits. Side by side in
// the same rounds, with the same events:
//   - raw kafkajs `send()` of one record (acks=-1), one at a time, from this process: the floor;
//   - gRPC `Log` of the sidecar under test through `@mojaloop/event-sdk`'s client, as services use it;
//   - `POST /event` of the same sidecar over one keep-alive connection;
//   - with the `http` phase in the run, the same two clients against the bare process (a grpc-js `Log` that answers
//     at once, an express route): what each transport and its client cost before the sidecar does any work.
// Quick to run alone: `npm run bench -- --quick --phases=latency`.
import { closedLoop, type ClosedLoopResult } from '../lib/closed-loop.js';
import { sdkCanCarry } from '../lib/events.js';
import { KeepAliveClient } from '../lib/keepalive-http.js';
import type { LatencyPath, LoopFigures } from '../lib/results.js';
import { EventSdkClient } from '../lib/sdk-client.js';
import { pairedDelta } from '../lib/stats.js';
import { loopFigures, LoopFailures, loopStep, loopSummary, type Measured } from './measure.js';
import type { BenchContext, BenchPhase, Step } from './phase.js';

type Path = 'send' | 'grpc' | 'http' | 'bareGrpc' | 'bareHttp';

export function latencyPhase(): BenchPhase {
  const measured: Record<Path, Measured<ClosedLoopResult>[]> = {
    send: [],
    grpc: [],
    http: [],
    bareGrpc: [],
    bareHttp: [],
  };
  const failures: Record<Path, LoopFailures> = {
    send: new LoopFailures(),
    grpc: new LoopFailures(),
    http: new LoopFailures(),
    bareGrpc: new LoopFailures(),
    bareHttp: new LoopFailures(),
  };
  let sdk: EventSdkClient | undefined;
  let http: KeepAliveClient | undefined;
  let bareSdk: EventSdkClient | undefined;
  let bareHttp: KeepAliveClient | undefined;
  let topic = '';
  const paths = (): Path[] => ['send', 'grpc', 'http', ...(bareSdk ? (['bareGrpc', 'bareHttp'] as const) : [])];

  // Each path at one call in flight over `durationS`; the sidecar's paths count what it acknowledged.
  const loads = (ctx: BenchContext): Record<Path, (durationS: number) => Promise<ClosedLoopResult>> => {
    // The same events on every path: those the event-sdk client can carry, keyed by trace id as the sidecar keys them.
    const { events, json } = ctx.payloads;
    const carried = events.flatMap((e, i) => (sdkCanCarry(e) ? [i] : []));
    const nth = (i: number) => carried[i % carried.length]!;
    const records = events.map((e, i) => ({ key: e.metadata.trace.traceId, value: json[i]! }));
    const counted = async (r: Promise<ClosedLoopResult>) => {
      const result = await r;
      ctx.acknowledged += result.ok;
      return result;
    };
    return {
      send: (s) => closedLoop((i) => ctx.kafka.sendOne(topic, records[nth(i)]!), 1, s),
      grpc: (s) => counted(closedLoop((i) => sdk!.log(events[nth(i)]!), 1, s)),
      http: (s) => counted(closedLoop((i) => http!.post('/event', json[nth(i)]!, 201), 1, s)),
      bareGrpc: (s) => closedLoop((i) => bareSdk!.log(events[nth(i)]!), 1, s),
      bareHttp: (s) => closedLoop((i) => bareHttp!.post('/event', json[nth(i)]!, 201), 1, s),
    };
  };

  return {
    name: 'latency',
    needsSidecar: true,
    async prepare(ctx) {
      const { events, json } = ctx.payloads;
      topic = await ctx.rawTopic();
      const sidecar = ctx.sidecar!;
      http = new KeepAliveClient(sidecar.url);
      const client = http;
      ctx.resources.closers.push(() => client.close());
      try {
        sdk = await EventSdkClient.connect('127.0.0.1', sidecar.grpcPort);
        const connected = sdk;
        ctx.resources.closers.push(() => connected.close());
        await sdk.log(events[0]!);
        ctx.acknowledged += 1;
        await http.post('/event', json[0]!, 201);
        ctx.acknowledged += 1;
      } catch (err) {
        ctx.skip(['latency'], `the sidecar did not accept one event at one call in flight: ${(err as Error).message}`);
        return;
      }
      if (!ctx.bare?.grpcPort) return;
      try {
        bareHttp = new KeepAliveClient(ctx.bare.url);
        const bareClient = bareHttp;
        ctx.resources.closers.push(() => bareClient.close());
        bareSdk = await EventSdkClient.connect('127.0.0.1', ctx.bare.grpcPort);
        const bareConnected = bareSdk;
        ctx.resources.closers.push(() => bareConnected.close());
        await bareSdk.log(events[0]!);
        await bareHttp.post('/event', json[0]!, 201);
      } catch (err) {
        ctx.log(`no transport floor at one call in flight: the bare server did not answer: ${(err as Error).message}`);
        bareSdk = undefined;
        bareHttp = undefined;
      }
    },
    async warmUp(ctx, durationS) {
      const run = loads(ctx);
      for (const path of paths()) failures[path].add(await run[path](durationS));
    },
    steps(ctx): Step[] {
      const run = loads(ctx);
      const step = (path: Path, name: string, pid: () => number): Step => ({
        name,
        run: async () => {
          const m = await loopStep(ctx, pid(), run[path], (r) => failures[path].add(r));
          measured[path].push(m);
          return loopSummary(m, path === 'send' ? 'sends/s' : 'events/s');
        },
      });
      const sidecarPid = () => ctx.sidecar!.child.pid;
      const barePid = () => ctx.bare!.child.pid;
      return [
        // kafkajs runs in this process, alone during its step: this process's CPU time is the client's cost.
        step('send', 'raw send() @1', () => process.pid),
        step('grpc', 'gRPC event-sdk @1', sidecarPid),
        step('http', 'POST /event keep-alive @1', sidecarPid),
        ...(bareSdk
          ? [
              step('bareGrpc', 'bare grpc-js Log, event-sdk @1', barePid),
              step('bareHttp', 'bare express POST /event keep-alive @1', barePid),
            ]
          : []),
      ];
    },
    report(_ctx, results) {
      if (measured.send.length === 0) return;
      const send = loopFigures(1, measured.send, failures.send);
      const beside = (path: 'grpc' | 'http'): LatencyPath | undefined => {
        if (measured[path].length === 0) return undefined;
        const figures: LoopFigures = loopFigures(1, measured[path], failures[path]);
        return {
          ...figures,
          p50OverSendMs: pairedDelta(figures.p50Ms.rounds, send.p50Ms.rounds),
          p99OverSendMs: pairedDelta(figures.p99Ms.rounds, send.p99Ms.rounds),
        };
      };
      const grpc = beside('grpc');
      const http = beside('http');
      const floor = (path: 'bareGrpc' | 'bareHttp') =>
        measured[path].length > 0 ? { [path]: loopFigures(1, measured[path], failures[path]) } : {};
      results.sidecar.latency = {
        send,
        ...(grpc ? { grpc } : {}),
        ...(http ? { http } : {}),
        ...floor('bareGrpc'),
        ...floor('bareHttp'),
      };
    },
  };
}
