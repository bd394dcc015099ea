// What every transport is to the sidecar, and the one health policy they all report. A leaf: it imports
// types only, so the transports and the sidecar that assembles them both depend on it, never on each other.
import type { HealthStatus, ServiceHealth } from '@event-sidecar/contract';
import type { ProducerState } from '@event-sidecar/producer';

/** A server the sidecar starts after Kafka is reachable and stops before flushing the producer. */
export interface Transport {
  readonly name: string;
  start(): Promise<void>;
  /** Stop taking work and finish what is in flight; must resolve by `deadline` (epoch ms) or soon after. */
  close(deadline: number): Promise<void>;
  /** Shutdown began: answers still being computed close their connection once sent. */
  quiesce?(): void;
  /** True while clients still hold connections open (the drain waits for them to go, or for its bound). */
  busy?(): Promise<boolean>;
}

/**
 * The health policy: with a spool, a Kafka that is down (or not connected yet) means degraded, not down,
 * since events are still taken (onto disk) and delivered later. gRPC health reports this state.
 */
export function acceptingState(state: ProducerState, spooled: boolean): ProducerState {
  return spooled && (state === 'down' || state === 'connecting') ? 'degraded' : state;
}

/**
 * The health body's status and HTTP status, by the same policy: with a spool the sidecar is DEGRADED
 * (200), not DOWN, while Kafka is down and while spooled events wait for delivery.
 */
export function overallHealth(kafka: ServiceHealth, spool?: ServiceHealth): { status: HealthStatus; http: number } {
  if (!spool) return { status: kafka.status, http: kafka.status === 'DOWN' ? 502 : 200 };
  if (kafka.status === 'OK' && spool.status === 'OK') return { status: 'OK', http: 200 };
  return { status: 'DEGRADED', http: 200 };
}
