// The one health policy: `GET /health` and grpc.health.v1 both ask it, with the same inputs (the producer's state,
// a TCP probe of the brokers, the spool's figures and faults) and get the same answer. The producer learns of an
// outage only from a failing request, so an idle sidecar would report a stopped Kafka as healthy without the probe.
//
//   Kafka   spool                                   status     HTTP  gRPC
//   OK      none, or empty                          OK         200   SERVING
//   OK      holding events (replay under way)       DEGRADED   200   SERVING
//   DOWN    none                                    DOWN       502   NOT_SERVING
//   DOWN    usable (events are spooled)             DEGRADED   200   SERVING
//   any     damaged and not rebuilt (appends fail)  DEGRADED   200   SERVING     while Kafka takes events
//   DOWN    damaged and not rebuilt                 DOWN       502   NOT_SERVING nothing can take an event
//
// Dead letters do not change the status: they are parked, named in a warning, counted in the spool's entry and
// in `/metrics`; the spool they left is free again.
import type { HealthStatus, ServiceHealth } from '@event-sidecar/contract';
import type { ProducerHealth } from '@event-sidecar/producer';
import type { BrokerProbe, ProbeResult } from './broker-probe.js';
import type { HealthSource } from './producer-views.js';
import type { SpoolStats } from './spool/store.js';

export interface HealthInputs {
  readonly producer: ProducerHealth;
  /** The brokers' TCP probe, when there is one. */
  readonly probe?: ProbeResult;
  /** The spool's figures; undefined with SPOOL_DIR=off. */
  readonly spool?: SpoolStats;
}

export interface HealthAnswer {
  readonly status: HealthStatus;
  /** The status code of `GET /health`: 200 while events are taken, 502 when none can be. */
  readonly http: 200 | 502;
  /** grpc.health.v1: SERVING while events are taken. */
  readonly serving: boolean;
  /** `kafka`, then `spool` when there is one. */
  readonly services: ServiceHealth[];
}

/**
 * Kafka's entry: DOWN when the producer is not connected or no broker answers the probe; DEGRADED when its last
 * request failed or was slow.
 */
export function kafkaHealth(health: ProducerHealth, probe?: ProbeResult): ServiceHealth {
  if (probe && !probe.reachable) {
    return {
      name: 'kafka',
      status: 'DOWN',
      lastError: `KAFKA_UNAVAILABLE: ${probe.error}`,
      lastErrorAt: probe.at.toISOString(),
    };
  }
  const status: HealthStatus = health.state === 'connected' ? 'OK' : health.state === 'degraded' ? 'DEGRADED' : 'DOWN';
  return {
    name: 'kafka',
    status,
    ...(health.lastError
      ? {
          lastError: `${health.lastError.code}: ${health.lastError.message}`,
          lastErrorAt: health.lastError.at.toISOString(),
        }
      : {}),
  };
}

/**
 * The spool's entry: DOWN while it is damaged and not rebuilt, DEGRADED while it holds events, else OK; its depth,
 * its dead letters when there are any, and the last damage found (also once rebuilt) as its last error.
 */
export function spoolHealth(stats: SpoolStats): ServiceHealth {
  const fault = stats.fault;
  const status: HealthStatus = fault && !fault.repaired ? 'DOWN' : stats.events > 0 ? 'DEGRADED' : 'OK';
  return {
    name: 'spool',
    status,
    depth: stats.events,
    ...(stats.deadLetters > 0 ? { deadLetters: stats.deadLetters } : {}),
    ...(fault ? { lastError: `SPOOL_FAILED: ${fault.message}`, lastErrorAt: new Date(fault.at).toISOString() } : {}),
  };
}

/** The answer for these inputs (the table above). */
export function decideHealth(inputs: HealthInputs): HealthAnswer {
  const kafka = kafkaHealth(inputs.producer, inputs.probe);
  if (!inputs.spool) {
    const down = kafka.status === 'DOWN';
    return { status: kafka.status, http: down ? 502 : 200, serving: !down, services: [kafka] };
  }
  const spool = spoolHealth(inputs.spool);
  const services = [kafka, spool];
  if (kafka.status === 'DOWN' && spool.status === 'DOWN')
    return { status: 'DOWN', http: 502, serving: false, services };
  const status: HealthStatus = kafka.status === 'OK' && spool.status === 'OK' ? 'OK' : 'DEGRADED';
  return { status, http: 200, serving: true, services };
}

export interface HealthPolicy {
  /** The answer now (the probe is cached briefly, so callers may ask often). */
  check(): Promise<HealthAnswer>;
}

export function createHealthPolicy(deps: {
  producer: HealthSource;
  probe?: BrokerProbe;
  /** The spool's figures, when the sidecar runs with one. */
  spool?: () => SpoolStats;
}): HealthPolicy {
  return {
    async check() {
      const probe = deps.probe ? await deps.probe.check() : undefined;
      return decideHealth({
        producer: deps.producer.health(),
        ...(probe ? { probe } : {}),
        ...(deps.spool ? { spool: deps.spool() } : {}),
      });
    },
  };
}
