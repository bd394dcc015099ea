// The user's metric hooks as the producer calls them: every hook present, none able to break publishing.
import type { Logger } from 'pino';
import type { ProducerMetrics } from './options.js';

export function noop(): void {}

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
