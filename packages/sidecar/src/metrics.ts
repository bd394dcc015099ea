// Prometheus metrics on a Registry the caller creates and passes in (no global default registry):
// several sidecars in one process (tests) or a gRPC server added later share or separate them
// as they choose. The producer reports through the ProducerMetrics hooks built here.
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { EVENT_TYPES, type EventType } from '@event-sidecar/contract';
import type { ProducerMetrics, ProducerState } from '@event-sidecar/producer';

export type TransportName = 'http' | 'grpc';
/** Event-type label: the contract's types, or `unknown` for a body too broken to tell. */
export type EventTypeLabel = EventType | 'unknown';

const PRODUCER_STATES: readonly ProducerState[] = ['connecting', 'connected', 'degraded', 'down', 'closed'];

/** The label for any value that claims to be an event; bounded, so a client cannot explode cardinality. */
export function eventTypeLabel(value: unknown): EventTypeLabel {
  const type = (value as { metadata?: { event?: { type?: unknown } } } | null)?.metadata?.event?.type;
  return typeof type === 'string' && (EVENT_TYPES as readonly string[]).includes(type)
    ? (type as EventType)
    : 'unknown';
}

export interface SidecarMetrics {
  readonly registry: Registry;
  received(type: EventTypeLabel, transport: TransportName, count?: number): void;
  published(type: EventTypeLabel, transport: TransportName, count?: number): void;
  rejected(type: EventTypeLabel, transport: TransportName, count?: number): void;
  failed(type: EventTypeLabel, transport: TransportName, code: string, count?: number): void;
  /**
   * One event request answered in front of express (http/fast-path.ts): with the request count, it shows
   * how much of the traffic takes the cheap path (a client sending chunked bodies never does).
   */
  fastPath(route: 'event' | 'events'): void;
  /** Events in one batch request (`POST /events`, or a gRPC stream later). */
  requestBatch(transport: TransportName, events: number): void;
  /**
   * Hooks for EventProducer's `metrics` option. Published and failed events are counted by the
   * transports (they know the transport label); here the producer-side figures, and records per topic.
   */
  readonly producer: Partial<ProducerMetrics>;
}

/**
 * A labelled counter counted in plain numbers on the hot path and added to prom-client's counter when the registry
 * is read (its `collect`): prom-client hashes and checks the labels of every `inc`, about a microsecond, several
 * times per event. Returns the hot path's `add(key, labels, n)`: `key` names the label values, `labels` makes them
 * on a key's first use.
 */
export function talliedCounter<L extends string>(config: {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: Registry[];
}): (key: string, labels: () => Record<L, string>, n: number) => void {
  const tallies = new Map<string, { labels: Record<L, string>; n: number }>();
  new Counter<L>({
    ...config,
    collect() {
      for (const tally of tallies.values()) {
        if (tally.n === 0) continue;
        this.inc(tally.labels, tally.n);
        tally.n = 0;
      }
    },
  });
  return (key, labels, n) => {
    const tally = tallies.get(key);
    if (tally) tally.n += n;
    else tallies.set(key, { labels: labels(), n });
  };
}

/** How often the event loop delay histogram samples the loop. */
const EVENT_LOOP_SAMPLE_MS = 250;

export interface MetricsOptions {
  /** Prefix of every metric name; default `event_sidecar_`. */
  prefix?: string;
  /** Collect prom-client's default process metrics into the registry; default true. */
  processMetrics?: boolean;
}

export function createMetrics(registry: Registry, options: MetricsOptions = {}): SidecarMetrics {
  const prefix = options.prefix ?? 'event_sidecar_';
  const registers = [registry];
  // prom-client samples the event loop delay with a 10 ms timer by default: a hundred wake-ups a second in a
  // sidecar that has nothing to do, most of its idle CPU. Four samples a second still show a stalled loop.
  if (options.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }

  const eventCounter = (name: string, help: string) =>
    talliedCounter({ name: prefix + name, help, labelNames: ['type', 'transport'], registers });
  const received = eventCounter('events_received_total', 'Events received, valid or not');
  const published = eventCounter('events_published_total', 'Events Kafka acknowledged');
  const rejected = eventCounter('events_rejected_total', 'Events refused because they break the contract');
  const failed = new Counter({
    name: prefix + 'events_failed_total',
    help: 'Valid events that could not be published',
    labelNames: ['type', 'transport', 'code'],
    registers,
  });
  const requestBatch = new Histogram({
    name: prefix + 'request_batch_events',
    help: 'Events per batch request',
    labelNames: ['transport'],
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers,
  });
  const latency = new Histogram({
    name: prefix + 'publish_latency_seconds',
    help: 'Time from publish to Kafka acknowledgement, per event',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const kafkaBatchEvents = new Histogram({
    name: prefix + 'kafka_batch_events',
    help: 'Events per produce request sent to Kafka',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers,
  });
  const kafkaBatchBytes = new Histogram({
    name: prefix + 'kafka_batch_bytes',
    help: 'Bytes per produce request sent to Kafka',
    buckets: [1024, 4096, 16384, 65536, 262144, 1048576, 4194304],
    registers,
  });
  const kafkaRecords = new Counter({
    name: prefix + 'kafka_records_total',
    help: 'Records Kafka acknowledged, per topic and event type',
    labelNames: ['topic', 'type'],
    registers,
  });
  const queueDepth = new Gauge({
    name: prefix + 'producer_queue_depth',
    help: 'Events taken by the producer and not yet acknowledged by Kafka',
    registers,
  });
  const connectionState = new Gauge({
    name: prefix + 'kafka_connection_state',
    help: 'Producer connection state: 1 for the current state, 0 for the others',
    labelNames: ['state'],
    registers,
  });
  const fastPath = new Counter({
    name: prefix + 'http_fast_path_requests_total',
    help: 'HTTP event requests answered in front of express',
    labelNames: ['route'],
    registers,
  });
  // Bound once: the hot path pays no label lookup.
  const fastPathEvent = fastPath.labels({ route: 'event' });
  const fastPathEvents = fastPath.labels({ route: 'events' });
  for (const state of PRODUCER_STATES) connectionState.set({ state }, state === 'connecting' ? 1 : 0);

  return {
    registry,
    received: (type, transport, count = 1) => received(type + ' ' + transport, () => ({ type, transport }), count),
    published: (type, transport, count = 1) => published(type + ' ' + transport, () => ({ type, transport }), count),
    rejected: (type, transport, count = 1) => rejected(type + ' ' + transport, () => ({ type, transport }), count),
    failed: (type, transport, code, count = 1) => failed.inc({ type, transport, code }, count),
    fastPath: (route) => (route === 'event' ? fastPathEvent : fastPathEvents).inc(),
    requestBatch: (transport, events) => requestBatch.observe({ transport }, events),
    producer: {
      published: (type, count, topic) => kafkaRecords.inc({ topic, type }, count),
      publishLatency: (seconds: number) => latency.observe(seconds),
      batchSize: (events: number, bytes: number) => {
        kafkaBatchEvents.observe(events);
        kafkaBatchBytes.observe(bytes);
      },
      queueDepth: (depth: number) => queueDepth.set(depth),
      connectionState: (current: ProducerState) => {
        for (const state of PRODUCER_STATES) connectionState.set({ state }, state === current ? 1 : 0);
      },
    },
  };
}
