// Admission: whether the sidecar takes a request now, decided in one place for every transport and both
// HTTP paths. Refusals here come before a body is read: while shutting down (503, the connection closes),
// while the event bodies already being handled reach MAX_IN_FLIGHT_BYTES (429: the sidecar's memory), while
// the producer's queue is full (429, batches only), and without a spool while the event loop runs late (503
// BUSY). With a spool a late event loop is no refusal: the ingress spools what it would have shed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProducerError } from '@event-sidecar/producer';
import type { SidecarConfig } from './config.js';
import { SidecarError } from './errors.js';
import { earlyAnswer, sendEarlyAnswer } from './http/answers.js';
import { createLoadMonitor } from './load-monitor.js';
import type { SidecarMetrics } from './metrics.js';
import type { HealthSource } from './producer-views.js';

export interface Admission {
  /** True while the event loop's delay exceeds MAX_EVENT_LOOP_DELAY_MS: events are refused BUSY, or with a spool spooled. */
  busy(): boolean;
  /** True once shutdown began; each call counts as a refusal, which keeps the drain going. */
  refusing(): boolean;
  /** True once shutdown began (without counting a refusal). */
  readonly closing: boolean;
  /** When a request was last refused for the shutdown (epoch ms; 0: never). */
  readonly lastRefusedAt: number;
  /**
   * Takes an HTTP request, or answers it at once and returns false: no routing, no body read, no log
   * line, a body built once; the connection stays open (but for shutdown), since a client that
   * reconnects costs more than one that waits. Unread, its events are counted once, with type "unknown".
   */
  admitHttp(req: IncomingMessage, res: ServerResponse): boolean;
  /** Shutdown begins: every request from now on is refused. */
  shutDown(): void;
  /** Stops measuring the event loop. */
  close(): void;
}

export interface AdmissionDeps {
  config: SidecarConfig;
  /** Its queue depth, for batches while the queue is full. */
  producer: HealthSource;
  metrics: SidecarMetrics;
  /**
   * With a spool, an event that would be refused for a late event loop is spooled instead, so that is no reason
   * to refuse a request unread.
   */
  spooled: boolean;
}

/** POST /events, the batch route (with or without a query). */
const isBatchRoute = (url: string | undefined): boolean => url === '/events' || url?.startsWith('/events?') === true;

export function createAdmission(deps: AdmissionDeps): Admission {
  const { config, producer, metrics, spooled } = deps;
  const loadMonitor = createLoadMonitor(config.http.maxEventLoopDelayMs);
  const shuttingDown = earlyAnswer(new SidecarError('SHUTTING_DOWN', 'shutting down'), { close: true });
  const busy = earlyAnswer(new SidecarError('BUSY', 'overloaded'), { close: false });
  const queueFull = earlyAnswer(new ProducerError('OVERLOADED', 'the producer queue is full', { retryAfterMs: 1000 }), {
    close: false,
  });
  let closing = false;
  let lastRefusedAt = 0;
  // Bodies being read, parsed, validated and published at once: what a crowd of clients costs in
  // memory, bounded by MAX_IN_FLIGHT_BYTES. A request alone is always taken.
  let inFlightBytes = 0;
  const { maxInFlightBytes, maxBodyBytes } = config.http;

  const refusing = (): boolean => {
    if (closing) lastRefusedAt = Date.now();
    return closing;
  };

  /** Takes `bytes` of in-flight budget until the answer ends, or returns false when none is left. */
  const reserve = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (maxInFlightBytes <= 0) return true;
    const declared = Number(req.headers['content-length']);
    const bytes = Number.isSafeInteger(declared) && declared >= 0 ? declared : maxBodyBytes;
    if (inFlightBytes > 0 && inFlightBytes + bytes > maxInFlightBytes) return false;
    inFlightBytes += bytes;
    res.once('close', () => (inFlightBytes -= bytes));
    return true;
  };

  const refuse = (req: IncomingMessage, res: ServerResponse, code: string, answer: typeof busy): false => {
    metrics.failed('unknown', 'http', code);
    sendEarlyAnswer(req, res, answer, 0);
    return false;
  };

  return {
    busy: () => loadMonitor.overloaded(),
    refusing,
    get closing() {
      return closing;
    },
    get lastRefusedAt() {
      return lastRefusedAt;
    },
    admitHttp(req, res) {
      if (refusing()) {
        sendEarlyAnswer(req, res, shuttingDown, maxBodyBytes);
        return false;
      }
      // Only event requests carry bodies worth refusing; probes and scrapes are always answered.
      if (req.method !== 'POST') return true;
      // With a spool an event of a late event loop is read and spooled instead (ingress): the SDK drops a refusal.
      if (!spooled && loadMonitor.overloaded()) return refuse(req, res, 'BUSY', busy);
      // A single event is not refused for a full queue: it costs little, and the producer counts it by its type (with
      // a spool it is spooled). A batch is, spool or not: spooling batches of a bulk sender that Kafka cannot keep
      // up with would only move the backlog into the sidecar's memory and disk; it is told 429 before it is read.
      if (isBatchRoute(req.url) && producer.health().queueDepth >= config.producer.maxQueue)
        return refuse(req, res, 'OVERLOADED', queueFull);
      if (!reserve(req, res)) return refuse(req, res, 'OVERLOADED', queueFull);
      return true;
    },
    shutDown() {
      closing = true;
    },
    close: () => loadMonitor.close(),
  };
}
