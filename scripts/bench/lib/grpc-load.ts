// gRPC load: unary `Log` calls kept in flight over a few channels (separate HTTP/2 connections), with messages
// encoded once up front so the load generator does not spend its CPU on protobuf.
import { credentials, Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { closedLoop, type ClosedLoopResult } from './closed-loop.js';

/** Options of event-sdk's client (and of the sidecar): enums travel as their names. */
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true };
const SERVICE = 'mojaloop.events.EventLoggerService';

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

  /** `inFlight` calls kept in flight, spread over the channels, each answered `accepted` or counted as failed. */
  run(messages: readonly Buffer[], inFlight: number, durationS: number): Promise<ClosedLoopResult> {
    const channels = this.clients.length;
    return closedLoop(
      async (i) => {
        const { ok, outcome } = await this.call(messages[i % messages.length]!, this.clients[i % channels]);
        if (!ok) throw new Error(outcome);
      },
      inFlight,
      durationS,
    );
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
