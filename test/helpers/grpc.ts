// gRPC clients for tests, built independently of the server's code: the EventLoggerService from
// the contract's proto with event-sdk's loader options, and grpc.health.v1.Health from the
// upstream health.proto text.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type Client,
  type ClientReadableStream,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { protoPath } from '@event-sidecar/contract';

/** event-sdk's options (src/transport/EventLoggerServiceLoader.ts). */
const SDK_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
};

const HEALTH_PROTO = `syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
`;

type Tree = { [name: string]: Tree | ServiceClientConstructor };
const lookup = (tree: Tree, path: string) =>
  path.split('.').reduce<Tree | ServiceClientConstructor>((node, key) => (node as Tree)[key]!, tree);

const EventLoggerService = lookup(
  loadPackageDefinition(protoLoader.loadSync(protoPath, SDK_OPTIONS)) as unknown as Tree,
  'mojaloop.events.EventLoggerService',
) as ServiceClientConstructor;

function healthService(): ServiceClientConstructor {
  const dir = mkdtempSync(join(tmpdir(), 'grpc-health-proto-'));
  const file = join(dir, 'health.proto');
  writeFileSync(file, HEALTH_PROTO);
  let definition: protoLoader.PackageDefinition;
  try {
    definition = protoLoader.loadSync(file, { ...SDK_OPTIONS, defaults: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return lookup(
    loadPackageDefinition(definition) as unknown as Tree,
    'grpc.health.v1.Health',
  ) as ServiceClientConstructor;
}
let HealthServiceClient: ServiceClientConstructor | undefined;

/** An EventMessage as it goes on the wire: `content` as a google.protobuf.Any, as event-sdk's toAny builds it. */
export function toWire(event: object): Record<string, unknown> {
  const { content, ...rest } = event as Record<string, unknown>;
  if (content === undefined) return rest;
  const type = (rest.type as string | undefined) ?? 'application/json';
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  return { ...rest, content: { type_url: type, value: Buffer.from(text, 'utf8') } };
}

export interface LogAnswer {
  response?: { status?: string };
  error?: ServiceError;
  /** Trailers of an error answer. */
  trailers?: Record<string, string>;
}

export interface EventLoggerClient {
  readonly client: Client;
  /** One unary Log call with `wire` (see toWire); never rejects. */
  log(wire: Record<string, unknown>, metadata?: Record<string, string>, deadlineMs?: number): Promise<LogAnswer>;
  close(): void;
}

export function eventLoggerClient(port: number, host = '127.0.0.1'): EventLoggerClient {
  const client = new EventLoggerService(`${host}:${port}`, credentials.createInsecure());
  return {
    client,
    log(wire, metadata = {}, deadlineMs) {
      const md = new Metadata();
      for (const [key, value] of Object.entries(metadata)) md.set(key, value);
      return new Promise((resolve) => {
        const options = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
        const log = (client as unknown as Record<string, (...args: unknown[]) => void>).Log!.bind(client);
        log(wire, md, options, (error: ServiceError | null, response?: { status?: string }) => {
          if (!error) return resolve({ ...(response === undefined ? {} : { response }) });
          const trailers: Record<string, string> = {};
          for (const [key, value] of Object.entries(error.metadata?.getMap() ?? {})) trailers[key] = String(value);
          resolve({ error, trailers });
        });
      });
    },
    close: () => client.close(),
  };
}

export interface HealthClient {
  check(service?: string): Promise<{ status?: string; error?: ServiceError }>;
  watch(service?: string): ClientReadableStream<{ status: string }>;
  close(): void;
}

export function healthClient(port: number, host = '127.0.0.1'): HealthClient {
  HealthServiceClient ??= healthService();
  const client = new HealthServiceClient(`${host}:${port}`, credentials.createInsecure()) as unknown as Client &
    Record<string, (...args: unknown[]) => unknown>;
  return {
    check: (service = '') =>
      new Promise((resolve) => {
        client.Check!({ service }, (error: ServiceError | null, response?: { status: string }) =>
          resolve(error ? { error } : { status: response?.status }),
        );
      }),
    watch: (service = '') => client.Watch!({ service }) as ClientReadableStream<{ status: string }>,
    close: () => client.close(),
  };
}

/** Waits until `stream` delivers a message `match` accepts. */
export function nextMessage<T>(
  stream: ClientReadableStream<T>,
  match: (m: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`no matching message within ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (message: T) => {
      if (!match(message)) return;
      clearTimeout(timer);
      stream.off('data', onData);
      resolve(message);
    };
    stream.on('data', onData);
  });
}
