// EventProducer: confirmed (acks=-1) delivery of events to one topic, with micro-batching, a bounded queue,
// timeouts, health and recovery after broker outages. kafkajs stays behind this class; the work is done by the
// lanes (lane.ts) and the routing between them (lane-balancing.ts), the deadlines (deadlines.ts), the outage probe
// (outage.ts) and the topic check (topic-check.ts).
import type { EventMessage, EventType } from '@event-sidecar/contract';
import { pino, type Logger } from 'pino';
import {
  CONNECT_RETRY,
  createKafkaClient,
  createLaneProducer,
  type EventProducerInternals,
  type KafkaClient,
} from './client.js';
import { abandon, CLOSE_WAIT_MS, type CloseOptions, type CloseResult } from './closing.js';
import { Deadlines, type DeadlineContext } from './deadlines.js';
import { createEntry, Ledger, sizedRecord, type Entry, type PublishResult, type SizedRecord } from './ledger.js';
import { Journal } from './journal.js';
import { classifyKafkaError, isProducerError, ProducerError } from './errors.js';
import { Lane, type LaneContext } from './lane.js';
import { safeMetrics, type ProducerMetrics } from './metrics.js';
import { resolveOptions, type EventProducerOptions, type ResolvedOptions, type WhenUnavailable } from './options.js';
import { Prober, type ProbeContext } from './outage.js';
import { ProducerSlot } from './producer-slot.js';
import { ProducerStatus, type ProducerHealth } from './status.js';
import { createRoutes, routeOf, topicsOf, type Routes } from './type-routes.js';
import { laneFor, rebalance } from './lane-balancing.js';
import { checkTopics, connectionError } from './topic-check.js';
import type { TopicsByType } from './topic-layout.js';

export type { PublishResult } from './ledger.js';
export { CLOSE_WAIT_MS, type CloseOptions, type CloseResult } from './closing.js';
export type { EventProducerInternals, KafkaClient } from './client.js';
export type { ProducerHealth } from './status.js';

export interface PublishOptions {
  /** Epoch ms written as `protocol.createdAt` and as the record timestamp; default: now. */
  createdAt?: number;
}

export type PublishOutcome = { ok: true; result: PublishResult } | { ok: false; error: ProducerError };

export class EventProducer {
  /** The topic of every event with topicStrategy 'single'. */
  readonly topic: string;
  /** The topic of each event type (all `topic` with 'single'). */
  readonly topics: TopicsByType;
  /** What publish() does with an event Kafka cannot take yet (the option, resolved). */
  readonly whenUnavailable: WhenUnavailable;
  private readonly opts: ResolvedOptions;
  private readonly log: Logger;
  private readonly metrics: ProducerMetrics;
  private readonly kafka: KafkaClient;
  private readonly ledger: Ledger;
  private readonly deadlines: Deadlines;
  private readonly prober: Prober;
  /** What the lanes, the deadlines and the probe see of the producer. */
  private readonly hooks: LaneContext & DeadlineContext & ProbeContext;

  private readonly status: ProducerStatus;

  private lanes: Lane[] = [];
  private connecting: Promise<void> | undefined;
  private connected = false;
  private routes: Routes | undefined;
  private batchMsAvg = 5;

  private closing: Promise<CloseResult> | undefined;
  private journal: Journal | undefined;
  private replayed = false;
  private journalWarnedAt = 0;
  /** close() has given up on what was left: nothing is sent or probed any more. */
  private stopped = false;

