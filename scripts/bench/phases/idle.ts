// `idle`: the sidecar under test with Kafka connected and no traffic, its CPU time (every thread, from /proc) over
// `idleS` seconds, as a share of one core. Measured once, after the rounds and a pause for the last load's
// after-work (answers in flight, garbage collection) to end.
import { setTimeout as sleep } from 'node:timers/promises';
import { readCpuMs } from '../lib/proc.js';
import { fixed } from './measure.js';
import type { BenchPhase } from './phase.js';

const SETTLE_MS = 3000;

export function idlePhase(): BenchPhase {
  return {
    name: 'idle',
    needsSidecar: true,
    enabled: (options) => options.idleS > 0,
    async report(ctx, results) {
      const { pid } = ctx.sidecar!.child;
      await sleep(SETTLE_MS);
      const t0 = performance.now();
      const cpu0 = readCpuMs(pid);
      await sleep(ctx.options.idleS * 1000);
      const cpuMs = readCpuMs(pid) - cpu0;
      const seconds = (performance.now() - t0) / 1000;
      results.sidecar.idle = { seconds, cpuMs, percentOfCore: (cpuMs / (seconds * 1000)) * 100 };
      ctx.log(
        `idle: ${fixed(cpuMs)} ms of CPU in ${fixed(seconds, 1)} s, ${fixed(results.sidecar.idle.percentOfCore, 2)} % of a core`,
      );
    },
  };
}
