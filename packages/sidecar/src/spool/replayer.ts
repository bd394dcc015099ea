// Delivers spooled events to Kafka once it is back: the oldest first, a batch at a time, each deleted
// only after Kafka acknowledged it. A crash between the acknowledgement and the delete sends that event
// again on the next run (at least once; consumers drop duplicates by event id).
import type { Logger } from 'pino';
import type { ReplayPublisher } from '../producer-views.js';
import type { SpoolStore, SpooledEvent } from './store.js';

export interface ReplayerOptions {
  store: SpoolStore;
  producer: ReplayPublisher;
  logger: Logger;
  /** Events read and sent per round; default 500. */
  batch?: number;
  /** Wait after a failed round, doubled up to `maxBackoffMs`; default 500 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Called with the number of events delivered in a round. */
  onReplayed?: (count: number) => void;
}

export class Replayer {
  private readonly opts: Required<Omit<ReplayerOptions, 'onReplayed'>> & Pick<ReplayerOptions, 'onReplayed'>;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: ReplayerOptions) {
    this.opts = { batch: 500, backoffMs: 500, maxBackoffMs: 5000, ...options };
    this.opts.store.onCommit(() => this.kick());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Wakes the loop up (after a commit, or when Kafka may be back). */
  kick(): void {
    const wake = this.wake;
    this.wake = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    wake?.();
  }

  /** Stops after the round in flight (whose events are then either deleted or kept for the next run). */
  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  private sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      if (ms !== undefined) this.timer = setTimeout(() => this.kick(), ms);
    });
  }

  private async run(): Promise<void> {
    const { store, logger } = this.opts;
    let backoff = this.opts.backoffMs;
    while (this.running) {
      let events: SpooledEvent[];
      let delivered: SpooledEvent[];
      try {
        events = store.peek(this.opts.batch);
        if (events.length === 0) {
          await this.sleep(undefined);
          continue;
        }
        delivered = await this.round(events);
        // Closed under a round that outlived the shutdown bound: what Kafka took is sent again next run.
        if (store.isClosed) return;
        if (delivered.length > 0) {
          store.remove(delivered);
          this.opts.onReplayed?.(delivered.length);
        }
      } catch (err) {
        if (store.isClosed) return;
        logger.error({ err }, 'replay failed; retrying');
        await this.sleep(this.opts.maxBackoffMs);
        continue;
      }
      if (delivered.length === events.length) {
        backoff = this.opts.backoffMs;
        continue;
      }
      logger.debug({ delivered: delivered.length, tried: events.length, backoffMs: backoff }, 'replay round failed');
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
    }
  }

  /**
   * Sends a round; returns the events Kafka acknowledged. The whole round is queued in the producer at once,
   * oldest first, and the producer keeps each partition's order under failure: when an event fails for a
   * reason worth retrying, every event queued after it on its partition fails too, so a trace's later event
   * (same key, same type: same partition) is never acknowledged while an earlier one stays here. The one
   * exception keeps the order as well: an event that timed out in flight may still be written by its request,
   * ahead of the events behind it, and is then sent again next round (a duplicate after them).
   */
  private async round(events: readonly SpooledEvent[]): Promise<SpooledEvent[]> {
    const outcomes = await Promise.allSettled(
      events.map((e) => this.opts.producer.publish(e.event, { createdAt: e.acceptedAt })),
    );
    return events.filter((_e, i) => outcomes[i]!.status === 'fulfilled');
  }
}
