// Delivers spooled events to Kafka once it is back: the oldest first, a batch at a time, each deleted
// only after Kafka acknowledged it. A crash between the acknowledgement and the delete sends that event
// again on the next run (at least once; consumers drop duplicates by event id). An event Kafka will not take
// however often it is sent leaves the replay for the dead letters (dead-letters.ts), named in a warning, so
// that neither the spool nor its trace waits behind it forever.
import type { Logger } from 'pino';
import { isProducerError } from '@event-sidecar/producer';
import type { ReplayPublisher } from '../producer-views.js';
import type { DeadLetterReason } from './dead-letters.js';
import type { SpoolStore, SpooledEvent } from './store.js';

/**
 * What a failed replay of one event means. `retry`: Kafka is away or slow, or the sidecar stops: what the spool
 * waits out, however long. `dead`: Kafka will never take this event (too large, not a record): a dead letter at
 * once. `persistent`: anything else (an unknown topic or partition, authorization refused, an error nobody
 * classified): a dead letter once the same reason has lasted `deadLetterAfterMs`, since some of these clear by
 * themselves (a topic being created, a leader moving) and the rest never do.
 */
export type ReplayVerdict = 'retry' | 'dead' | 'persistent';

export function replayVerdict(error: unknown): ReplayVerdict {
  if (!isProducerError(error)) return 'persistent';
  switch (error.code) {
    case 'KAFKA_UNAVAILABLE':
    case 'PUBLISH_TIMEOUT':
    case 'OVERLOADED':
    case 'CLOSED':
    case 'CONNECTION_FAILED':
      return 'retry';
    case 'RECORD_TOO_LARGE':
    case 'INVALID_EVENT':
      return 'dead';
    default:
      return 'persistent';
  }
}

function reasonOf(error: unknown): DeadLetterReason {
  if (isProducerError(error)) return { code: error.code, reason: error.message };
  return { code: 'UNKNOWN', reason: (error as Error)?.message ?? String(error) };
}

export interface ReplayerOptions {
  store: SpoolStore;
  producer: ReplayPublisher;
  logger: Logger;
  /** Events read and sent per round; default 500. */
  batch?: number;
  /** Wait after a failed round, doubled up to `maxBackoffMs`; default 500 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long a `persistent` reason may last before its events become dead letters; default 60 s. */
  deadLetterAfterMs?: number;
  /** How often an idle replayer looks for events another process put on the spool; default 2000 ms. */
  idleCheckMs?: number;
  /**
   * True while the producer knows Kafka is away (it refuses every event at once): no round is sent then, it would
   * only read, parse and fail every event of it. Looked at every `backoffMs`, so delivery resumes soon after.
   */
  kafkaDown?: () => boolean;
  /** Called with the number of events delivered in a round. */
  onReplayed?: (count: number) => void;
  /** Called for each event moved to the dead letters. */
  onDeadLetter?: (event: SpooledEvent, why: DeadLetterReason) => void;
  /** Called when a round left the spool empty. */
  onDrained?: () => void;
}

/** Failures of the rounds since the last that delivered everything: what the log says about them. */
interface FailingSince {
  readonly at: number;
  rounds: number;
  codes: string;
  loggedAt: number;
}

/** How often a replay that keeps failing for the same reasons is logged at warn. */
const FAILING_LOG_MS = 60_000;

export class Replayer {
  private readonly opts: Required<Omit<ReplayerOptions, 'onReplayed' | 'onDeadLetter' | 'onDrained' | 'kafkaDown'>> &
    Pick<ReplayerOptions, 'onReplayed' | 'onDeadLetter' | 'onDrained' | 'kafkaDown'>;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Per `persistent` reason: when it was first and last seen. */
  private readonly persisting = new Map<string, { first: number; last: number }>();
  private failing: FailingSince | undefined;
  /** Waiting for events (the spool was empty): a commit wakes it. A replayer backing off is not woken. */
  private idle = false;

