// The durable local spool: while Kafka cannot take events, valid events are kept on disk (SQLite, WAL)
// and answered 202 / `accepted`; a replayer delivers them, oldest first, once Kafka is back.
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EventMessage } from '@event-sidecar/contract';
import { isProducerError } from '@event-sidecar/producer';
import type { ReplayPublisher } from '../producer-views.js';
import { createSpoolMetrics } from './metrics.js';
import { Replayer } from './replayer.js';
import { SpoolStore, type SpoolStats, type SpoolSync } from './store.js';

export {
  SpoolStore,
  SPOOL_FILE,
  type SpoolStoreOptions,
  type SpooledEvent,
  type SpoolStats,
  type SpoolSync,
} from './store.js';
export { Replayer, type ReplayerOptions } from './replayer.js';

export interface SpoolConfig {
  readonly dir: string;
  readonly maxBytes: number;
  readonly lingerMs: number;
  readonly sync: SpoolSync;
}

/**
 * Producer failures that mean "Kafka is away", after which the event is spooled: unreachable, not
 * confirmed in time, or refused for a retriable reason. Not OVERLOADED (the sidecar is too slow, not Kafka
 * gone: spooling would only move the queue to disk), not CLOSED (shutdown: the spool closes too), and
 * never an invalid or too large event.
 */
export function shouldSpool(error: unknown): boolean {
  if (!isProducerError(error)) return false;
  switch (error.code) {
    case 'KAFKA_UNAVAILABLE':
    case 'PUBLISH_TIMEOUT':
    case 'CONNECTION_FAILED':
    case 'TOPIC_NOT_FOUND':
      return true;
    case 'KAFKA_ERROR':
      return error.canRetry;
    default:
      return false;
  }
}

export interface Spool {
  readonly store: SpoolStore;
  /** True when events of this trace are spooled: a new one goes behind them. */
  holds(event: EventMessage): boolean;
  /** Resolves once the event is on disk; rejects with SPOOL_FULL / SPOOL_FAILED. */
  append(event: EventMessage, acceptedAt: number): Promise<void>;
  stats(): SpoolStats;
  /** Starts delivering (after the producer connected). */
  start(): void;
  /**
   * Stops the replayer (finishing its round, or not past `deadline`, epoch ms), then commits and closes the
   * store. Events of an unfinished round stay spooled and are sent again by the next run.
   */
  close(deadline?: number): Promise<void>;
}

export interface SpoolDeps {
  producer: ReplayPublisher;
  logger: Logger;
  registry: Registry;
  prefix?: string;
}

export function createSpool(config: SpoolConfig, deps: SpoolDeps): Spool {
  const logger = deps.logger.child({ component: 'spool' });
  const prefix = deps.prefix ?? 'event_sidecar_';
  // Made before the store, which reports damaged records as it opens; the gauges read it at scrapes only.
  const metrics = createSpoolMetrics(deps.registry, prefix, () => store.stats());
  mkdirSync(config.dir, { recursive: true });
  const store = new SpoolStore({
    dir: config.dir,
    maxBytes: config.maxBytes,
    lingerMs: config.lingerMs,
    sync: config.sync,
    onUnreadable: (count, reason) => {
      metrics.unreadable(count);
      logger.error({ unreadable: count, reason }, 'spool records could not be read and were dropped');
    },
  });
  const replayer = new Replayer({
    store,
    producer: deps.producer,
    logger,
    onReplayed: (count) => {
      metrics.replayed(count);
      const left = store.stats().events;
      if (left === 0) logger.info('spool drained: every spooled event is on Kafka');
    },
  });
  const initial = store.stats();
  logger.info({ dir: config.dir, events: initial.events, bytes: initial.bytes }, 'spool opened');
  let closing: Promise<void> | undefined;

  return {
    store,
    holds: (event) => store.holds(event.metadata.trace.traceId),
    async append(event, acceptedAt) {
      await store.append(event, acceptedAt);
      metrics.spooled();
    },
    stats: () => store.stats(),
    start: () => replayer.start(),
    close(deadline) {
      closing ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const bound =
          deadline === undefined
            ? new Promise<never>(() => undefined)
            : new Promise<void>((resolve) => {
                timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
              });
        await Promise.race([replayer.stop(), bound]).finally(() => clearTimeout(timer));
        store.close();
      })();
      return closing;
    },
  };
}
