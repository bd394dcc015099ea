// The gRPC server as one of the sidecar's transports: started once Kafka is reachable, closed
// before the producer is flushed, within the sidecar's shutdown deadline.
import type { Logger } from 'pino';
import type { SidecarConfig } from '../config.js';
import type { Ingress } from '../ingress.js';
import type { SidecarMetrics } from '../metrics.js';
import type { HealthPolicy } from '../health-policy.js';
import type { Transport } from '../transport.js';
import { startGrpcServer, type GrpcServerOptions, type RunningGrpcServer } from './server.js';

export interface GrpcTransport extends Transport {
  /** The port listened on once started (useful with GRPC_PORT=0); before that, the configured one. */
  readonly port: number;
  /** The running server, once started. */
  readonly server: RunningGrpcServer | undefined;
}

export interface GrpcTransportDeps {
  config: SidecarConfig;
  ingress: Ingress;
  health: HealthPolicy;
  metrics: SidecarMetrics;
  logger: Logger;
  /** True once the sidecar shuts down: calls are then answered UNAVAILABLE (see GrpcServerDeps). */
  shuttingDown?: () => boolean;
}

/** The server options the sidecar's configuration gives. */
function grpcServerOptions(config: SidecarConfig): GrpcServerOptions {
  return {
    host: config.grpc.host,
    port: config.grpc.port,
    ackMode: config.grpc.ackMode,
    maxMessageBytes: config.http.maxBodyBytes,
    receiveTimeoutMs: config.http.requestTimeoutMs,
    maxConnectionIdleMs: config.grpc.maxConnectionIdleMs,
    maxConnectionAgeMs: config.grpc.maxConnectionAgeMs,
    // Calls in flight on a connection asked to go away get as long as an HTTP request has.
    ...(config.http.requestTimeoutMs > 0 ? { maxConnectionAgeGraceMs: config.http.requestTimeoutMs } : {}),
    ...(config.http.authToken === undefined ? {} : { authToken: config.http.authToken }),
  };
}

export function createGrpcTransport(deps: GrpcTransportDeps): GrpcTransport {
  let server: RunningGrpcServer | undefined;
  return {
    name: 'grpc',
    get port() {
      return server?.port ?? deps.config.grpc.port;
    },
    get server() {
      return server;
    },
    async start() {
      server = await startGrpcServer({
        options: grpcServerOptions(deps.config),
        ingress: deps.ingress,
        health: deps.health,
        metrics: deps.metrics,
        logger: deps.logger,
        ...(deps.shuttingDown ? { shuttingDown: deps.shuttingDown } : {}),
      });
    },
    async close(deadline: number) {
      await server?.close(Math.max(0, deadline - Date.now()));
    },
  };
}
