// A closed loop of calls: `inFlight` callers, each starting its next call as soon as the last one answered, for a
// given time; the latency of every successful call is kept, so that sub-millisecond percentiles are exact
// (autocannon's histogram resolves whole milliseconds, too coarse for one call in flight).
import { percentile } from './stats.js';

export interface ClosedLoopResult {
  inFlight: number;
  seconds: number;
  ok: number;
  okPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  /** Failures by the first words of their message. */
  failures: Record<string, number>;
}

/** `call(i)` makes the i-th call; it resolves when the call succeeded and throws when it failed. */
export async function closedLoop(
  call: (i: number) => Promise<void>,
  inFlight: number,
  durationS: number,
): Promise<ClosedLoopResult> {
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let failed = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + durationS * 1000;
  const caller = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await call(next++);
        latencies.push(performance.now() - t0);
      } catch (err) {
        failed++;
        // Messages may carry ids; the first words are enough to tell failures apart.
        const key = String((err as Error)?.message ?? err).slice(0, 80);
        failures[key] = (failures[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, caller));
  const seconds = (performance.now() - started) / 1000;
  return {
    inFlight,
    seconds,
    ok: latencies.length,
    okPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    failed,
    failures,
  };
}
