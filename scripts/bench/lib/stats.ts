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
 * Median of the per-round ratios `targets[i] / limits[i]`: each round measures the target and its limit back to
 * back, so pairing them cancels most of the drift of a shared, noisy machine.
 */
export function pairedRatio(targets: readonly number[], limits: readonly number[]): number {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(targets.length, limits.length); i++) {
    const limit = limits[i]!;
    if (limit > 0 && Number.isFinite(targets[i]!)) ratios.push(targets[i]! / limit);
  }
  return median(ratios);
}

/** Relative change from `start` to `end` (0.1 = +10 %). */
export function growth(start: number, end: number): number {
  return start > 0 ? (end - start) / start : Number.NaN;
}

/** Median of the per-round differences `targets[i] - limits[i]` (as `pairedRatio`, for latencies). */
export function pairedDelta(targets: readonly number[], limits: readonly number[]): number {
  const deltas: number[] = [];
  for (let i = 0; i < Math.min(targets.length, limits.length); i++) {
    if (Number.isFinite(targets[i]!) && Number.isFinite(limits[i]!)) deltas.push(targets[i]! - limits[i]!);
  }
  return median(deltas);
}
