// `grpc`: the sidecar's gRPC `Log`, many calls in flight over a few channels (`@grpc/grpc-js`, messages encoded
// once); with the `http` phase in the run, the bare process's `Log` driven by the same client: L_grpc.
import { protoPath } from '@event-sidecar/contract';
import { toGrpcMessage } from '../lib/events.js';
import { GrpcLoad, type GrpcLoadResult } from '../lib/grpc-load.js';
import { readHeap } from '../lib/http-load.js';
import { MemoryWatch } from '../lib/proc.js';
import { pairedRatio, rounds } from '../lib/stats.js';
import { fixed, serverFigures, MiB, withCpu, type Measured } from './measure.js';
import type { BenchContext, BenchPhase, Step } from './phase.js';

export function grpcPhase(): BenchPhase {
  const measured: Measured<GrpcLoadResult>[] = [];
  const bareMeasured: Measured<GrpcLoadResult>[] = [];
  const failures: Record<string, number> = {};
  let failed = 0;
  let grpc: GrpcLoad | undefined;
  let bareGrpc: GrpcLoad | undefined;
  let messages: Buffer[] = [];
  const tally = (ctx: BenchContext, r: GrpcLoadResult): void => {
    ctx.acknowledged += r.ok;
    failed += r.failed;
    for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
  };
  return {
    name: 'grpc',
    needsSidecar: true,
    async prepare(ctx) {
      const { options, payloads } = ctx;
      try {
        grpc = new GrpcLoad(protoPath, `127.0.0.1:${ctx.sidecar!.grpcPort}`, options.grpcChannels);
        const load = grpc;
        ctx.resources.closers.push(() => load.close());
        await grpc.ready(10_000);
        const call = await grpc.call(grpc.encode(toGrpcMessage(payloads.events[0]!)));
        if (call.ok) ctx.acknowledged += 1;
        else return ctx.skip(['grpc'], `Log answered ${call.outcome}`);
      } catch (err) {
        return ctx.skip(['grpc'], `no gRPC server on GRPC_PORT: ${(err as Error).message}`);
      }
      messages = payloads.events.slice(0, 256).map((e) => grpc!.encode(toGrpcMessage(e)));
      if (!ctx.bare?.grpcPort) return;
      try {
        bareGrpc = new GrpcLoad(protoPath, `127.0.0.1:${ctx.bare.grpcPort}`, options.grpcChannels);
        await bareGrpc.ready(10_000);
        const load = bareGrpc;
        ctx.resources.closers.push(() => load.close());
      } catch (err) {
        ctx.log(`no L_grpc: the bare gRPC server did not answer: ${(err as Error).message}`);
        bareGrpc?.close();
        bareGrpc = undefined;
      }
    },
    async warmUp(ctx, durationS) {
      ctx.acknowledged += (await grpc!.run(messages, ctx.options.grpcInFlight, durationS)).ok;
    },
    steps: (ctx) => {
      const { options } = ctx;
      const steps: Step[] = [
        {
          name: 'gRPC Log',
          run: async () => {
            const sidecar = ctx.sidecar!;
            const watch = new MemoryWatch(sidecar.child.pid);
            if (options.warmupS > 0) tally(ctx, await grpc!.run(messages, options.grpcInFlight, options.warmupS));
            const m = await withCpu(
              sidecar.child.pid,
              () => grpc!.run(messages, options.grpcInFlight, options.durationS),
              (r) => r.ok,
            );
            tally(ctx, m.result);
            const peakBytes = watch.stop();
            measured.push({ ...m, peakBytes, heap: await readHeap(sidecar.url) });
            return `${fixed(m.result.okPerSecond)} events/s, p99 ${fixed(m.result.p99Ms, 1)} ms, peak ${fixed(peakBytes / MiB)} MiB, ${fixed(m.cpuUsPerEvent)} µs CPU/event (client ${fixed(m.clientCpuUsPerEvent)})${m.result.failed ? `, ${m.result.failed} failed` : ''}`;
          },
        },
      ];
      if (bareGrpc) {
        const load = bareGrpc;
        steps.push({
          name: 'L_grpc',
          run: async () => {
            if (options.warmupS > 0) await load.run(messages, options.grpcInFlight, options.warmupS);
            const m = await withCpu(
              ctx.bare!.child.pid,
              () => load.run(messages, options.grpcInFlight, options.durationS),
              (r) => r.ok,
            );
            bareMeasured.push({ ...m, peakBytes: Number.NaN });
            return `${fixed(m.result.okPerSecond)} calls/s, p99 ${fixed(m.result.p99Ms, 1)} ms, ${fixed(m.cpuUsPerEvent)} µs CPU/call (client ${fixed(m.clientCpuUsPerEvent)})`;
          },
        });
      }
      return steps;
    },
    report(ctx, results) {
      const { options } = ctx;
      const lkafkaRounds = results.limits.kafka?.eventsPerSecond.rounds ?? [];
      if (bareMeasured.length > 0) {
        results.limits.grpc = {
          inFlight: options.grpcInFlight,
          channels: options.grpcChannels,
          callsPerSecond: rounds(bareMeasured.map((m) => m.result.okPerSecond)),
          p50Ms: rounds(bareMeasured.map((m) => m.result.p50Ms)),
          p99Ms: rounds(bareMeasured.map((m) => m.result.p99Ms)),
          cpuUsPerCall: rounds(bareMeasured.map((m) => m.cpuUsPerEvent)),
          clientCpuUsPerCall: rounds(bareMeasured.map((m) => m.clientCpuUsPerEvent)),
          ratioToKafkaLimit: pairedRatio(
            bareMeasured.map((m) => m.result.okPerSecond),
            lkafkaRounds,
          ),
        };
      }
      if (measured.length === 0) return;
      const eps = measured.map((m) => m.result.okPerSecond);
      results.sidecar.grpc = {
        inFlight: options.grpcInFlight,
        channels: options.grpcChannels,
        eventsPerSecond: rounds(eps),
        ...serverFigures(measured),
        cpuRatioToKafkaClient: pairedRatio(
          measured.map((m) => m.cpuUsPerEvent),
          results.limits.kafka?.cpuUsPerEvent.rounds ?? [],
        ),
        clientCpuUsPerEvent: rounds(measured.map((m) => m.clientCpuUsPerEvent)),
        ratioToKafkaLimit: pairedRatio(eps, lkafkaRounds),
        ...(bareMeasured.length > 0
          ? {
              ratioToGrpcLimit: pairedRatio(
                eps,
                bareMeasured.map((m) => m.result.okPerSecond),
              ),
            }
          : {}),
        failed,
        failures,
      };
    },
  };
}
