// `kafka`: L_kafka, raw kafkajs sendBatch of `kafkaBatch` events (acks=-1), `kafkaConcurrency` at once.
import type { KafkaLoadResult } from '../lib/kafka-load.js';
import { rounds } from '../lib/stats.js';
import { fixed, withCpu } from './measure.js';
import type { BenchContext, BenchPhase } from './phase.js';

export function kafkaPhase(): BenchPhase {
  const measured: { result: KafkaLoadResult; cpuUsPerEvent: number }[] = [];
  const run = async (ctx: BenchContext, durationS: number) =>
    ctx.kafka.run(await ctx.rawTopic(), ctx.payloads.kafkaBatches, ctx.options.kafkaConcurrency, durationS);
  return {
    name: 'kafka',
    async prepare(ctx) {
      await ctx.rawTopic();
    },
    warmUp: async (ctx, durationS) => void (await run(ctx, durationS)),
    steps: (ctx) => [
      {
        name: 'L_kafka',
        run: async () => {
          if (ctx.options.warmupS > 0) await run(ctx, ctx.options.warmupS);
          // kafkajs runs in this process, alone during this phase: its CPU time is the client's cost.
          const m = await withCpu(
            process.pid,
            () => run(ctx, ctx.options.durationS),
            (r) => r.events,
          );
          measured.push(m);
          return `${fixed(m.result.eventsPerSecond)} events/s, batch p99 ${fixed(m.result.batchP99Ms, 1)} ms, ${fixed(m.cpuUsPerEvent)} µs CPU/event`;
        },
      },
    ],
    report(ctx, results) {
      if (measured.length === 0) return;
      const of = (pick: (m: (typeof measured)[number]) => number) => rounds(measured.map(pick));
      results.limits.kafka = {
        concurrency: ctx.options.kafkaConcurrency,
        batchSize: ctx.options.kafkaBatch,
        eventsPerSecond: of((m) => m.result.eventsPerSecond),
        batchP50Ms: of((m) => m.result.batchP50Ms),
        batchP99Ms: of((m) => m.result.batchP99Ms),
        cpuUsPerEvent: of((m) => m.cpuUsPerEvent),
      };
    },
  };
}
