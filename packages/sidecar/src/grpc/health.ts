// grpc.health.v1.Health (Check and Watch) reporting whether events can reach Kafka: the state of
// the producer, read when asked. Watch streams are fed by a poll of that state (the producer has
// no change events), running only while someone watches.
import {
  status as grpcStatus,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { ProducerState } from '@event-sidecar/producer';

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthCheckRequest {
  service?: string;
}
interface HealthCheckResponse {
  status: ServingStatus;
}

/**
 * SERVING while the producer takes events: `connected`, and `degraded` (reachable, some sends
 * failed or were slow). `connecting`, `down` and `closed` are NOT_SERVING.
 */
export function servingStatusOf(state: ProducerState): 'SERVING' | 'NOT_SERVING' {
  return state === 'connected' || state === 'degraded' ? 'SERVING' : 'NOT_SERVING';
}

export interface HealthServiceOptions {
  /** Service names answered; '' (the whole server) is always among them. */
  services: readonly string[];
  /** The producer's state now. */
  state: () => ProducerState;
  /** How often Watch streams look for a change (default 1000 ms). */
  pollMs?: number;
}

interface Watcher {
  readonly service: string;
  readonly call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;
  last: ServingStatus | undefined;
}

export class HealthService {
  private readonly services: ReadonlySet<string>;
  private readonly state: () => ProducerState;
  private readonly pollMs: number;
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | undefined;
  private shuttingDown = false;

  constructor(options: HealthServiceOptions) {
    this.services = new Set(['', ...options.services]);
    this.state = options.state;
    this.pollMs = options.pollMs ?? 1000;
  }

  /** The status of `service`, or undefined when the server does not know it. */
  status(service: string): Exclude<ServingStatus, 'SERVICE_UNKNOWN'> | undefined {
    if (!this.services.has(service)) return undefined;
    if (this.shuttingDown) return 'NOT_SERVING';
    return servingStatusOf(this.state());
  }

  /** Handlers for `server.addService(loadHealthService(), health.implementation())`. */
  implementation(): UntypedServiceImplementation {
    return {
      Check: (
        call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
        callback: sendUnaryData<HealthCheckResponse>,
      ) => {
        const service = call.request.service ?? '';
        const current = this.status(service);
        if (current === undefined) {
          callback({ code: grpcStatus.NOT_FOUND, details: `unknown service "${service}"` });
          return;
        }
        callback(null, { status: current });
      },
      Watch: (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
        if (this.shuttingDown) {
          call.write({ status: 'NOT_SERVING' });
          call.end();
          return;
        }
        const watcher: Watcher = { service: call.request.service ?? '', call, last: undefined };
        this.watchers.add(watcher);
        const forget = () => {
          this.watchers.delete(watcher);
          if (this.watchers.size === 0) this.stopPolling();
        };
        call.on('cancelled', forget);
        call.on('error', forget);
        this.push(watcher);
        this.startPolling();
      },
    };
  }

  /** Every service NOT_SERVING from now on; watchers are told, then their streams end (or shutdown would wait). */
  shutdown(): void {
    this.shuttingDown = true;
    this.stopPolling();
    for (const watcher of this.watchers) {
      this.push(watcher);
      watcher.call.end();
    }
    this.watchers.clear();
  }

  private push(watcher: Watcher): void {
    // Per the health protocol, an unknown service is SERVICE_UNKNOWN on Watch (NOT_FOUND on Check).
    const current = this.status(watcher.service) ?? 'SERVICE_UNKNOWN';
    if (current === watcher.last) return;
    watcher.last = current;
    watcher.call.write({ status: current });
  }

  private startPolling(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      for (const watcher of this.watchers) this.push(watcher);
    }, this.pollMs);
    this.timer.unref();
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
