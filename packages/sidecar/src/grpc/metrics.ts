// Per-call gRPC metrics, on the sidecar's registry beside the event counters (which carry
// transport="grpc"). Named after the go-grpc-prometheus conventions that dashboards expect.
import { Counter, Histogram, type Registry } from 'prom-client';

export interface GrpcCallMetrics {
  handled(method: string, code: string, seconds: number): void;
}

/** Reuses metrics already in the registry, so that a second server on one registry (tests) does not throw. */
export function createGrpcCallMetrics(registry: Registry, prefix = 'event_sidecar_'): GrpcCallMetrics {
  const handledName = `${prefix}grpc_server_handled_total`;
  const secondsName = `${prefix}grpc_server_handling_seconds`;
  const handled =
    (registry.getSingleMetric(handledName) as Counter<'method' | 'code'> | undefined) ??
    new Counter({
      name: handledName,
      help: 'gRPC calls completed, by method and status code',
      labelNames: ['method', 'code'],
      registers: [registry],
    });
  const seconds =
    (registry.getSingleMetric(secondsName) as Histogram<'method' | 'code'> | undefined) ??
    new Histogram({
      name: secondsName,
      help: 'Time from receiving a gRPC call to its answer, by method and status code',
      labelNames: ['method', 'code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  return {
    handled: (method, code, elapsed) => {
      handled.inc({ method, code });
      seconds.observe({ method, code }, elapsed);
    },
  };
}
