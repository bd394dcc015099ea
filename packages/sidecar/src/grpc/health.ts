// grpc.health.v1.Health (Check and Watch) reporting whether Log calls are taken: the sidecar's one health policy
// (health-policy.ts), asked when a client asks, so that gRPC health and `GET /health` never disagree. Watch streams
// are fed by a poll of that answer (nothing pushes changes), running only while someone watches.
import {
  status as grpcStatus,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { HealthPolicy } from '../health-policy.js';

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthCheckRequest {
  service?: string;
}
interface HealthCheckResponse {
  status: ServingStatus;
}

export interface HealthServiceOptions {
  /** Service names answered; '' (the whole server) is always among them. */
  services: readonly string[];
  /** The sidecar's health policy: SERVING while it says events are taken. */
  health: HealthPolicy;
  /** How often Watch streams look for a change (default 1000 ms). */
  pollMs?: number;
}

interface Watcher {
  readonly service: string;
  readonly call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;
  last: ServingStatus | undefined;
  /** The stream ended (cancelled, failed, or ended by shutdown): nothing more is written to it. */
  ended: boolean;
}

export class HealthService {
  private readonly services: ReadonlySet<string>;
  private readonly health: HealthPolicy;
  private readonly pollMs: number;
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | undefined;
  private shuttingDown = false;

  constructor(options: HealthServiceOptions) {
    this.services = new Set(['', ...options.services]);
    this.health = options.health;
    this.pollMs = options.pollMs ?? 1000;
  }

  /** The status of `service`, or undefined when the server does not know it. */
  async status(service: string): Promise<Exclude<ServingStatus, 'SERVICE_UNKNOWN'> | undefined> {
    if (!this.services.has(service)) return undefined;
    if (this.shuttingDown) return 'NOT_SERVING';
    const answer = await this.health.check();
    return this.shuttingDown || !answer.serving ? 'NOT_SERVING' : 'SERVING';
  }

  /** Handlers for `server.addService(loadHealthService(), health.implementation())`. */
  implementation(): UntypedServiceImplementation {
    return {
      Check: (
        call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
        callback: sendUnaryData<HealthCheckResponse>,
      ) => {
        const service = call.request.service ?? '';
        this.status(service).then(
          (current) => {
            if (current === undefined)
              callback({ code: grpcStatus.NOT_FOUND, details: `unknown service "${service}"` });
            else callback(null, { status: current });
          },
          (err: unknown) => callback({ code: grpcStatus.INTERNAL, details: String((err as Error)?.message ?? err) }),
        );
      },
      Watch: (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
        if (this.shuttingDown) {
          call.write({ status: 'NOT_SERVING' });
          call.end();
          return;
        }
        const watcher: Watcher = { service: call.request.service ?? '', call, last: undefined, ended: false };
        this.watchers.add(watcher);
        const forget = () => {
          watcher.ended = true;
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
      // Said at once, before the stream ends: an answer of the policy still on its way is then dropped.
      if (watcher.last !== 'NOT_SERVING' && this.services.has(watcher.service))
        watcher.call.write({ status: 'NOT_SERVING' });
      watcher.ended = true;
      watcher.call.end();
    }
    this.watchers.clear();
  }

  private push(watcher: Watcher): void {
    void this.status(watcher.service).then(
      (status) => {
        // Per the health protocol, an unknown service is SERVICE_UNKNOWN on Watch (NOT_FOUND on Check).
        const current = status ?? 'SERVICE_UNKNOWN';
        if (current === watcher.last || watcher.ended) return;
        watcher.last = current;
        watcher.call.write({ status: current });
      },
      () => undefined,
    );
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
