// The spool's Prometheus metrics: what was written, delivered and dropped, and gauges of what it holds,
// read from the store's figures when scraped.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SpoolStats } from './store.js';

export interface SpoolMetrics {
  /** Damaged records found and dropped. */
  unreadable(count: number): void;
  /** Spooled events delivered to Kafka. */
  replayed(count: number): void;
  /** One event written to the spool; `busy` and `overloaded` are counted apart too (spooled instead of refused). */
  spooled(reason: 'kafka' | 'trace' | 'behind' | 'busy' | 'overloaded'): void;
  /** One spooled event moved to the dead letters, by the producer's error code. */
  deadLettered(code: string): void;
  /** The spool's file found damaged while running. */
  damaged(): void;
}

/** `stats` is read at each scrape (the store may open after the metrics are made). */
export function createSpoolMetrics(registry: Registry, prefix: string, stats: () => SpoolStats): SpoolMetrics {
  const registers = [registry];
  const unreadable = new Counter({
    name: prefix + 'spool_unreadable_total',
    help: 'Spooled records found damaged and dropped',
    registers,
  });
  const replayed = new Counter({
    name: prefix + 'spool_replayed_total',
    help: 'Spooled events delivered to Kafka',
    registers,
  });
  const spooled = new Counter({
    name: prefix + 'events_spooled_total',
    help: 'Events written to the spool',
    registers,
  });
  const forLoad = new Counter({
    name: prefix + 'events_spooled_for_load_total',
    help: 'Events spooled instead of refused while the sidecar was overloaded (busy: event loop late; overloaded: producer queue full)',
    labelNames: ['reason'],
    registers,
  });
  const deadLettered = new Counter({
    name: prefix + 'spool_dead_letters_total',
    help: 'Spooled events moved to the dead letters (Kafka will not take them), by error code',
    labelNames: ['code'],
    registers,
  });
  const damaged = new Counter({
    name: prefix + 'spool_damaged_total',
    help: 'Times the spool file was found damaged, deleted or replaced while running',
    registers,
  });
  new Gauge({
    name: prefix + 'spool_dead_letters',
    help: 'Dead letters held in the spool (list them with `event-sidecar dead-letters list`)',
    registers,
    collect() {
      this.set(stats().deadLetters);
    },
  });
  new Gauge({
    name: prefix + 'spool_events',
    help: 'Events in the spool awaiting Kafka',
    registers,
    collect() {
      this.set(stats().events);
    },
  });
  new Gauge({
    name: prefix + 'spool_bytes',
    help: 'Bytes of events in the spool',
    registers,
    collect() {
      this.set(stats().bytes);
    },
  });
  new Gauge({
    name: prefix + 'spool_oldest_age_seconds',
    help: 'Age of the oldest spooled event (0 when empty)',
    registers,
    collect() {
      const oldest = stats().oldestAcceptedAt;
      this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
    },
  });
  return {
    unreadable: (count) => unreadable.inc(count),
    replayed: (count) => replayed.inc(count),
    spooled: (reason) => {
      spooled.inc();
      if (reason === 'busy' || reason === 'overloaded') forLoad.inc({ reason });
    },
    deadLettered: (code) => deadLettered.inc({ code }),
    damaged: () => damaged.inc(),
  };
}
