// A lane: the events waiting for a produce request, the request itself, and the settling of its events.
import { performance } from 'node:perf_hooks';
import type { EventType } from '@event-sidecar/contract';
import type { RecordMetadata } from 'kafkajs';
import type { Logger } from 'pino';
import type { Entry, Ledger } from './ledger.js';
import { classifyKafkaError, ProducerError } from './errors.js';
import type { ProducerMetrics } from './metrics.js';
import type { BatchOptions } from './options.js';
import { Fifo } from './fifo.js';
import { byTopic, offsetAt } from './request.js';
import type { ProducerSlot } from './producer-slot.js';

/** What a lane needs from its producer: settings, hooks and the producer-wide state. */
export interface LaneContext {
  readonly batch: Readonly<Required<BatchOptions>>;
  readonly requestTimeoutMs: number;
  /**
   * whenUnavailable 'wait': the events of a request that failed in a way a later one may not are sent again (first
   * of their lane, after a backoff, or once a probe finds the brokers back) instead of failing.
   */
  readonly waits: boolean;
  readonly log: Logger;
  readonly metrics: ProducerMetrics;
  readonly ledger: Ledger;
  /** A produce request was acknowledged `ms` after it started. */
  requestTook(ms: number): void;
  /** Kafka confirmed events. */
  confirmed(): void;
  noteError(error: ProducerError): void;
  /** A request failed for good; its events have failed with `error`. */
  requestFailed(error: ProducerError, unreachable: boolean): void;
  /** Whether the brokers are unreachable: the lane's waiting events then fail (or, with `waits`, wait) unsent. */
  isDown(): boolean;
  /** The brokers are unreachable: fails the events waiting in `lane` (none with `waits`). */
  failWaiting(lane: Lane): void;
  /** `lane`'s request is over and events wait in it: the routing may hand some to their own lanes (lane-balancing.ts). */
  rebalance(lane: Lane): void;
}

/**
 * One kafkajs producer with its own queue and at most one produce request in flight. While a lane holds events
 * of a partition (waiting or in its request) the partition's next events join them there, so each partition
 * keeps its order (lane-balancing.ts chooses the lane otherwise); each lane's idempotent producer has its own producer
 * id and sequence numbers; the lanes together keep several requests in flight. Each entry names its topic, so
 * a lane's request may carry several topics.
 */
