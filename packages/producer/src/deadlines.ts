// publishTimeoutMs: each event settles within it, confirmed or failed with PUBLISH_TIMEOUT.
import { performance } from 'node:perf_hooks';
import { ProducerError } from './errors.js';
import type { Entry, Ledger } from './ledger.js';
import type { Lane } from './lane.js';

export interface DeadlineContext {
  readonly publishTimeoutMs: number;
  readonly ledger: Ledger;
  lanes(): readonly Lane[];
  noteError(error: ProducerError): void;
  /** Events in a produce request timed out (and have failed). */
  requestTimedOut(): void;
}

/** One timer, due at the earliest deadline of an unsettled event (each lane queues its events in deadline order). */
export class Deadlines {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: DeadlineContext) {}

  /** Arms the timer unless it runs: an event was taken. */
  watch(): void {
    if (!this.timer) this.arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    const first = this.earliestPending();
    if (!first) return;
    const delay = Math.max(0, first.deadline - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.expire();
      this.arm();
    }, Math.ceil(delay));
    // Kept referenced: a caller awaits each pending event, so the process must not exit before it settles.
  }

  private earliestPending(): Entry | undefined {
    let first: Entry | undefined;
    for (const lane of this.ctx.lanes()) {
      const candidate = lane.firstPending();
      if (candidate && (!first || candidate.deadline < first.deadline)) first = candidate;
    }
    return first;
  }

  private expire(): void {
    const { ledger, publishTimeoutMs } = this.ctx;
    const now = performance.now();
    const late: Entry[] = [];
    for (const lane of this.ctx.lanes()) lane.lateInFlight(now, late);
    if (late.length > 0) {
      // Still in a produce request: Kafka may store them after all (a retry by the caller may duplicate).
      const error = new ProducerError(
        'PUBLISH_TIMEOUT',
        `Kafka did not confirm the event within publishTimeoutMs (${publishTimeoutMs} ms); it may still be stored`,
        { retryAfterMs: 1000 },
      );
      this.ctx.noteError(error);
      ledger.fail(late, error);
      this.ctx.requestTimedOut();
    }
    const waited: Entry[] = [];
    for (const lane of this.ctx.lanes()) lane.takeLateWaiting(now, waited);
    if (waited.length > 0) {
      ledger.fail(
        waited,
        new ProducerError(
          'PUBLISH_TIMEOUT',
          `the event waited publishTimeoutMs (${publishTimeoutMs} ms) for Kafka and was not sent`,
          {
            retryAfterMs: 1000,
          },
        ),
      );
    }
    ledger.checkDrained();
  }
}
