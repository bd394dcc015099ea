// EventProducer: confirmed (acks=-1) delivery of events to one topic, with micro-batching, a bounded queue,
// timeouts, health and recovery after broker outages. kafkajs stays behind this class.
import { performance } from 'node:perf_hooks';
import type { EventMessage, EventType } from '@event-sidecar/contract';
import {
  Kafka,
  type Admin,
  type AdminConfig,
  type Message,
  type Producer,
  type ProducerConfig,
  type RecordMetadata,
  type SASLOptions,
} from 'kafkajs';
import { pino, type Logger } from 'pino';
import { classifyKafkaError, isProducerError, ProducerError, type ProducerErrorCode } from './errors.js';
import { kafkaLogCreator, kafkaLogLevel } from './kafka-log.js';
import {
  produceRetryFor,
  resolveOptions,
  type EventProducerOptions,
  type ProducerMetrics,
  type ProducerState,
  type ResolvedOptions,
} from './options.js';
import {
  defaultPartitionMap,
  partitionMapProblems,
  partitionsNeeded,
  pickByKey,
  traceIdPartition,
  type PartitionMap,
} from './partitioning.js';
import { toKafkaRecord } from './record.js';

export interface PublishResult {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: a decimal string. */
  offset: string;
}

export interface PublishOptions {
  /** Epoch ms written as `protocol.createdAt` and as the record timestamp; default: now. */
  createdAt?: number;
}

export type PublishOutcome = { ok: true; result: PublishResult } | { ok: false; error: ProducerError };

export interface ProducerHealth {
  state: ProducerState;
  lastError?: { code: ProducerErrorCode; message: string; at: Date };
  /** Events taken but not yet confirmed or failed. */
  queueDepth: number;
  /** When `state` was entered. */
  since: Date;
}

interface Entry {
  readonly type: EventType;
  readonly message: Message & { partition: number };
  readonly bytes: number;
  readonly startedAt: number;
  readonly deadline: number;
  resolve: (result: PublishResult) => void;
  reject: (error: ProducerError) => void;
  done: boolean;
}

// Bytes a record costs beyond its key, value and headers in a v2 record batch (lengths, varints, attributes):
// a generous estimate so that a full batch stays under the broker's message.max.bytes.
const RECORD_OVERHEAD = 64;
const PROBE_FIRST_MS = 250;
const PROBE_MAX_MS = 5000;

type Chooser = (event: EventMessage) => number;

/**
 * One kafkajs producer with its own queue and at most one produce request in flight. A partition always goes
 * through the same lane (partition % lanes), so each partition keeps its order, and each lane's idempotent
 * producer has its own producer id and sequence numbers; the lanes together keep several requests in flight.
 */
interface Lane {
  readonly index: number;
  readonly queue: Fifo<Entry>;
  queuedBytes: number;
  inFlight: Entry[] | undefined;
  lingerTimer: NodeJS.Timeout | undefined;
  immediate: NodeJS.Immediate | undefined;
  producer: Producer | undefined;
  producerStale: boolean;
  producerReady: Promise<Producer> | undefined;
}

/** The part of a kafkajs client the producer uses. */
export interface KafkaClient {
  producer(config: ProducerConfig): Producer;
  admin(config?: AdminConfig): Admin;
}

/** Not part of the options (not validated, not documented): lets unit tests drive the logic with a fake client. */
export interface EventProducerInternals {
  kafka?: KafkaClient;
}

