// The producer's state as health() reports it: each change logged and counted once.
import type { EventType } from '@event-sidecar/contract';
import type { Logger } from 'pino';
import type { ProducerError, ProducerErrorCode } from './errors.js';
import type { ProducerMetrics } from './metrics.js';

export type ProducerState = 'connecting' | 'connected' | 'degraded' | 'down' | 'closed';

export interface ProducerHealth {
  state: ProducerState;
  lastError?: { code: ProducerErrorCode; message: string; at: Date };
  /** Events taken but not yet confirmed or failed. */
  queueDepth: number;
  /** When `state` was entered. */
  since: Date;
  /** After connect(): each topic written to, with its partition count and the event types it carries. */
  topics?: TopicHealth[];
}

export interface TopicHealth {
  topic: string;
  partitions: number;
  types: EventType[];
}

export class ProducerStatus {
  state: ProducerState = 'connecting';
  private since = new Date();
  lastError: ProducerHealth['lastError'];

  constructor(
    private readonly metrics: ProducerMetrics,
    private readonly log: Logger,
  ) {}

  /** Enters `state`; 'closed' is final. */
  set(state: ProducerState): void {
    if (this.state === state || this.state === 'closed') return;
    const previous = this.state;
    this.state = state;
    this.since = new Date();
    this.metrics.connectionState(state);
    const fields = { from: previous, to: state, lastError: this.lastError?.message };
    if (state === 'down') this.log.error(fields, 'Kafka producer down');
    else if (state === 'degraded') this.log.warn(fields, 'Kafka producer degraded');
    else this.log.info(fields, `Kafka producer ${state}`);
  }

  /** A request that worked failed: degraded, unless already worse. */
  degrade(): void {
    if (this.state === 'connected') this.set('degraded');
  }

  noteError(error: ProducerError): void {
    this.lastError = { code: error.code, message: error.message, at: new Date() };
  }

  snapshot(queueDepth: number): ProducerHealth {
    const h: ProducerHealth = { state: this.state, queueDepth, since: this.since };
    if (this.lastError) h.lastError = { ...this.lastError };
    return h;
  }
}
