// Pure helpers for figures measured over several rounds.

/** Median of `values` (mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

/** Nearest-rank percentile (`p` in 0..100) of unsorted samples; NaN when empty. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** A figure measured once per round, with its median. */
export interface Rounds {
  median: number;
  rounds: number[];
}

export function rounds(values: readonly number[]): Rounds {
  return { median: median(values), rounds: [...values] };
}

/**
 * Median of the per-round ratios `targets[i] / limits[i]` (or differences, for latencies): each round measures the
 * target and its limit back to back, so pairing them cancels most of the drift of a shared, noisy machine.
 */
function paired(targets: readonly number[], limits: readonly number[], op: (t: number, l: number) => number) {
  const values = targets.slice(0, limits.length).map((t, i) => op(t, limits[i]!));
  return median(values.filter(Number.isFinite));
}
export const pairedRatio = (targets: readonly number[], limits: readonly number[]): number =>
  paired(targets, limits, (t, l) => (l > 0 ? t / l : Number.NaN));
export const pairedDelta = (targets: readonly number[], limits: readonly number[]): number =>
  paired(targets, limits, (t, l) => t - l);

/** Relative change from `start` to `end` (0.1 = +10 %). */
export const growth = (start: number, end: number): number => (start > 0 ? (end - start) / start : Number.NaN);