  constructor(options: EventProducerOptions, internals: EventProducerInternals = {}) {
    this.opts = resolveOptions(options);
    this.topic = this.opts.topic;
    this.topics = this.opts.topics;
    this.whenUnavailable = this.opts.whenUnavailable;
    const waits = this.whenUnavailable === 'wait';
    const root = this.opts.logger ?? pino({ enabled: false });
    this.log = root.child({ component: 'producer' });
    this.metrics = safeMetrics(this.opts.metrics, this.log);
    this.status = new ProducerStatus(this.metrics, this.log);
    if (options.partitionMap !== undefined && this.opts.strategy !== 'event-type') {
      this.log.warn('partitionMap is ignored: it applies to the event-type strategy only');
    }
    this.kafka = internals.kafka ?? createKafkaClient(this.opts, this.log);
    this.ledger = new Ledger(this.metrics, () => this.lanes.some((lane) => lane.inFlight !== undefined));
    this.hooks = {
      batch: this.opts.batch,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      publishTimeoutMs: this.opts.publishTimeoutMs,
      waits,
      log: this.log,
      metrics: this.metrics,
      ledger: this.ledger,
      lanes: () => this.lanes,
      isDown: () => this.status.state === 'down',
      // With 'wait', close() keeps probing for the events that wait, until it gives up on them.
      isClosing: () => (waits ? this.stopped : this.closing !== undefined),
      noteError: (error) => this.status.noteError(error),
      requestTook: (ms) => {
        this.batchMsAvg = this.batchMsAvg * 0.8 + ms * 0.2;
      },
      confirmed: () => this.status.set('connected'),
      recovered: () => {
        this.status.set('connected');
        if (waits) for (const lane of this.lanes) lane.resume();
      },
      requestFailed: (error, unreachable) => (unreachable ? this.goDown(error) : this.status.degrade()),
      requestTimedOut: () => this.status.degrade(),
      failWaiting: (lane) => {
        if (!waits) this.failQueued(undefined, [lane]);
      },
      rebalance: (lane) => rebalance(this.lanes, lane),
    };
    this.deadlines = new Deadlines(this.hooks);
    this.prober = new Prober(this.hooks);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Connects, checks (or creates) the topic and its partitions for the strategy, and starts the producer. */
  connect(): Promise<void> {
    if (this.closing) return Promise.reject(this.closedError());
    if (this.connected) return Promise.resolve();
    this.connecting ??= this.doConnect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    this.status.set('connecting');
    if (this.opts.journal !== undefined && !this.journal) {
      this.journal = Journal.open(this.opts.journal);
      this.ledger.journal = this.journal;
    }
    const admin = this.kafka.admin({ retry: { ...CONNECT_RETRY } });
    try {
      try {
        await admin.connect();
      } catch (e) {
        throw connectionError(e, 'connect', this.opts.brokers);
      }
      const partitions = await checkTopics(admin, this.opts, this.log);
      this.routes = createRoutes(this.opts, partitions);
      // A lane without a partition would never send anything.
      const count = Math.min(this.opts.batch.lanes, Math.max(...partitions.values()));
      if (this.lanes.length !== count) {
        // Only after a failed connect() (the topic changed meanwhile): nothing is queued yet.
        for (const lane of this.lanes) lane.producer.discard();
        this.lanes = Array.from({ length: count }, (_, index) => this.newLane(index));
      }
      try {
        await Promise.all(this.lanes.map((lane) => lane.producer.get()));
      } catch (e) {
        throw connectionError(e, 'producer connect', this.opts.brokers);
      }
      this.connected = true;
      this.status.set('connected');
      this.replayJournal();
      const strategy = typeof this.opts.strategy === 'function' ? 'custom' : this.opts.strategy;
      const topics = Object.fromEntries(partitions);
      this.log.info({ topics, strategy, lanes: this.lanes.length }, 'producer connected');
    } catch (e) {
      const error = isProducerError(e) ? e : classifyKafkaError(e, 'connect').error;
      this.status.noteError(error);
      this.status.set('down');
      throw error;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /**
   * Queues what an earlier run left in the journal, before any new event: each partition keeps its order across
   * the restart. A record for a topic or partition the producer no longer writes is dropped, with a warning.
   */
  private replayJournal(): void {
    if (!this.journal || this.replayed) return;
    this.replayed = true;
    const partitions = new Map(topicsOf(this.routes!).map((t) => [t.topic, t.partitions]));
    const { entries, dropped } = this.journal.restore(partitions, this.opts.publishTimeoutMs);
    for (const entry of entries) this.enqueue(entry);
    if (entries.length + dropped === 0) return;
    const level = dropped > 0 ? 'warn' : 'info';
    this.log[level]({ replayed: entries.length, dropped }, 'journal: events of an earlier run sent first');
  }

  private newLane(index: number): Lane {
    const slot = new ProducerSlot(() => createLaneProducer(this.kafka, this.opts), this.log);
    return new Lane(index, slot, this.hooks);
  }

  /**
   * Stops taking events (publish() then fails with CLOSED), delivers the events already taken within
   * `options.timeoutMs` (each one still resolves or rejects; none is dropped silently), fails with CLOSED those
   * still unconfirmed then, and disconnects. Resolves with how many it could not deliver (also logged, by type).
   */
  close(options: CloseOptions = {}): Promise<CloseResult> {
    this.closing ??= this.doClose(this.closeTimeout(options));
    return this.closing;
  }

  private closeTimeout(options: CloseOptions): number {
    const given = options?.timeoutMs;
    if (given !== undefined) {
      if (!Number.isInteger(given) || given < 0) {
        throw new ProducerError('INVALID_OPTIONS', `close(): timeoutMs must be an integer >= 0, got ${String(given)}`);
      }
      return given;
    }
    return this.whenUnavailable === 'wait' ? CLOSE_WAIT_MS : this.opts.publishTimeoutMs + this.opts.requestTimeoutMs;
  }

  private async doClose(timeoutMs: number): Promise<CloseResult> {
    for (const lane of this.lanes) lane.flushNow();
    await this.ledger.drained(timeoutMs, () =>
      this.log.warn({ queueDepth: this.ledger.depth, timeoutMs }, 'close: events still unconfirmed; giving up on them'),
    );
    const undelivered = abandon(this.lanes, this.ledger, this.log, timeoutMs);
    this.stopped = true;
    this.prober.stop();
    this.deadlines.stop();
    for (const lane of this.lanes) lane.stop();
    // What close() gave up on (CLOSED) stays in the journal, for the next run.
    this.journal?.close();
    await this.connecting?.catch(() => {});
    await Promise.all(this.lanes.map((lane) => lane.producer.close()));
    this.status.set('closed');
    this.log.info({ undelivered }, 'producer closed');
    return { undelivered };
  }

  // ---------------------------------------------------------------- health

  health(): ProducerHealth {
    const health = this.status.snapshot(this.ledger.depth);
    if (this.routes) health.topics = topicsOf(this.routes);
    return health;
  }

  /**
   * The brokers are unreachable: refuse new events at once and fail the waiting ones (with 'wait': keep them, and
   * take new ones), and probe until back.
   */
  private goDown(error: ProducerError): void {
    this.status.set('down');
    if (this.whenUnavailable !== 'wait') this.failQueued(error);
    this.prober.schedule();
  }

  private failQueued(cause?: ProducerError, lanes: readonly Lane[] = this.lanes): void {
    const waiting: Entry[] = [];
    for (const lane of lanes) for (const entry of lane.takeWaiting()) waiting.push(entry);
    if (waiting.length === 0) return;
    this.ledger.fail(
      waiting,
      new ProducerError(
        'KAFKA_UNAVAILABLE',
        `Kafka is unavailable: ${cause?.message ?? this.status.lastError?.message}`,
        {
          cause,
          retryAfterMs: this.prober.backoffMs,
        },
      ),
    );
  }

  // ---------------------------------------------------------------- publishing

  /** The partition publish() would choose for `event` (needs connect(): it depends on the topic's partitions). */
  partitionFor(event: EventMessage): number {
    return routeOf(this.connectedRoutes('partitionFor'), event).choose(event);
  }

  /** Where events of `type` go: their topic and the partitions of it they use (needs connect()). */
  partitionsForType(type: EventType): { topic: string; partitions: number[] } {
    const route = this.connectedRoutes('partitionsForType')[type];
    if (!route) throw new ProducerError('INVALID_EVENT', `unknown event type "${String(type)}"`);
    return { topic: route.topic, partitions: [...route.partitions] };
  }

  private connectedRoutes(what: string): Routes {
    if (this.routes) return this.routes;
    throw new ProducerError('KAFKA_UNAVAILABLE', `${what}() needs connect() first: it depends on the topics`);
  }

  /**
   * Resolves once Kafka acknowledged the event with acks=-1; rejects with a ProducerError.
   * `options.createdAt` (epoch ms) replaces the publish time as `protocol.createdAt` and record timestamp: an
   * event delivered late (from the sidecar's spool) keeps the time it was accepted.
   */
  publish(event: EventMessage, options: PublishOptions = {}): Promise<PublishResult> {
    const createdAt = options.createdAt ?? Date.now();
    // What the event is decides before what Kafka's state is: an event that can never be sent is refused alike
    // whether Kafka is up or away, never taken (or spooled) while it is away and refused once it is back.
    let sized: SizedRecord;
    try {
      sized = sizedRecord(event, createdAt, this.opts.batch.maxBytes);
    } catch (e) {
      return this.refuse(event, isProducerError(e) ? e : classifyKafkaError(e).error);
    }
    const refused = this.refusal();
    if (refused) return this.refuse(event, refused);
    let entry: Entry;
    try {
      const route = routeOf(this.routes!, event);
      entry = createEntry(event, sized, {
        topic: route.topic,
        choose: route.choose,
        createdAt,
        publishTimeoutMs: this.opts.publishTimeoutMs,
      });
    } catch (e) {
      return this.refuse(event, isProducerError(e) ? e : classifyKafkaError(e).error);
    }
    const { maxQueueBytes } = this.opts.batch;
    if (this.ledger.bytes + entry.bytes > maxQueueBytes) {
      return this.refuse(
        event,
        new ProducerError(
          'OVERLOADED',
          `the producer holds ${this.ledger.bytes} bytes of events awaiting Kafka; this one (${entry.bytes} bytes) would pass batch.maxQueueBytes ${maxQueueBytes}`,
          { retryAfterMs: this.retryAfterHint() },
        ),
      );
    }
    this.journalAppend(entry);
    return new Promise<PublishResult>((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
      this.enqueue(entry);
    });
  }

  private enqueue(entry: Entry): void {
    this.ledger.take(entry);
    const lane = laneFor(this.lanes, entry);
    lane.push(entry);
    this.deadlines.watch();
    lane.scheduleFlush();
  }

  /** Writes the entry to the journal, if any; one that cannot be written still waits in memory (and is warned of). */
  private journalAppend(entry: Entry): void {
    try {
      this.journal?.append(entry);
    } catch (err) {
      const now = Date.now();
      if (now - this.journalWarnedAt > 10_000) {
        this.journalWarnedAt = now;
        this.log.warn({ err }, 'journal: cannot write an event; it waits in memory only');
      }
    }
  }

  /** One outcome per event, in order; never rejects for per-event failures. */
  publishMany(events: EventMessage[]): Promise<PublishOutcome[]> {
    if (!Array.isArray(events)) {
      return Promise.reject(new ProducerError('INVALID_EVENT', 'publishMany() expects an array of events'));
    }
    return Promise.all(
      events.map((event) =>
        this.publish(event).then(
          (result): PublishOutcome => ({ ok: true, result }),
          (e: unknown): PublishOutcome => ({
            ok: false,
            error: isProducerError(e) ? e : new ProducerError('UNKNOWN', String(e), { cause: e }),
          }),
        ),
      ),
    );
  }

  private refusal(): ProducerError | undefined {
    if (this.closing) return this.closedError();
    if (!this.connected) {
      return new ProducerError('KAFKA_UNAVAILABLE', 'the producer is not connected: call connect() first', {
        retryAfterMs: 1000,
      });
    }
    if (this.status.state === 'down' && this.whenUnavailable !== 'wait') {
      return new ProducerError(
        'KAFKA_UNAVAILABLE',
        `Kafka is unavailable (${this.status.lastError?.message ?? 'last send failed'}); retrying the connection`,
        { retryAfterMs: Math.max(100, Math.ceil(this.prober.msUntilNext)) },
      );
    }
    const depth = this.ledger.depth;
    if (depth >= this.opts.batch.maxQueue) {
      return new ProducerError(
        'OVERLOADED',
        `the producer has ${depth} events awaiting Kafka (batch.maxQueue ${this.opts.batch.maxQueue})`,
        { retryAfterMs: this.retryAfterHint() },
      );
    }
    return undefined;
  }

  private closedError(): ProducerError {
    return new ProducerError('CLOSED', 'the producer is closing or closed');
  }

  /** Time to drain the queue at the recent pace of produce requests (one per lane at a time). */
  private retryAfterHint(): number {
    const batches = Math.ceil(this.ledger.depth / (this.opts.batch.maxEvents * Math.max(1, this.lanes.length)));
    return Math.min(5000, Math.max(10, Math.ceil(batches * this.batchMsAvg)));
  }

  private refuse(event: EventMessage, error: ProducerError): Promise<never> {
    const type = event?.metadata?.event?.type;
    if (typeof type === 'string') this.metrics.failed(type, error.code, 1);
    return Promise.reject(error);
  }
}
