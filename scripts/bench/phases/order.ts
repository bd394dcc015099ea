// The order of the steps in a round: a phase next to its limit, and at each connection count the limit, the
// sidecar and its spooling twin side by side.
import type { Phase } from '../lib/options.js';
import type { BenchContext, BenchPhase, Step } from './phase.js';

/** The order of the steps of a round (odd rounds run it backwards): a phase next to its limit. */
const STEP_ORDER: readonly Phase[] = [
  'kafka',
  'events',
  'grpc',
  'latency',
  'curve',
  'outage',
  'http',
  'event',
  'spool',
];

/** The steps of one round: steps without a connection count first, then those at each count side by side. */
export function roundSteps(phases: readonly BenchPhase[], ctx: BenchContext): Step[] {
  const ordered = [...phases].sort((a, b) => STEP_ORDER.indexOf(a.name) - STEP_ORDER.indexOf(b.name));
  // Array.prototype.sort is stable: within one connection count, the phase order holds.
  return ordered.flatMap((p) => p.steps?.(ctx) ?? []).sort((a, b) => (a.connections ?? -1) - (b.connections ?? -1));
}
