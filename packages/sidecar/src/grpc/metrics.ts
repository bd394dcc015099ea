// Per-call gRPC metrics, on the sidecar's registry beside the event counters (which carry
// transport="grpc"). Named after the go-grpc-prometheus conventions that dashboards expect.
import { Histogram, type Registry } from 'prom-client';
import { talliedCounter } from '../metrics.js';

export interface GrpcCallMetrics {
  handled(method: string, code: string, seconds: number): void;
}

/** Per registry and prefix: a second server on one registry (tests) shares the first one's metrics. */
const created = new WeakMap<Registry, Map<string, GrpcCallMetrics>>();

export function createGrpcCallMetrics(registry: Registry, prefix = 'event_sidecar_'): GrpcCallMetrics {
  const known = created.get(registry) ?? new Map<string, GrpcCallMetrics>();
  created.set(registry, known);
  const existing = known.get(prefix);
  if (existing) return existing;
  const handled = talliedCounter({
    name: `${prefix}grpc_server_handled_total`,
    help: 'gRPC calls completed, by method and status code',
    labelNames: ['method', 'code'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: `${prefix}grpc_server_handling_seconds`,
    help: 'Time from receiving a gRPC call to its answer, by method and status code',
    labelNames: ['method', 'code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const metrics: GrpcCallMetrics = {
    handled: (method, code, elapsed) => {
      handled(method + ' ' + code, () => ({ method, code }), 1);
      seconds.observe({ method, code }, elapsed);
    },
  };
  known.set(prefix, metrics);
  return metrics;
}
