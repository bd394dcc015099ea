// The user's metric hooks as the producer calls them: every hook present, none able to break publishing.
import type { Logger } from 'pino';
import type { EventType } from '@event-sidecar/contract';
import type { ProducerErrorCode } from './errors.js';
import type { ProducerState } from './status.js';

/** Filled by the sidecar with prom-client; every method is optional. */
export interface ProducerMetrics {
  /** `topic`: where they were written (with topicStrategy 'per-type', one topic per type). */
  published(type: EventType, count: number, topic: string): void;
  failed(type: EventType, code: ProducerErrorCode, count: number): void;
  /** From the publish() call to the broker's acknowledgement, per event. */
  publishLatency(seconds: number): void;
  /** Per produce request. */
  batchSize(events: number, bytes: number): void;
  queueDepth(depth: number): void;
  connectionState(state: ProducerState): void;
}

function noop(): void {}

/** Wraps the user's metric hooks: a missing hook is a no-op and a throwing one never breaks publishing. */
export function safeMetrics(metrics: Partial<ProducerMetrics>, log: Logger): ProducerMetrics {
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
