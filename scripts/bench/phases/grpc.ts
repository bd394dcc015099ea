// `grpc`: the sidecar's gRPC `Log`, many calls in flight over a few channels (`@grpc/grpc-js`, messages encoded
// once); with the `http` phase in the run, the bare process's `Log` driven by the same client: L_grpc.
import { protoPath } from '@event-sidecar/contract';
import { toGrpcMessage } from '../lib/events.js';
import { GrpcLoad } from '../lib/grpc-load.js';
import { pairedRatio, rounds } from '../lib/stats.js';
import { Failures, measure, roundFigures, summary, type Measured, type Target } from './measure.js';
import type { BenchContext, BenchPhase, Step } from './phase.js';

export function grpcPhase(): BenchPhase {
  const measured: Measured[] = [];
  const bareMeasured: Measured[] = [];
  const failures = new Failures();
  let grpc: GrpcLoad | undefined;
  let bareGrpc: GrpcLoad | undefined;
  let messages: Buffer[] = [];
  const connect = async (ctx: BenchContext, port: number) => {
    const load = new GrpcLoad(protoPath, `127.0.0.1:${port}`, ctx.options.grpcChannels);
    ctx.resources.closers.push(() => load.close());
    await load.ready(10_000);
    return load;
  };
  const step = (ctx: BenchContext, name: string, load: GrpcLoad, target: Target, into: Measured[]): Step => ({
    name,
    run: async () => {
      const run = (s: number) => load.run(messages, ctx.options.grpcInFlight, s);
      const m = await measure(ctx, target, run, target.counts ? failures : new Failures());
      into.push(m);
      return summary(m, 'calls/s');
    },
  });
  return {
    name: 'grpc',
    needsSidecar: true,
    async prepare(ctx) {
      const { events } = ctx.payloads;
      try {
        grpc = await connect(ctx, ctx.sidecar!.grpcPort);
        const call = await grpc.call(grpc.encode(toGrpcMessage(events[0]!)));
        if (!call.ok) return ctx.skip(['grpc'], `Log answered ${call.outcome}`);
        ctx.acknowledged += 1;
      } catch (err) {
        return ctx.skip(['grpc'], `no gRPC server on GRPC_PORT: ${(err as Error).message}`);
      }
      messages = events.slice(0, 256).map((e) => grpc!.encode(toGrpcMessage(e)));
      if (!ctx.bare?.grpcPort) return;
      bareGrpc = await connect(ctx, ctx.bare.grpcPort).catch((err: Error) => {
        ctx.log(`no L_grpc: the bare gRPC server did not answer: ${err.message}`);
        return undefined;
      });
    },
    async warmUp(ctx, durationS) {
      ctx.acknowledged += (await grpc!.run(messages, ctx.options.grpcInFlight, durationS)).ok;
    },
    steps: (ctx) => {
      const sidecar = ctx.sidecar!;
      const target = { pid: sidecar.child.pid, sidecarUrl: sidecar.url, counts: true };
      return [
        step(ctx, 'gRPC Log', grpc!, target, measured),
        ...(bareGrpc ? [step(ctx, 'L_grpc', bareGrpc, { pid: ctx.bare!.child.pid }, bareMeasured)] : []),
      ];
    },
    report(ctx, results) {
      const { options } = ctx;
      const lkafkaRounds = results.limits.kafka?.eventsPerSecond.rounds ?? [];
      const bareRates = bareMeasured.map((m) => m.result.okPerSecond);
      if (bareMeasured.length > 0) {
        const bare = roundFigures(bareMeasured);
        results.limits.grpc = {
          inFlight: options.grpcInFlight,
          channels: options.grpcChannels,
          callsPerSecond: rounds(bareRates),
          p50Ms: bare.p50Ms,
          p99Ms: bare.p99Ms,
          cpuUsPerCall: bare.cpuUsPerEvent,
          clientCpuUsPerCall: bare.clientCpuUsPerEvent,
          ratioToKafkaLimit: pairedRatio(bareRates, lkafkaRounds),
        };
      }
      if (measured.length === 0) return;
      const eps = measured.map((m) => m.result.okPerSecond);
      const figures = roundFigures(measured, true);
      results.sidecar.grpc = {
        inFlight: options.grpcInFlight,
        channels: options.grpcChannels,
        eventsPerSecond: rounds(eps),
        ...figures,
        peakRssMiB: figures.peakRssMiB!,
        heapTotalMiB: figures.heapTotalMiB!,
        cpuRatioToKafkaClient: pairedRatio(
          measured.map((m) => m.cpuUsPerEvent),
          results.limits.kafka?.cpuUsPerEvent.rounds ?? [],
        ),
        ratioToKafkaLimit: pairedRatio(eps, lkafkaRounds),
        ...(bareMeasured.length > 0 ? { ratioToGrpcLimit: pairedRatio(eps, bareRates) } : {}),
        failed: failures.failed,
        failures: failures.failures,
      };
    },
  };
}
