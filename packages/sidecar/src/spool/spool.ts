// The durable local spool: while Kafka cannot take events, valid events are kept on disk (SQLite, WAL)
// and answered 202 / `accepted`; a replayer delivers them, oldest first, once Kafka is back.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EventMessage } from '@event-sidecar/contract';
import { isProducerError } from '@event-sidecar/producer';
import type { ReplayPublisher } from '../producer-views.js';
import { lockSpoolDir } from './lock.js';
import { createSpoolMetrics } from './metrics.js';
import { Replayer } from './replayer.js';
import { SpoolStore, type SpoolStats, type SpoolSync } from './store.js';

export interface SpoolConfig {
  readonly dir: string;
  readonly maxBytes: number;
  readonly lingerMs: number;
  readonly sync: SpoolSync;
  /** How long a reason that may clear may keep failing an event before it becomes a dead letter; default 60 s. */
  readonly deadLetterAfterMs?: number;
}

/**
 * Why an event went to the spool: Kafka could not take it, its trace had spooled events, the spool held events
 * (it goes behind them), or for load.
 */
export type SpoolReason = 'kafka' | 'trace' | 'behind' | 'busy' | 'overloaded';

/**
 * Producer failures that mean "Kafka is away", after which the event is spooled: unreachable, not
 * confirmed in time, or refused for a retriable reason. Not CLOSED (shutdown: the spool closes too), and
 * never an invalid or too large event. OVERLOADED (the producer's queue is full) is no outage, and a start
 * does not wait for it; the ingress spools such an event for load instead (delivery.ts).
 */
export function shouldSpool(error: unknown): boolean {
  if (!isProducerError(error)) return false;
  switch (error.code) {
    case 'KAFKA_UNAVAILABLE':
    case 'PUBLISH_TIMEOUT':
    case 'TOPIC_NOT_FOUND':
      return true;
    // Refused credentials are CONNECTION_FAILED too, but not retriable: waiting would not cure them.
    case 'CONNECTION_FAILED':
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
  /**
   * True while the spool holds a backlog of an outage: events spooled because Kafka was away (or left by an earlier
   * run), not yet all delivered. New events go behind it until it is empty. Events spooled for load alone make none.
   */
  readonly backlog: boolean;
  /** Resolves once the event is on disk; rejects with SPOOL_FULL / SPOOL_FAILED. */
  append(event: EventMessage, acceptedAt: number, reason?: SpoolReason): Promise<void>;
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
  /** True while the producer knows Kafka is away: the replay waits rather than fail rounds. */
  kafkaDown?: () => boolean;
  logger: Logger;
  registry: Registry;
  prefix?: string;
}

/** Bytes the files of the spool's directory take (the database, its WAL, the lock, any damaged copy). */
function bytesOnDisk(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    try {
      const stat = statSync(join(dir, name));
      if (stat.isFile()) total += stat.size;
    } catch {
      // Gone between the listing and the stat (SQLite's -shm or journal): nothing to count.
    }
  }
  return total;
}

export function createSpool(config: SpoolConfig, deps: SpoolDeps): Spool {
  // Claimed before the store opens: a spool another sidecar holds is not read, let alone replayed.
  const lock = lockSpoolDir(config.dir);
  const logger = deps.logger.child({ component: 'spool' });
  const prefix = deps.prefix ?? 'event_sidecar_';
  // Made before the store, which reports damaged records as it opens; the gauges read it at scrapes only.
  const metrics = createSpoolMetrics(deps.registry, prefix, () => store.stats());
  let store: SpoolStore;
  try {
    store = openStore();
  } catch (err) {
    lock.release();
    throw err;
  }
  function openStore(): SpoolStore {
    return new SpoolStore({
      dir: config.dir,
      maxBytes: config.maxBytes,
      lingerMs: config.lingerMs,
      sync: config.sync,
      onUnreadable: (count, reason) => {
        metrics.unreadable(count);
        logger.error({ unreadable: count, reason }, 'spool records could not be read and were dropped');
      },
      onDamaged: (fault) => {
        metrics.damaged();
        if (fault.repaired) logger.error({ dir: config.dir, fault: fault.message }, 'spool damaged: rebuilt in place');
        else
          logger.error(
            { dir: config.dir, fault: fault.message },
            'spool damaged: events that need it are refused until it is rebuilt',
          );
      },
    });
  }
  const replayer = new Replayer({
    store,
    producer: deps.producer,
    logger,
    ...(deps.kafkaDown ? { kafkaDown: deps.kafkaDown } : {}),
    ...(config.deadLetterAfterMs === undefined ? {} : { deadLetterAfterMs: config.deadLetterAfterMs }),
    onReplayed: (count) => metrics.replayed(count),
    onDrained: () => {
      backlog = false;
      const { deadLetters } = store.stats();
      if (deadLetters === 0) logger.info('spool drained: every spooled event is on Kafka');
      else
        logger.info(
          { deadLetters },
          'spool drained: every spooled event is on Kafka but the dead letters (see `event-sidecar dead-letters`)',
        );
    },
    onDeadLetter: ({ event, acceptedAt }, why) => {
      metrics.deadLettered(why.code);
      logger.warn(
        {
          eventId: event.id,
          traceId: event.metadata.trace.traceId,
          type: event.metadata.event.type,
          acceptedAt: new Date(acceptedAt).toISOString(),
          code: why.code,
          reason: why.reason,
        },
        'spooled event moved to the dead letters: Kafka will not take it (see `event-sidecar dead-letters`)',
      );
    },
  });
  const initial = store.stats();
  // The one line that says where this run keeps events, and what an earlier run left there to replay.
  logger.info(
    { dir: config.dir, bytesOnDisk: bytesOnDisk(config.dir), events: initial.events, eventBytes: initial.bytes },
    'spool opened',
  );
  let closing: Promise<void> | undefined;
  // What an earlier run left was spooled while Kafka was away, most likely: a backlog to deliver first.
  let backlog = initial.events > 0;

  return {
    store,
    holds: (event) => store.holds(event.metadata.trace.traceId),
    get backlog() {
      if (backlog && !store.active) backlog = false;
      return backlog;
    },
    async append(event, acceptedAt, reason = 'kafka') {
      if (reason === 'kafka') backlog = true;
      await store.append(event, acceptedAt);
      metrics.spooled(reason);
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
        lock.release();
      })();
      return closing;
    },
  };
}