  constructor(options: ReplayerOptions) {
    this.opts = {
      batch: 500,
      backoffMs: 500,
      maxBackoffMs: 5000,
      deadLetterAfterMs: 60_000,
      idleCheckMs: 2000,
      ...options,
    };
    // Only an idle replayer: one backing off after a failed round would otherwise send (and fail) a whole round
    // after every commit while Kafka is away, the spool's busiest time.
    this.opts.store.onCommit(() => {
      if (this.idle) this.kick();
    });
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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => this.kick(), ms);
      this.timer.unref();
    });
  }

  private async run(): Promise<void> {
    const { store, logger } = this.opts;
    let backoff = this.opts.backoffMs;
    while (this.running) {
      let events: SpooledEvent[];
      let outcome: RoundOutcome;
      try {
        if (this.opts.kafkaDown?.()) {
          await this.sleep(this.opts.backoffMs);
          // Meanwhile a damaged spool is still rebuilt, and a requeue noticed.
          store.refresh();
          continue;
        }
        events = store.peek(this.opts.batch);
        if (events.length === 0) {
          // Idle: a commit wakes the loop; now and then it looks for what another process requeued.
          this.idle = true;
          await this.sleep(this.opts.idleCheckMs);
          this.idle = false;
          store.refresh();
          continue;
        }
        outcome = await this.round(events);
        // Closed under a round that outlived the shutdown bound: what Kafka took is sent again next run.
        if (store.isClosed) return;
        for (const { event, why } of outcome.dead) {
          store.bury(event, why);
          this.opts.onDeadLetter?.(event, why);
        }
        if (outcome.delivered.length > 0) {
          store.remove(outcome.delivered);
          this.opts.onReplayed?.(outcome.delivered.length);
        }
        if (outcome.delivered.length + outcome.dead.length > 0 && store.stats().events === 0) this.opts.onDrained?.();
      } catch (err) {
        if (store.isClosed) return;
        logger.error({ err }, 'replay failed; retrying');
        await this.sleep(this.opts.maxBackoffMs);
        continue;
      }
      if (outcome.failed.length === 0) {
        this.recovered();
        backoff = this.opts.backoffMs;
        continue;
      }
      this.roundFailed(events.length, outcome, backoff);
      // Events moved out of the way are progress: the next round goes at once.
      if (outcome.dead.length > 0) continue;
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
    }
  }

  /**
   * Sends a round; sorts its events into those Kafka acknowledged, those that become dead letters and those kept
   * for the next round. The whole round is queued in the producer at once, oldest first, and the producer keeps
   * each partition's order under failure: when an event fails for a reason worth retrying, every event queued
   * after it on its partition fails too, so a trace's later event (same key, same type: same partition) is never
   * acknowledged while an earlier one stays here. The one exception keeps the order as well: an event that timed
   * out in flight may still be written by its request, ahead of the events behind it, and is then sent again next
   * round (a duplicate after them). An event refused for itself (too large) does not hold the others back: it
   * goes to the dead letters and the rest of its trace is delivered after it.
   */
  private async round(events: readonly SpooledEvent[]): Promise<RoundOutcome> {
    const outcomes = await Promise.allSettled(
      events.map((e) => this.opts.producer.publish(e.event, { createdAt: e.acceptedAt })),
    );
    const now = Date.now();
    const out: RoundOutcome = { delivered: [], dead: [], failed: [] };
    outcomes.forEach((outcome, i) => {
      const event = events[i]!;
      if (outcome.status === 'fulfilled') {
        out.delivered.push(event);
        return;
      }
      const error: unknown = outcome.reason;
      const why = reasonOf(error);
      const verdict = replayVerdict(error);
      if (verdict === 'dead' || (verdict === 'persistent' && this.persisted(why, now))) out.dead.push({ event, why });
      else out.failed.push({ event, why });
    });
    return out;
  }

  /** Whether `why` has been seen for `deadLetterAfterMs` (a reason unseen for as long starts its clock again). */
  private persisted(why: DeadLetterReason, now: number): boolean {
    const key = `${why.code}: ${why.reason}`;
    const seen = this.persisting.get(key);
    if (!seen || now - seen.last > this.opts.deadLetterAfterMs) {
      this.persisting.set(key, { first: now, last: now });
      return this.opts.deadLetterAfterMs === 0;
    }
    seen.last = now;
    return now - seen.first >= this.opts.deadLetterAfterMs;
  }

  /** A failed round, said at warn when failing begins, when its reasons change, and once a minute meanwhile. */
  private roundFailed(tried: number, outcome: RoundOutcome, backoffMs: number): void {
    const now = Date.now();
    const counts = new Map<string, number>();
    for (const { why } of outcome.failed) counts.set(why.code, (counts.get(why.code) ?? 0) + 1);
    const codes = [...counts.keys()].sort().join(',');
    const fields = {
      tried,
      delivered: outcome.delivered.length,
      deadLettered: outcome.dead.length,
      failed: Object.fromEntries(counts),
      reason: outcome.failed[0]!.why.reason,
      backoffMs,
    };
    const failing = this.failing;
    if (!failing || failing.codes !== codes || now - failing.loggedAt >= FAILING_LOG_MS) {
      this.opts.logger.warn(
        { ...fields, failingForMs: failing ? now - failing.at : 0, rounds: (failing?.rounds ?? 0) + 1 },
        'replay round failed; the events stay spooled and are sent again',
      );
      this.failing = { at: failing?.at ?? now, rounds: (failing?.rounds ?? 0) + 1, codes, loggedAt: now };
      return;
    }
    failing.rounds += 1;
    this.opts.logger.debug(fields, 'replay round failed');
  }

  private recovered(): void {
    const failing = this.failing;
    if (!failing) return;
    this.failing = undefined;
    this.opts.logger.info(
      { failedRounds: failing.rounds, failingForMs: Date.now() - failing.at },
      'replay delivering again',
    );
  }
}

interface RoundOutcome {
  delivered: SpooledEvent[];
  dead: Array<{ event: SpooledEvent; why: DeadLetterReason }>;
  failed: Array<{ event: SpooledEvent; why: DeadLetterReason }>;
}