export class Lane {
  private readonly queue = new Fifo<Entry>();
  private queuedBytes = 0;
  /** The events of the request in flight. */
  inFlight: Entry[] | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** The partitions on which an event of the request in flight failed for good (see failBehind). */
  private readonly broken = new Set<string>();
  /** Per partition (Entry.key), how many of its events this lane holds, waiting or in its request. */
  private readonly held = new Map<string, number>();
  /** With `waits`: events of the request in flight to queue again, first, once it is over. */
  private retry: Entry[] = [];
  /** With `waits`: the pause after a failed request before the next one, doubling while requests keep failing. */
  private backoffMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly index: number,
    readonly producer: ProducerSlot,
    private readonly ctx: LaneContext,
  ) {}

  get waiting(): number {
    return this.queue.length;
  }

  /** Queues `entry`; scheduleFlush() then sends it. */
  push(entry: Entry): void {
    this.queue.push(entry);
    this.queuedBytes += entry.bytes;
    this.hold(entry);
  }

  /** Whether events of the partition `key` wait here or are in this lane's request. */
  holds(key: string): boolean {
    return this.held.has(key);
  }

  /**
   * Takes out of the queue, in order, the waiting events for which `test` holds (none of them in flight), to
   * be queued in another lane with `adopt`.
   */
  handOver(test: (entry: Entry) => boolean): Entry[] {
    const taken = this.queue.removeWhere(test);
    for (const entry of taken) this.queuedBytes -= entry.bytes;
    this.release(taken);
    return taken;
  }

  /**
   * Queues events handed over by another lane (each partition's in order, and none of their partitions held
   * here), merged with the waiting ones by deadline, the order the queue keeps; then sends them as push would.
   */
  adopt(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const waiting = this.queue.drain();
    let i = 0;
    for (const entry of entries) {
      while (i < waiting.length && waiting[i]!.deadline <= entry.deadline) this.queue.push(waiting[i++]!);
      this.queue.push(entry);
      this.queuedBytes += entry.bytes;
      this.hold(entry);
    }
    while (i < waiting.length) this.queue.push(waiting[i++]!);
    this.scheduleFlush();
  }

  private hold(entry: Entry): void {
    this.held.set(entry.key, (this.held.get(entry.key) ?? 0) + 1);
  }

  /** The events left this lane: sent and over, failed out of the queue, or handed over. */
  private release(entries: readonly Entry[]): void {
    for (const { key } of entries) {
      const count = this.held.get(key)! - 1;
      if (count > 0) this.held.set(key, count);
      else this.held.delete(key);
    }
  }

  /** The unsettled event due first: the oldest in flight, else the oldest waiting (the queue is in deadline order). */
  firstPending(): Entry | undefined {
    return this.inFlight?.find((entry) => !entry.done) ?? this.queue.peek();
  }

  /** Adds to `out` the unsettled events in flight whose deadline has passed. */
  lateInFlight(now: number, out: Entry[]): void {
    if (this.inFlight) for (const entry of this.inFlight) if (!entry.done && entry.deadline <= now) out.push(entry);
  }

  /**
   * Takes out of the queue, into `out`, the waiting events whose deadline has passed, and (without `waits`) every
   * event queued after one of them on its partition: sent on their own they could reach Kafka before the late one
   * is delivered again (from the sidecar's spool), out of order. With `waits` nothing delivers a late event
   * again, so the events after it go on.
   */
  takeLateWaiting(now: number, out: Entry[]): void {
    const late = new Set<string>();
    while (this.queue.length > 0 && this.queue.peek()!.deadline <= now) {
      const entry = this.queue.shift()!;
      this.queuedBytes -= entry.bytes;
      this.release([entry]);
      late.add(entry.key);
      out.push(entry);
    }
    if (late.size > 0 && !this.ctx.waits) out.push(...this.takeQueued(late));
  }

  /** Empties the queue and returns what waited in it. */
  takeWaiting(): Entry[] {
    this.queuedBytes = 0;
    const waiting = this.queue.drain();
    this.release(waiting);
    return waiting;
  }

  scheduleFlush(): void {
    // Adaptive batching. A lane with nothing in flight sends at once: at the end of this turn of the event loop,
    // so that events published together (publishMany, one POST /events) share a request, but without a timer.
    // While its request is in flight, the next batch gathers behind it (one request in flight per lane keeps
    // each partition's order; kafkajs's idempotent producer sends one at a time anyway) and goes when it
    // completes (sendGathered): batches grow with the load, and an event alone never waits for the linger.
    if (this.busy()) return;
    const { maxEvents, maxBytes } = this.ctx.batch;
    if (this.queue.length >= maxEvents || this.queuedBytes >= maxBytes) {
      this.flushNow();
      return;
    }
    if (this.lingerTimer || this.immediate) return;
    this.immediate = setImmediate(() => this.flushNow());
  }

  /**
   * Whether a request is in flight with an event still unsettled. Once every event of a request is settled its
   * callers resume before the request's completion runs: a caller that awaits each event publishes its next one
   * then, and that event must not gather behind a request that is over.
   */
  busy(): boolean {
    return this.inFlight !== undefined && !this.inFlight.every((entry) => entry.done);
  }

  /**
   * The batch that gathered behind a request, once that request completed: sent at once when full or when its
   * oldest event has waited `lingerMs` (under heavy load a round trip outlasts the linger, so it always has),
   * otherwise as soon as it has. The linger thus only matters under load, where it lets batches fill.
   */
  private sendGathered(): void {
    const { maxEvents, maxBytes, lingerMs } = this.ctx.batch;
    const wait = this.queue.peek()!.startedAt + lingerMs - performance.now();
    if (wait <= 0 || this.queue.length >= maxEvents || this.queuedBytes >= maxBytes) this.flushNow();
    else this.lingerTimer = setTimeout(() => this.flushNow(), Math.ceil(wait));
  }

  /**
   * Sends the next batch now, unless a request is in flight or nothing waits; with `waits`, not during the backoff
   * after a failed request nor while the brokers are unreachable (resume() sends once a probe finds them back).
   */
  flushNow(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    if (this.immediate) clearImmediate(this.immediate);
    this.lingerTimer = this.immediate = undefined;
    if (this.inFlight || this.queue.length === 0 || this.retryTimer) return;
    if (this.ctx.waits && this.ctx.isDown()) return;
    this.broken.clear();
    const { maxEvents, maxBytes } = this.ctx.batch;
    const batch: Entry[] = [];
    let bytes = 0;
    while (batch.length < maxEvents) {
      const next = this.queue.peek();
      if (!next || (batch.length > 0 && bytes + next.bytes > maxBytes)) break;
      this.queue.shift();
      this.queuedBytes -= next.bytes;
      batch.push(next);
      bytes += next.bytes;
    }
    this.inFlight = batch;
    const { ledger, metrics } = this.ctx;
    metrics.queueDepth(ledger.depth);
    void this.deliver(batch, bytes).finally(() => {
      this.inFlight = undefined;
      this.release(batch);
      if (this.retry.length > 0) this.requeue();
      metrics.queueDepth(ledger.depth);
      if (this.queue.length > 0) {
        if (this.ctx.isDown()) this.ctx.failWaiting(this);
        else {
          this.ctx.rebalance(this);
          // Unless an event that came after the last one settled is already being sent at once, with these.
          if (this.queue.length > 0 && !this.immediate) this.sendGathered();
        }
      }
      this.ctx.ledger.checkDrained();
    });
  }

  /** Sends now (the brokers are back): ends the backoff of a failed request. */
  resume(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.flushNow();
  }

  /** Stops the backoff timer: the producer is closed. */
  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /**
   * With `waits`: the unsettled events of the failed request go back in front of the queue, in their order (they
   * are older than every event queued behind them, so the queue stays in deadline order), held by this lane again;
   * the next request goes after a backoff, unless the brokers are down (then resume() sends).
   */
  private requeue(): void {
    const again = this.retry.filter((entry) => !entry.done);
    this.retry = [];
    if (again.length === 0) return;
    this.queue.unshiftAll(again);
    for (const entry of again) {
      this.queuedBytes += entry.bytes;
      this.hold(entry);
    }
    if (this.ctx.isDown()) return;
    this.backoffMs = Math.min(Math.max(RETRY_FIRST_MS, this.backoffMs * 2), RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => this.resume(), this.backoffMs);
    // The deadline timer keeps the process alive while events wait; this one need not.
    this.retryTimer.unref();
  }

  private async deliver(batch: Entry[], bytes: number, attempt = 0): Promise<void> {
    const started = performance.now();
    try {
      const producer = await this.producer.get();
      this.ctx.metrics.batchSize(batch.length, bytes);
      const acks = await producer.sendBatch({
        acks: -1,
        timeout: this.ctx.requestTimeoutMs,
        topicMessages: byTopic(batch),
      });
      this.ctx.requestTook(performance.now() - started);
      this.settle(batch, acks);
    } catch (e) {
      // The outcome is unknown: the next request goes through a new producer (see ProducerSlot).
      this.producer.markStale();
      const { error, unreachable, producerState } = classifyKafkaError(e, 'publish');
      let live = batch.filter((x) => !x.done);
      if (producerState && attempt === 0 && live.length > 0) {
        // Nothing was written: send the same records once more, through the new producer. An event that timed
        // out meanwhile is not resent, so neither are the events after it on its partition.
        const expired = batch.filter((x) => x.done);
        if (expired.length > 0 && !this.ctx.waits) {
          this.failBehind(expired, lateError());
          live = live.filter((x) => !x.done);
        }
        this.ctx.log.warn({ err: error }, 'the broker refused the producer state; resending through a new producer');
        if (live.length > 0) await this.deliver(live, bytes, attempt + 1);
        return;
      }
      if (error.code === 'RECORD_TOO_LARGE' && live.length > 1) {
        // One record (or the broker's limit) spoils the whole request: send the events one by one.
        this.ctx.log.warn(
          { events: live.length },
          'the broker refused a too large request; sending its events one by one',
        );
        for (const entry of live) {
          if (!this.broken.has(entry.key)) await this.deliver([entry], entry.bytes);
          // Behind one of its partition that is to be sent again: sent again after it.
          else if (this.ctx.waits && !entry.done) this.retry.push(entry);
        }
        return;
      }
      this.ctx.noteError(error);
      if (this.ctx.waits && error.canRetry) {
        // Kafka may take them later: they wait for their turn again, first in the lane (requeue), and so do the
        // events after them on their partitions.
        for (const entry of live) this.broken.add(entry.key);
        this.retry.push(...live);
        this.ctx.requestFailed(error, unreachable);
        return;
      }
      this.ctx.ledger.fail(live, error);
      // An event refused for itself (too large, invalid, ...) is not sent again: the events after it may go on.
      if (error.canRetry) this.failBehind(batch, error);
      this.ctx.requestFailed(error, unreachable);
    }
  }

  /**
   * `failed` failed for good and may be delivered again later (by the sidecar's spool); fails with `error` every
   * unsettled event after them on their partitions, in the request in flight and in the queue, so that none of
   * those reaches Kafka first. The events of `failed` that already timed out count too: their request failed.
   */
  private failBehind(failed: readonly Entry[], error: ProducerError): void {
    for (const entry of failed) this.broken.add(entry.key);
    const behind = (this.inFlight ?? []).filter((x) => !x.done && this.broken.has(x.key));
    behind.push(...this.takeQueued(this.broken));
    this.ctx.ledger.fail(behind, error);
  }

  /** Takes out of the queue, in order, the events on the partitions of `keys`. */
  private takeQueued(keys: ReadonlySet<string>): Entry[] {
    return this.handOver((x) => keys.has(x.key));
  }

  /** Resolves each event of an acknowledged request with its offset: the base offset of its partition plus its index. */
  private settle(batch: Entry[], acks: RecordMetadata[]): void {
    const baseOffsets = new Map<string, Map<number, string>>();
    for (const ack of acks) {
      if (ack.baseOffset === undefined) continue;
      let bases = baseOffsets.get(ack.topicName);
      if (!bases) baseOffsets.set(ack.topicName, (bases = new Map()));
      bases.set(ack.partition, ack.baseOffset);
    }
    const indexInPartition = new Map<string, Map<number, number>>();
    const now = performance.now();
    // Per type, with its topic: a type is written to one topic (the producer's topic layout).
    const counts = new Map<EventType, { count: number; topic: string }>();
    for (const entry of batch) {
      const { topic } = entry;
      const partition = entry.message.partition;
      let indexes = indexInPartition.get(topic);
      if (!indexes) indexInPartition.set(topic, (indexes = new Map()));
      const index = indexes.get(partition) ?? 0;
      indexes.set(partition, index + 1);
      if (entry.done) continue;
      const base = baseOffsets.get(topic)?.get(partition);
      if (base === undefined) {
        // kafkajs 2.2.4 answers so when a partition's leader moved during the request to a broker that had
        // already answered for other partitions: it never resends that partition, so nothing of it was written
        // and sending again is safe (a leader election on a replicated cluster shows it).
        if (this.ctx.waits) {
          this.retry.push(entry);
          continue;
        }
        this.ctx.ledger.fail(
          [entry],
          new ProducerError('KAFKA_ERROR', `Kafka acknowledged the request without partition ${partition}`, {
            canRetry: true,
          }),
        );
        continue;
      }
      const counted = counts.get(entry.type);
      if (counted) counted.count++;
      else counts.set(entry.type, { count: 1, topic });
      this.ctx.ledger.confirm(entry, { topic, partition, offset: offsetAt(base, index) }, now);
    }
    for (const [type, { count, topic }] of counts) this.ctx.metrics.published(type, count, topic);
    if (counts.size > 0) this.backoffMs = 0;
    this.ctx.confirmed();
  }
}

/** The first pause before a failed request's events are sent again (with `waits`), and the longest. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

/** For the events after one that timed out and was not written: they keep their place behind it. */
function lateError(): ProducerError {
  return new ProducerError('PUBLISH_TIMEOUT', 'an earlier event of its partition timed out and was not sent', {
    retryAfterMs: 1000,
  });
}