/** A FIFO with O(1) shift, for the events waiting for the next batch. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    (this.items as (T | undefined)[])[this.head] = undefined;
    this.head++;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  drain(): T[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }
}

function noop(): void {}

function newLane(index: number): Lane {
  return {
    index,
    queue: new Fifo<Entry>(),
    queuedBytes: 0,
    inFlight: undefined,
    lingerTimer: undefined,
    immediate: undefined,
    producer: undefined,
    producerStale: false,
    producerReady: undefined,
  };
}

/** Wraps the user's metric hooks: a missing hook is a no-op and a throwing one never breaks publishing. */
function safeMetrics(metrics: Partial<ProducerMetrics>, log: Logger): ProducerMetrics {
  const warned = new Set<string>();
  const wrap = <K extends keyof ProducerMetrics>(name: K): ProducerMetrics[K] => {
    const fn = metrics[name] as ((...args: unknown[]) => void) | undefined;
    if (!fn) return noop as ProducerMetrics[K];
    return ((...args: unknown[]) => {
      try {
        fn.apply(metrics, args);
      } catch (err) {
        if (!warned.has(name)) {
          warned.add(name);
          log.warn({ err, hook: name }, 'metrics hook threw; further errors of this hook are not logged');
        }
      }
    }) as ProducerMetrics[K];
  };
  return {
    published: wrap('published'),
    failed: wrap('failed'),
    publishLatency: wrap('publishLatency'),
    batchSize: wrap('batchSize'),
    queueDepth: wrap('queueDepth'),
    connectionState: wrap('connectionState'),
  };
}

function offsetAt(base: string, index: number): string {
  const n = Number(base);
  const sum = n + index;
  return Number.isSafeInteger(sum) ? String(sum) : (BigInt(base) + BigInt(index)).toString();
}

export class EventProducer {
  readonly topic: string;
  private readonly opts: ResolvedOptions;
  private readonly log: Logger;
  private readonly metrics: ProducerMetrics;
  private readonly kafka: KafkaClient;

  private state: ProducerState = 'connecting';
  private stateSince = new Date();
  private lastError: ProducerHealth['lastError'];

  private lanes: Lane[] = [];
  private connecting: Promise<void> | undefined;
  private connected = false;

  private partitionCount = 0;
  private choose: Chooser | undefined;

  private depth = 0;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeDelay = PROBE_FIRST_MS;
  private nextProbeAt = 0;
  private batchMsAvg = 5;

  private closing: Promise<void> | undefined;
  private drainWaiters: (() => void)[] = [];

