// gRPC load: unary `Log` calls kept in flight over a few channels (separate HTTP/2 connections), with messages
// encoded once up front so the load generator does not spend its CPU on protobuf.
import { credentials, Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { percentile } from './stats.js';

/** Options of event-sdk's client (and of the sidecar): enums travel as their names. */
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true };
const SERVICE = 'mojaloop.events.EventLoggerService';

export interface GrpcLoadResult {
  inFlight: number;
  channels: number;
  seconds: number;
  /** Calls answered with status `accepted`. */
  ok: number;
  okPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  failures: Record<string, number>;
}

type LogResponse = { status?: string };

export class GrpcLoad {
  private readonly method: MethodDefinition<object, LogResponse>;
  private readonly clients: Client[];

  constructor(protoPath: string, address: string, channels: number) {
    const definition = loadSync(protoPath, LOADER_OPTIONS);
    const service = definition[SERVICE] as unknown as Record<string, MethodDefinition<object, LogResponse>>;
    const method = service.Log;
    if (!method) throw new Error(`${SERVICE}/Log not found in ${protoPath}`);
    this.method = method;
    // A local subchannel pool per client: otherwise grpc-js shares one connection between clients of one target.
    this.clients = Array.from(
      { length: channels },
      () => new Client(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
    );
  }

  encode(message: object): Buffer {
    return this.method.requestSerialize(message);
  }

  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await Promise.all(
      this.clients.map(
        (client) =>
          new Promise<void>((resolve, reject) =>
            client.waitForReady(deadline, (err) => (err ? reject(err) : resolve())),
          ),
      ),
    );
  }

  /** One call; resolves with the response status, or the gRPC error as `CODE: details`. */
  call(message: Buffer, client = this.clients[0]!): Promise<{ ok: boolean; outcome: string }> {
    return new Promise((resolve) => {
      client.makeUnaryRequest<Buffer, LogResponse>(
        this.method.path,
        (b) => b,
        this.method.responseDeserialize,
        message,
        new Metadata(),
        { deadline: Date.now() + 30_000 },
        (err: ServiceError | null, res?: LogResponse) => {
          if (err) resolve({ ok: false, outcome: `${err.code}: ${err.details}` });
          else resolve({ ok: res?.status === 'accepted', outcome: res?.status ?? 'no status' });
        },
      );
    });
  }

  async run(messages: readonly Buffer[], inFlight: number, durationS: number): Promise<GrpcLoadResult> {
    const latencies: number[] = [];
    const failures: Record<string, number> = {};
    let ok = 0;
    let failed = 0;
    let next = 0;
    const started = performance.now();
    const deadline = started + durationS * 1000;
    const worker = async (index: number): Promise<void> => {
      const client = this.clients[index % this.clients.length]!;
      while (performance.now() < deadline) {
        const message = messages[next++ % messages.length]!;
        const t0 = performance.now();
        const { ok: accepted, outcome } = await this.call(message, client);
        if (accepted) {
          ok++;
          latencies.push(performance.now() - t0);
        } else {
          failed++;
          // Error details may carry ids; the code and the first words are enough to tell failures apart.
          const key = outcome.slice(0, 80);
          failures[key] = (failures[key] ?? 0) + 1;
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, (_, i) => worker(i)));
    const seconds = (performance.now() - started) / 1000;
    return {
      inFlight,
      channels: this.clients.length,
      seconds,
      ok,
      okPerSecond: ok / seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      failed,
      failures,
    };
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
