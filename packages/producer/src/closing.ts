// What close() waits for, and what it does with the events Kafka did not confirm by then.
import type { Logger } from 'pino';
import type { Entry, Ledger } from './ledger.js';
import { ProducerError } from './errors.js';
import type { Lane } from './lane.js';

export interface CloseOptions {
  /**
   * How long close() waits for the events it took to be confirmed before it gives up on the rest (default:
   * publishTimeoutMs + requestTimeoutMs; with whenUnavailable 'wait', 20,000 ms).
   */
  timeoutMs?: number;
}

/** What close() could not deliver: events that failed with CLOSED when its wait ended. */
export interface CloseResult {
  undelivered: number;
}

/** How long close() waits for waiting events by default with whenUnavailable 'wait': within a pod's grace period. */
export const CLOSE_WAIT_MS = 20_000;

/**
 * Fails with CLOSED every event still waiting or in a request when close() stops waiting (with a journal they stay
 * in it, for the next run); logs them by type, and returns how many.
 */
export function abandon(lanes: readonly Lane[], ledger: Ledger, log: Logger, timeoutMs: number): number {
  const left: Entry[] = [];
  for (const lane of lanes) {
    for (const entry of lane.inFlight ?? []) if (!entry.done) left.push(entry);
    left.push(...lane.takeWaiting());
  }
  if (left.length === 0) return 0;
  const byType: Record<string, number> = {};
  for (const entry of left) byType[entry.type] = (byType[entry.type] ?? 0) + 1;
  log.warn({ undelivered: left.length, byType, timeoutMs }, 'close: events Kafka did not confirm in time');
  ledger.fail(
    left,
    new ProducerError(
      'CLOSED',
      `the producer closed before Kafka confirmed the event (close timeout ${timeoutMs} ms); if it was in a request it may still be stored`,
    ),
  );
  return left.length;
}