  constructor(options: EventProducerOptions, internals: EventProducerInternals = {}) {
    this.opts = resolveOptions(options);
    this.topic = this.opts.topic;
    const root = this.opts.logger ?? pino({ enabled: false });
    this.log = root.child({ component: 'producer' });
    this.metrics = safeMetrics(this.opts.metrics, this.log);
    if (options.partitionMap !== undefined && this.opts.strategy !== 'event-type') {
      this.log.warn('partitionMap is ignored: it applies to the event-type strategy only');
    }
    this.kafka =
      internals.kafka ??
      new Kafka({
        clientId: this.opts.clientId,
        brokers: [...this.opts.brokers],
        ssl: this.opts.ssl,
        // A copy: kafkajs caches its authentication provider on this object, and ours is frozen.
        sasl: this.opts.sasl ? ({ ...this.opts.sasl } as SASLOptions) : undefined,
        connectionTimeout: this.opts.connectionTimeoutMs,
        requestTimeout: this.opts.requestTimeoutMs,
        // Connection attempts inside one produce request; the request itself retries (produceRetryFor).
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
        logLevel: kafkaLogLevel(this.log),
        logCreator: kafkaLogCreator(this.log),
      });
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
    this.setState('connecting');
    const admin = this.kafka.admin({ retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } });
    try {
      try {
        await admin.connect();
      } catch (e) {
        throw this.connectError(e, 'connect');
      }
      this.partitionCount = await this.checkTopic(admin);
      this.choose = this.makeChooser(this.partitionCount);
      // A lane without a partition would never send anything.
      const count = Math.min(this.opts.batch.lanes, this.partitionCount);
      if (this.lanes.length !== count) {
        // Only after a failed connect() (the topic changed meanwhile): nothing is queued yet.
        for (const lane of this.lanes) lane.producer?.disconnect().catch(noop);
        this.lanes = Array.from({ length: count }, (_, index) => newLane(index));
      }
      try {
        await Promise.all(this.lanes.map((lane) => this.ensureProducer(lane)));
      } catch (e) {
        throw this.connectError(e, 'producer connect');
      }
      this.connected = true;
      this.setState('connected');
      this.log.info(
        { topic: this.topic, partitions: this.partitionCount, strategy: this.strategyName(), lanes: this.lanes.length },
        'producer connected',
      );
    } catch (e) {
      const error = isProducerError(e) ? e : classifyKafkaError(e, 'connect').error;
      this.noteError(error);
      this.setState('down');
      throw error;
    } finally {
      await admin.disconnect().catch(noop);
    }
  }

  private connectError(e: unknown, what: string): ProducerError {
    const { error } = classifyKafkaError(e, what);
    if (error.code === 'KAFKA_UNAVAILABLE' || error.code === 'CONNECTION_FAILED') {
      return new ProducerError(
        'CONNECTION_FAILED',
        `cannot connect to Kafka at ${this.opts.brokers.join(',')}: ${error.message}`,
        { cause: e, canRetry: error.canRetry },
      );
    }
    return error;
  }

  private async checkTopic(admin: Admin): Promise<number> {
    const topics = await admin.listTopics().catch((e: unknown) => {
      throw this.connectError(e, 'list topics');
    });
    if (!topics.includes(this.topic)) {
      const create = this.opts.createTopic;
      if (!create) {
        throw new ProducerError(
          'TOPIC_NOT_FOUND',
          `topic "${this.topic}" does not exist; create it (or set createTopic: { partitions })`,
        );
      }
      try {
        await admin.createTopics({
          topics: [
            { topic: this.topic, numPartitions: create.partitions, replicationFactor: create.replicationFactor },
          ],
          waitForLeaders: true,
        });
        this.log.info({ topic: this.topic, partitions: create.partitions }, 'topic created');
      } catch (e) {
        // Another instance may have created it meanwhile; the metadata below tells.
        if ((e as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw classifyKafkaError(e, 'create topic').error;
      }
    }
    let partitions: number;
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [this.topic] });
      partitions = meta.topics[0]?.partitions.length ?? 0;
    } catch (e) {
      throw classifyKafkaError(e, 'read topic metadata').error;
    }
    if (partitions < 1) throw new ProducerError('TOPIC_NOT_FOUND', `topic "${this.topic}" has no partitions`);
    const map = this.opts.partitionMap;
    if (this.opts.strategy === 'event-type' && map) {
      const problems = partitionMapProblems(map, partitions);
      if (problems.length > 0) {
        throw new ProducerError(
          'NOT_ENOUGH_PARTITIONS',
          `topic "${this.topic}" has ${partitions} partitions, the partition map needs ${partitionsNeeded(map)}: ${problems.join('; ')}`,
        );
      }
    }
    return partitions;
  }

  private strategyName(): string {
    return typeof this.opts.strategy === 'function' ? 'custom' : this.opts.strategy;
  }

  private makeChooser(partitionCount: number): Chooser {
    const strategy = this.opts.strategy;
    if (strategy === 'trace-id') return (event) => traceIdPartition(event, partitionCount);
    if (strategy === 'event-type') {
      const map: PartitionMap = this.opts.partitionMap ?? defaultPartitionMap(partitionCount);
      return (event) => {
        const set = map[event.metadata.event.type];
        if (!set) {
          throw new ProducerError('INVALID_EVENT', `unknown event type "${String(event.metadata.event.type)}"`);
        }
        return pickByKey(event.metadata.trace.traceId, set);
      };
    }
    return (event) => {
      let partition: number;
      try {
        partition = strategy(event, partitionCount);
      } catch (e) {
        throw new ProducerError('UNKNOWN', `custom partitioner threw: ${(e as Error)?.message ?? String(e)}`, {
          cause: e,
        });
      }
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
        throw new ProducerError(
          'UNKNOWN',
          `custom partitioner returned ${String(partition)}; expected an integer from 0 to ${partitionCount - 1}`,
        );
      }
      return partition;
    };
  }

  /**
   * Stops taking events (publish() then fails with CLOSED), delivers every event already taken (each one still
   * resolves or rejects; none is dropped silently), and disconnects.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    for (const lane of this.lanes) {
      if (lane.lingerTimer || lane.immediate) this.flushNow(lane);
      else if (!lane.inFlight && lane.queue.length > 0) this.flushNow(lane);
    }
    await this.drained(this.opts.publishTimeoutMs + this.opts.requestTimeoutMs);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.probeTimer = this.deadlineTimer = undefined;
    await this.connecting?.catch(noop);
    await Promise.all(
      this.lanes.map(async (lane) => {
        const producer = lane.producer ?? (await lane.producerReady?.catch(() => undefined));
        lane.producer = undefined;
        if (producer) await producer.disconnect().catch((err: unknown) => this.log.warn({ err }, 'disconnect failed'));
      }),
    );
    this.setState('closed');
    this.log.info('producer closed');
  }

  /** Resolves when nothing is queued or in flight (or after `maxMs`). */
  private drained(maxMs: number): Promise<void> {
    if (this.depth === 0 && !this.anyInFlight()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({ queueDepth: this.depth }, 'close: a produce request is still running; disconnecting');
        resolve();
      }, maxMs);
      this.drainWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private checkDrained(): void {
    if (this.depth === 0 && this.drainWaiters.length > 0 && !this.anyInFlight()) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  private anyInFlight(): boolean {
    for (const lane of this.lanes) if (lane.inFlight) return true;
    return false;
  }

  // ---------------------------------------------------------------- health

  health(): ProducerHealth {
    const h: ProducerHealth = { state: this.state, queueDepth: this.depth, since: this.stateSince };
    if (this.lastError) h.lastError = { ...this.lastError };
    return h;
  }

  private setState(state: ProducerState): void {
    if (this.state === state || this.state === 'closed') return;
    const previous = this.state;
    this.state = state;
    this.stateSince = new Date();
    this.metrics.connectionState(state);
    const fields = { from: previous, to: state, lastError: this.lastError?.message };
    if (state === 'down') this.log.error(fields, 'Kafka producer down');
    else if (state === 'degraded') this.log.warn(fields, 'Kafka producer degraded');
    else this.log.info(fields, `Kafka producer ${state}`);
  }

  private noteError(error: ProducerError): void {
    this.lastError = { code: error.code, message: error.message, at: new Date() };
  }

  // ---------------------------------------------------------------- publishing

  /** The partition publish() would choose for `event` (needs connect(): it depends on the topic's partitions). */
  partitionFor(event: EventMessage): number {
    if (!this.choose) {
      throw new ProducerError('KAFKA_UNAVAILABLE', 'partitionFor() needs connect() first: it depends on the topic');
    }
    return this.choose(event);
  }

  /**
   * Resolves once Kafka acknowledged the event with acks=-1; rejects with a ProducerError.
   * `options.createdAt` (epoch ms) replaces the publish time as `protocol.createdAt` and record timestamp: an
   * event delivered late (from the sidecar's spool) keeps the time it was accepted.
   */
  publish(event: EventMessage, options: PublishOptions = {}): Promise<PublishResult> {
    const refused = this.refusal();
    if (refused) return this.refuse(event, refused);
    let entry: Entry;
    try {
      entry = this.prepare(event, options.createdAt);
    } catch (e) {
      return this.refuse(event, isProducerError(e) ? e : classifyKafkaError(e).error);
    }
    return new Promise<PublishResult>((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
      this.enqueue(entry);
    });
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
    if (this.state === 'down') {
      return new ProducerError(
        'KAFKA_UNAVAILABLE',
        `Kafka is unavailable (${this.lastError?.message ?? 'last send failed'}); retrying the connection`,
        { retryAfterMs: Math.max(100, Math.ceil(this.nextProbeAt - Date.now())) },
      );
    }
    if (this.depth >= this.opts.batch.maxQueue) {
      return new ProducerError(
        'OVERLOADED',
        `the producer has ${this.depth} events awaiting Kafka (batch.maxQueue ${this.opts.batch.maxQueue})`,
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
    const batches = Math.ceil(this.depth / (this.opts.batch.maxEvents * Math.max(1, this.lanes.length)));
    return Math.min(5000, Math.max(10, Math.ceil(batches * this.batchMsAvg)));
  }

  private refuse(event: EventMessage, error: ProducerError): Promise<never> {
    const type = event?.metadata?.event?.type;
    if (typeof type === 'string') this.metrics.failed(type, error.code, 1);
    return Promise.reject(error);
  }

  private prepare(event: EventMessage, createdAt?: number): Entry {
    const now = createdAt ?? Date.now();
    const record = toKafkaRecord(event, now);
    const partition = this.choose!(event);
    let bytes = record.key.length + record.value.length + RECORD_OVERHEAD;
    for (const name in record.headers) bytes += name.length + record.headers[name]!.length + 2;
    if (bytes > this.opts.batch.maxBytes) {
      throw new ProducerError(
        'RECORD_TOO_LARGE',
        `the event takes ${bytes} bytes as a Kafka record; at most ${this.opts.batch.maxBytes} are accepted (batch.maxBytes)`,
      );
    }
    const startedAt = performance.now();
    return {
      type: event.metadata.event.type,
      message: { key: record.key, value: record.value, headers: record.headers, partition, timestamp: String(now) },
      bytes,
      startedAt,
      deadline: startedAt + this.opts.publishTimeoutMs,
      resolve: noop,
      reject: noop,
      done: false,
    };
  }

  private enqueue(entry: Entry): void {
    const lane = this.lanes[entry.message.partition % this.lanes.length]!;
    lane.queue.push(entry);
    lane.queuedBytes += entry.bytes;
    this.depth++;
    if (!this.deadlineTimer) this.armDeadline();
    this.scheduleFlush(lane);
  }

  // ---------------------------------------------------------------- batching

  private scheduleFlush(lane: Lane): void {
    // While a lane's request is in flight its next batch accumulates; the completion sends it (one request in
    // flight per lane keeps the order of each partition; kafkajs's idempotent producer sends one at a time anyway).
    if (lane.inFlight) return;
    const { maxEvents, maxBytes, lingerMs } = this.opts.batch;
    if (lane.queue.length >= maxEvents || lane.queuedBytes >= maxBytes) {
      this.flushNow(lane);
      return;
    }
    if (lane.lingerTimer || lane.immediate) return;
    if (lingerMs === 0) lane.immediate = setImmediate(() => this.flushNow(lane));
    else lane.lingerTimer = setTimeout(() => this.flushNow(lane), lingerMs);
  }

  private flushNow(lane: Lane): void {
    if (lane.lingerTimer) clearTimeout(lane.lingerTimer);
    if (lane.immediate) clearImmediate(lane.immediate);
    lane.lingerTimer = lane.immediate = undefined;
    if (lane.inFlight || lane.queue.length === 0) return;
    const { maxEvents, maxBytes } = this.opts.batch;
    const batch: Entry[] = [];
    let bytes = 0;
    while (batch.length < maxEvents) {
      const next = lane.queue.peek();
      if (!next || (batch.length > 0 && bytes + next.bytes > maxBytes)) break;
      lane.queue.shift();
      lane.queuedBytes -= next.bytes;
      batch.push(next);
      bytes += next.bytes;
    }
    lane.inFlight = batch;
    this.metrics.queueDepth(this.depth);
    void this.deliver(lane, batch, bytes).finally(() => {
      lane.inFlight = undefined;
      this.metrics.queueDepth(this.depth);
      if (lane.queue.length > 0) {
        // The events that gathered meanwhile have waited at least one round trip: send them at once.
        if (this.state === 'down') this.failQueued(undefined, [lane]);
        else this.flushNow(lane);
      }
      this.checkDrained();
    });
  }

  private async deliver(lane: Lane, batch: Entry[], bytes: number, attempt = 0): Promise<void> {
    const started = performance.now();
    try {
      const producer = await this.ensureProducer(lane);
      this.metrics.batchSize(batch.length, bytes);
      const acks = await producer.sendBatch({
        acks: -1,
        timeout: this.opts.requestTimeoutMs,
        topicMessages: [{ topic: this.topic, messages: batch.map((e) => e.message) }],
      });
      this.batchMsAvg = this.batchMsAvg * 0.8 + (performance.now() - started) * 0.2;
      this.settleAcked(batch, acks);
    } catch (e) {
      // The outcome of a failed request is unknown (kafkajs may have rolled back sequence numbers of records
      // the broker did store): the next request goes through a new producer, with a new producer id, so
      // that no other record can be mistaken by the broker for a duplicate of these.
      lane.producerStale = true;
      const { error, unreachable, producerState } = classifyKafkaError(e, 'publish');
      const live = batch.filter((x) => !x.done);
      if (producerState && attempt === 0 && live.length > 0) {
        // Nothing was written: send the same records once more, through the new producer.
        this.log.warn({ err: error }, 'the broker refused the producer state; resending through a new producer');
        await this.deliver(lane, live, bytes, attempt + 1);
        return;
      }
      if (error.code === 'RECORD_TOO_LARGE' && live.length > 1) {
        // One record (or the broker's limit) spoils the whole request: send the events one by one.
        this.log.warn({ events: live.length }, 'the broker refused a too large request; sending its events one by one');
        for (const entry of live) await this.deliver(lane, [entry], entry.bytes);
        return;
      }
      this.noteError(error);
      this.failEntries(live, error);
      if (unreachable) this.goDown(error);
      else if (this.state === 'connected') this.setState('degraded');
    }
  }

  private settleAcked(batch: Entry[], acks: RecordMetadata[]): void {
    const baseOffsets = new Map<number, string>();
    for (const ack of acks) {
      if (ack.topicName === this.topic && ack.baseOffset !== undefined) baseOffsets.set(ack.partition, ack.baseOffset);
    }
    const indexInPartition = new Map<number, number>();
    const now = performance.now();
    const counts = new Map<EventType, number>();
    for (const entry of batch) {
      const partition = entry.message.partition;
      const index = indexInPartition.get(partition) ?? 0;
      indexInPartition.set(partition, index + 1);
      if (entry.done) continue;
      const base = baseOffsets.get(partition);
      if (base === undefined) {
        this.failEntries(
          [entry],
          new ProducerError('KAFKA_ERROR', `Kafka acknowledged the request without partition ${partition}`),
        );
        continue;
      }
      entry.done = true;
      this.depth--;
      counts.set(entry.type, (counts.get(entry.type) ?? 0) + 1);
      this.metrics.publishLatency((now - entry.startedAt) / 1000);
      entry.resolve({ topic: this.topic, partition, offset: offsetAt(base, index) });
    }
    for (const [type, count] of counts) this.metrics.published(type, count);
    if (this.state !== 'connected') this.setState('connected');
  }

  private failEntries(entries: Entry[], error: ProducerError): void {
    const counts = new Map<EventType, number>();
    for (const entry of entries) {
      if (entry.done) continue;
      entry.done = true;
      this.depth--;
      counts.set(entry.type, (counts.get(entry.type) ?? 0) + 1);
      entry.reject(error);
    }
    for (const [type, count] of counts) this.metrics.failed(type, error.code, count);
  }

  // ---------------------------------------------------------------- kafkajs producer

  /** The lane's current kafkajs producer, replaced by a new connected one after a failed request. */
  private ensureProducer(lane: Lane): Promise<Producer> {
    if (lane.producer && !lane.producerStale) return Promise.resolve(lane.producer);
    lane.producerReady ??= this.replaceProducer(lane).finally(() => {
      lane.producerReady = undefined;
    });
    return lane.producerReady;
  }

  private async replaceProducer(lane: Lane): Promise<Producer> {
    const old = lane.producer;
    lane.producer = undefined;
    if (old) {
      // Nothing is in flight on it any more; its sockets may already be dead.
      old.disconnect().catch((err: unknown) => this.log.debug({ err }, 'disconnect of the replaced producer failed'));
    }
    const producer = this.kafka.producer({
      idempotent: this.opts.idempotent,
      allowAutoTopicCreation: false,
      // Each message carries the partition chosen by our strategy.
      createPartitioner: () => (args) => {
        const partition = args.message.partition;
        if (partition === undefined) throw new ProducerError('UNKNOWN', 'message without a partition');
        return partition;
      },
      retry: produceRetryFor(this.opts.publishTimeoutMs),
    });
    try {
      await producer.connect();
    } catch (e) {
      producer.disconnect().catch(noop);
      throw e;
    }
    lane.producer = producer;
    lane.producerStale = false;
    return producer;
  }

  // ---------------------------------------------------------------- outages

  /** The brokers are unreachable: refuse new events at once, fail the waiting ones, and probe until back. */
  private goDown(error: ProducerError): void {
    this.setState('down');
    this.failQueued(error);
    this.scheduleProbe();
  }

  private failQueued(cause?: ProducerError, lanes: Lane[] = this.lanes): void {
    const waiting: Entry[] = [];
    for (const lane of lanes) {
      for (const entry of lane.queue.drain()) waiting.push(entry);
      lane.queuedBytes = 0;
    }
    if (waiting.length === 0) return;
    this.failEntries(
      waiting,
      new ProducerError('KAFKA_UNAVAILABLE', `Kafka is unavailable: ${cause?.message ?? this.lastError?.message}`, {
        cause,
        retryAfterMs: this.probeDelay,
      }),
    );
  }

  private scheduleProbe(): void {
    if (this.probeTimer || this.closing) return;
    const delay = this.probeDelay;
    this.nextProbeAt = Date.now() + delay;
    this.probeTimer = setTimeout(() => void this.probe(), delay);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    this.probeTimer = undefined;
    if (this.closing || this.state !== 'down') return;
    // A new producer on one idle lane tells whether the brokers are back; the other lanes replace theirs (marked
    // stale by their failed request) on their next request. A lane with a request in flight keeps its producer.
    const lane = this.lanes.find((l) => !l.inFlight && !l.producerReady);
    if (!lane) {
      this.scheduleProbe();
      return;
    }
    try {
      lane.producerStale = true;
      await this.ensureProducer(lane);
      this.probeDelay = PROBE_FIRST_MS;
      this.setState('connected');
    } catch (e) {
      this.noteError(classifyKafkaError(e, 'reconnect').error);
      this.probeDelay = Math.min(this.probeDelay * 2, PROBE_MAX_MS);
      this.scheduleProbe();
    }
  }

  // ---------------------------------------------------------------- timeouts

  /** One timer, due at the earliest deadline of an unsettled event (each lane queues its events in deadline order). */
  private armDeadline(): void {
    const first = this.earliestPending();
    if (!first) return;
    const delay = Math.max(0, first.deadline - performance.now());
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      this.expire();
      this.armDeadline();
    }, Math.ceil(delay));
    // Kept referenced: a caller awaits each pending event, so the process must not exit before it settles.
  }

  private earliestPending(): Entry | undefined {
    let first: Entry | undefined;
    for (const lane of this.lanes) {
      const candidate = lane.inFlight?.find((entry) => !entry.done) ?? lane.queue.peek();
      if (candidate && (!first || candidate.deadline < first.deadline)) first = candidate;
    }
    return first;
  }

  private expire(): void {
    const now = performance.now();
    const late: Entry[] = [];
    for (const lane of this.lanes) {
      if (lane.inFlight) for (const entry of lane.inFlight) if (!entry.done && entry.deadline <= now) late.push(entry);
    }
    if (late.length > 0) {
      // Still in a produce request: Kafka may store them after all (a retry by the caller may duplicate).
      const error = new ProducerError(
        'PUBLISH_TIMEOUT',
        `Kafka did not confirm the event within ${this.opts.publishTimeoutMs} ms; it may still be stored`,
        { retryAfterMs: 1000 },
      );
      this.noteError(error);
      this.failEntries(late, error);
      if (this.state === 'connected') this.setState('degraded');
    }
    const waited: Entry[] = [];
    for (const lane of this.lanes) {
      while (lane.queue.length > 0 && lane.queue.peek()!.deadline <= now) {
        const entry = lane.queue.shift()!;
        lane.queuedBytes -= entry.bytes;
        waited.push(entry);
      }
    }
    if (waited.length > 0) {
      this.failEntries(
        waited,
        new ProducerError(
          'PUBLISH_TIMEOUT',
          `the event waited ${this.opts.publishTimeoutMs} ms for its turn and was not sent`,
          { retryAfterMs: 1000 },
        ),
      );
    }
    this.checkDrained();
  }
}
