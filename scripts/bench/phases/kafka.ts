// `kafka`: L_kafka, raw kafkajs sendBatch of `kafkaBatch` events (acks=-1), `kafkaConcurrency` at once.
import type { KafkaLoadResult } from '../lib/kafka-load.js';
import { rounds } from '../lib/stats.js';
import { fixed, type Measured } from './measure.js';
import type { BenchPhase } from './phase.js';

export function kafkaPhase(): BenchPhase {
  const measured: Measured<KafkaLoadResult>[] = [];
  return {
    name: 'kafka',
    async prepare(ctx) {
      await ctx.rawTopic();
    },
    async warmUp(ctx, durationS) {
      const { options } = ctx;
      await ctx.kafka.run(await ctx.rawTopic(), ctx.payloads.kafkaBatches, options.kafkaConcurrency, durationS);
    },
    steps: (ctx) => [
      {
        name: 'L_kafka',
        run: async () => {
          const { options, kafka, payloads } = ctx;
          const topic = await ctx.rawTopic();
          if (options.warmupS > 0)
            await kafka.run(topic, payloads.kafkaBatches, options.kafkaConcurrency, options.warmupS);
          // kafkajs runs in this process, alone during this phase: its CPU time is the client's cost.
          const cpu0 = process.cpuUsage();
          const r = await kafka.run(topic, payloads.kafkaBatches, options.kafkaConcurrency, options.durationS);
          const cpu = process.cpuUsage(cpu0);
          const cpuUsPerEvent = (cpu.user + cpu.system) / r.events;
          measured.push({ result: r, peakBytes: Number.NaN, cpuUsPerEvent, clientCpuUsPerEvent: cpuUsPerEvent });
          return `${fixed(r.eventsPerSecond)} events/s, batch p99 ${fixed(r.batchP99Ms, 1)} ms, ${fixed(cpuUsPerEvent)} µs CPU/event`;
        },
      },
    ],
    report(ctx, results) {
      if (measured.length === 0) return;
      results.limits.kafka = {
        concurrency: ctx.options.kafkaConcurrency,
        batchSize: ctx.options.kafkaBatch,
        eventsPerSecond: rounds(measured.map((m) => m.result.eventsPerSecond)),
        batchP50Ms: rounds(measured.map((m) => m.result.batchP50Ms)),
        batchP99Ms: rounds(measured.map((m) => m.result.batchP99Ms)),
        cpuUsPerEvent: rounds(measured.map((m) => m.cpuUsPerEvent)),
      };
    },
  };
}
