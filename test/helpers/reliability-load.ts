// Load for the reliability suite: HTTP and gRPC senders that always come back with an outcome
// (an answer, or the reason there was none), a ledger of outcomes by event id, and an open-loop
// rate driver bounded in count, time and requests in flight.
import type { Agent } from 'node:http';
import { request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath } from '@event-sidecar/contract';
import { sleep } from './reliability.js';

// ------------------------------------------------------------------ HTTP

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed when it is JSON. */
  json?: unknown;
}

interface HttpTiming {
  /** When the request was fully handed to the socket (undefined: never). */
  writtenAt?: number;
  /** Sent on a keep-alive connection used before. */
  reusedSocket?: boolean;
  /** When the TCP connection was established (or found open, for a reused socket). */
  connectedAt?: number;
}

export type HttpResult = ({ answer: HttpAnswer; error?: undefined } | { answer?: undefined; error: string }) & {
  timing?: HttpTiming;
};

export interface HttpCall {
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Client-side bound on the whole exchange; past it the result is an error "no answer". */
  timeoutMs?: number;
}

/** One HTTP exchange on 127.0.0.1; never rejects. */
export function httpCall(port: number, call: HttpCall, agent?: Agent): Promise<HttpResult> {
  return new Promise((resolve) => {
    let settled = false;
    const timing: HttpTiming = {};
    const done = (result: HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      timing.reusedSocket = req.reusedSocket;
      resolve({ ...result, timing });
    };
    const headers: Record<string, string | number> = { ...call.headers };
    if (call.body !== undefined && headers['content-length'] === undefined)
      headers['content-length'] = Buffer.byteLength(call.body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: call.method ?? (call.body === undefined ? 'GET' : 'POST'),
        path: call.path,
        headers,
        agent: agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => done({ error: `response: ${err.message}` }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          if (String(res.headers['content-type'] ?? '').includes('json')) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          done({ answer: { status: res.statusCode ?? 0, headers: res.headers, text, json } });
        });
      },
    );
    const timer = setTimeout(() => {
      done({ error: `no answer within ${call.timeoutMs ?? 60_000} ms` });
      req.destroy();
    }, call.timeoutMs ?? 60_000);
    req.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message }));
    req.on('finish', () => (timing.writtenAt = Date.now()));
    req.on('socket', (socket) => {
      if (socket.connecting) socket.once('connect', () => (timing.connectedAt ??= Date.now()));
      else timing.connectedAt ??= Date.now();
    });
    if (call.body !== undefined) req.end(call.body);
    else req.end();
  });
}

/** POST /event with a JSON event. */
export function postEvent(
  port: number,
  event: unknown,
  options: { agent?: Agent; token?: string; timeoutMs?: number } = {},
) {
  return httpCall(
    port,
    {
      path: '/event',
      body: JSON.stringify(event),
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      timeoutMs: options.timeoutMs ?? 60_000,
    },
    options.agent,
  );
}

function retryAfterOf(answer: HttpAnswer): number | undefined {
  const value = answer.headers['retry-after'];
  const n = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(n) ? n : undefined;
}

// ------------------------------------------------------------------ gRPC

const PROTO_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true };

export interface GrpcClient {
  client: grpc.Client & {
    Log: (
      message: unknown,
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
      callback: (err: grpc.ServiceError | null, response?: { status?: string }) => void,
    ) => grpc.ClientUnaryCall;
  };
  close(): void;
}

let loaded: grpc.GrpcObject | undefined;

/** A client of `mojaloop.events.EventLoggerService` on 127.0.0.1:port, as event-sdk makes it. */
export function grpcClient(port: number): GrpcClient {
  loaded ??= grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, PROTO_OPTIONS));
  const pkg = (loaded.mojaloop as grpc.GrpcObject).events as grpc.GrpcObject;
  const Service = pkg.EventLoggerService as grpc.ServiceClientConstructor;
  const client = new Service(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as GrpcClient['client'];
  return { client, close: () => client.close() };
}

interface GrpcAnswer {
  /** `OK` or the status name (`UNAVAILABLE`, `INVALID_ARGUMENT`, ...). */
  code: string;
  /** LogResponse.status when OK. */
  status?: string;
  details?: string;
  /** Trailing metadata, lowercase keys, first value of each. */
  trailers: Record<string, string>;
}

export type GrpcResult = { answer: GrpcAnswer; error?: undefined } | { answer?: undefined; error: string };

const STATUS_NAME = Object.fromEntries(Object.entries(grpc.status).map(([name, value]) => [value, name])) as Record<
  number,
  string
>;

function trailersOf(metadata: grpc.Metadata | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!metadata) return out;
  for (const [key, values] of Object.entries(metadata.getMap())) out[key.toLowerCase()] = String(values);
  return out;
}

/** One Log call; never rejects. A DEADLINE_EXCEEDED raised by the client is "no answer". */
export function grpcLog(
  client: GrpcClient,
  message: unknown,
  options: { token?: string; deadlineMs?: number; metadata?: Record<string, string> } = {},
): Promise<GrpcResult> {
  return new Promise((resolve) => {
    const metadata = new grpc.Metadata();
    if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
    for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
    let trailers: grpc.Metadata | undefined;
    const call = client.client.Log(
      message,
      metadata,
      { deadline: Date.now() + (options.deadlineMs ?? 60_000) },
      (err, response) => {
        if (!err) {
          resolve({ answer: { code: 'OK', status: response?.status, trailers: trailersOf(trailers) } });
          return;
        }
        const code = STATUS_NAME[err.code] ?? String(err.code);
        // Raised by the client itself: the server never answered.
        if (err.code === grpc.status.DEADLINE_EXCEEDED && /Deadline exceeded/.test(err.details ?? '')) {
          resolve({ error: `no answer within ${options.deadlineMs ?? 60_000} ms` });
          return;
        }
        if (
          err.code === grpc.status.UNAVAILABLE &&
          /No connection established|ECONNREFUSED|Connection dropped/.test(err.details ?? '')
        ) {
          resolve({ error: `UNAVAILABLE (transport): ${err.details}` });
          return;
        }
        resolve({ answer: { code, details: err.details, trailers: trailersOf(err.metadata ?? trailers) } });
      },
    );
    call.on('status', (status: grpc.StatusObject) => {
      trailers = status.metadata;
    });
  });
}

/** A client that sends arbitrary bytes as the Log request (for malformed protobuf). */
export function rawGrpcClient(port: number): {
  call(bytes: Buffer, options?: { token?: string; deadlineMs?: number }): Promise<GrpcResult>;
  close(): void;
} {
  // The request goes out as given; the response (LogResponse) is decoded as the proto says.
  const definition = protoLoader.loadSync(protoPath, PROTO_OPTIONS)[
    'mojaloop.events.EventLoggerService'
  ] as unknown as {
    Log: { responseDeserialize: (bytes: Buffer) => unknown };
  };
  const Ctor = grpc.makeGenericClientConstructor(
    {
      Log: {
        path: '/mojaloop.events.EventLoggerService/Log',
        requestStream: false,
        responseStream: false,
        requestSerialize: (value: Buffer) => value,
        requestDeserialize: (value: Buffer) => value,
        responseSerialize: (value: Buffer) => value,
        responseDeserialize: (value: Buffer) => definition.Log.responseDeserialize(value),
      },
    },
    'RawEventLoggerService',
  );
  const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as GrpcClient['client'];
  const wrapped: GrpcClient = { client, close: () => client.close() };
  return {
    call: (bytes, options = {}) => grpcLog(wrapped, bytes, options),
    close: () => client.close(),
  };
}

// ------------------------------------------------------------------ ledger

type Transport = 'http' | 'grpc';

export interface Outcome {
  transport: Transport;
  /** acked: 201 / 202 (spooled) / accepted; refused: any other answer; unanswered: no answer (timeout, reset, refused connection). */
  kind: 'acked' | 'refused' | 'unanswered';
  /** HTTP status or gRPC status name; the error text when unanswered. */
  status: string;
  /** A refusal's reason: HTTP `errorInformation.errorDescription`, gRPC details. */
  detail?: string;
  retryAfter?: number;
  sentAt: number;
  answeredAt: number;
  /** HTTP: when the request was fully written to the socket, and whether that socket was reused. */
  writtenAt?: number;
  reusedSocket?: boolean;
  connectedAt?: number;
}

/** Outcomes by event id; an id may be sent more than once (retries). */
export class Ledger {
  readonly byId = new Map<string, Outcome[]>();
  readonly statusCounts = new Map<string, number>();
  acked = 0;
  refused = 0;
  unanswered = 0;

  record(id: string, outcome: Outcome): void {
    const list = this.byId.get(id);
    if (list) list.push(outcome);
    else this.byId.set(id, [outcome]);
    const key = `${outcome.transport} ${outcome.status}`;
    this.statusCounts.set(key, (this.statusCounts.get(key) ?? 0) + 1);
    if (outcome.kind === 'acked') this.acked++;
    else if (outcome.kind === 'refused') this.refused++;
    else this.unanswered++;
  }

  /** Every outcome, flattened. */
  *outcomes(): Iterable<[string, Outcome]> {
    for (const [id, list] of this.byId) for (const outcome of list) yield [id, outcome];
  }

  ackedIds(): string[] {
    return [...this.byId].filter(([, list]) => list.some((o) => o.kind === 'acked')).map(([id]) => id);
  }

  /** Refusals by status and reason, most frequent first. */
  refusalSummary(): string {
    const counts = new Map<string, number>();
    for (const [, o] of this.outcomes())
      if (o.kind !== 'acked') {
        const key = `${o.transport} ${o.status}${o.detail ? ` (${o.detail})` : ''}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    return [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([key, n]) => `${n} × ${key}`)
      .join('; ');
  }

  statusSummary(): string {
    return [...this.statusCounts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, n]) => `${key}: ${n}`)
      .join(', ');
  }
}

/** Sends `event` over HTTP and records the outcome under its id. */
export async function sendHttp(
  ledger: Ledger,
  port: number,
  event: { id: string },
  options: { agent?: Agent; token?: string; timeoutMs?: number } = {},
): Promise<Outcome> {
  const sentAt = Date.now();
  const result = await postEvent(port, event, options);
  const answeredAt = Date.now();
  const timing = {
    ...(result.timing?.writtenAt === undefined ? {} : { writtenAt: result.timing.writtenAt }),
    ...(result.timing?.reusedSocket === undefined ? {} : { reusedSocket: result.timing.reusedSocket }),
    ...(result.timing?.connectedAt === undefined ? {} : { connectedAt: result.timing.connectedAt }),
  };
  let outcome: Outcome;
  if (result.error !== undefined)
    outcome = { transport: 'http', kind: 'unanswered', status: result.error, sentAt, answeredAt, ...timing };
  else {
    const status = result.answer.status;
    const retryAfter = retryAfterOf(result.answer);
    const detail = (result.answer.json as { errorInformation?: { errorDescription?: string } } | undefined)
      ?.errorInformation?.errorDescription;
    outcome = {
      transport: 'http',
      // 202: on the sidecar's spool, to be delivered; an acknowledgement too.
      kind: status === 201 || status === 202 ? 'acked' : 'refused',
      status: String(status),
      ...(detail === undefined ? {} : { detail: detail.slice(0, 120) }),
      ...(retryAfter === undefined ? {} : { retryAfter }),
      sentAt,
      answeredAt,
      ...timing,
    };
  }
  ledger.record(event.id, outcome);
  return outcome;
}

/** Sends `event` over gRPC (its wire form) and records the outcome under its id. */
export async function sendGrpc(
  ledger: Ledger,
  client: GrpcClient,
  event: { id: string },
  wire: unknown,
  options: { token?: string; deadlineMs?: number } = {},
): Promise<Outcome> {
  const sentAt = Date.now();
  const result = await grpcLog(client, wire, options);
  const answeredAt = Date.now();
  let outcome: Outcome;
  if (result.error !== undefined)
    outcome = { transport: 'grpc', kind: 'unanswered', status: result.error, sentAt, answeredAt };
  else {
    const { code, status, trailers, details } = result.answer;
    const acked = code === 'OK' && status === 'accepted';
    const retryAfter = Number(trailers['retry-after']);
    outcome = {
      transport: 'grpc',
      kind: acked ? 'acked' : 'refused',
      status: code === 'OK' ? `OK/${status}` : code,
      ...(code === 'OK' || details === undefined ? {} : { detail: details.slice(0, 120) }),
      ...(Number.isFinite(retryAfter) && trailers['retry-after'] !== undefined ? { retryAfter } : {}),
      sentAt,
      answeredAt,
    };
  }
  ledger.record(event.id, outcome);
  return outcome;
}

// ------------------------------------------------------------------ rate driver

export interface LoadOptions {
  /** Requests started per second (open loop). */
  ratePerSec: number;
  /** Stop starting requests after this long... */
  durationMs: number;
  /** ...or after this many... */
  maxCount: number;
  /** ...or when this says so. */
  stop?: () => boolean;
  /** Requests in flight at most; a tick that would exceed it skips (and counts) the request. */
  maxInFlight: number;
  send: (n: number) => Promise<unknown>;
}

export interface LoadReport {
  started: number;
  /** Requests the schedule called for but the in-flight bound held back. */
  skipped: number;
  elapsedMs: number;
  maxInFlight: number;
}

/** Starts requests at a steady rate until a bound is hit, then waits for those in flight. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const begin = Date.now();
  let started = 0;
  let skipped = 0;
  let inFlight = 0;
  let peak = 0;
  const pending = new Set<Promise<unknown>>();
  while (started < options.maxCount && Date.now() - begin < options.durationMs && !options.stop?.()) {
    const due = Math.min(options.maxCount, Math.floor(((Date.now() - begin) / 1000) * options.ratePerSec));
    while (started + skipped < due) {
      if (inFlight >= options.maxInFlight) {
        skipped++;
        continue;
      }
      const n = started++;
      inFlight++;
      peak = Math.max(peak, inFlight);
      const p = options
        .send(n)
        .catch(() => undefined)
        .finally(() => {
          inFlight--;
          pending.delete(p);
        });
      pending.add(p);
    }
    await sleep(10);
  }
  const elapsedMs = Date.now() - begin;
  await Promise.all([...pending]);
  return { started, skipped, elapsedMs, maxInFlight: peak };
}

/** A prepared batch: its events' ids and the JSON body. */
export interface PreparedBatch {
  ids: string[];
  body: Buffer;
}

export function prepareBatch(events: Array<{ id: string }>): PreparedBatch {
  return { ids: events.map((e) => e.id), body: Buffer.from(JSON.stringify(events)) };
}

/**
 * POST /events; records one outcome per event: published is acked, a failed or rejected item is
 * refused with its Mojaloop code (`item 2005`), with the answer's Retry-After. Returns the status.
 */
export async function sendBatch(
  ledger: Ledger,
  port: number,
  batch: PreparedBatch,
  options: { agent?: Agent; timeoutMs?: number } = {},
): Promise<number | string> {
  const sentAt = Date.now();
  const result = await httpCall(
    port,
    {
      path: '/events',
      body: batch.body,
      headers: { 'content-type': 'application/json' },
      timeoutMs: options.timeoutMs ?? 60_000,
    },
    options.agent,
  );
  const answeredAt = Date.now();
  if (result.error !== undefined) {
    for (const id of batch.ids)
      ledger.record(id, { transport: 'http', kind: 'unanswered', status: result.error, sentAt, answeredAt });
    return result.error;
  }
  const { answer } = result;
  const retryAfter = retryAfterOf(answer);
  const items = (answer.json as { results?: Array<{ status: string; error?: { errorCode: string } }> } | undefined)
    ?.results;
  batch.ids.forEach((id, i) => {
    const item = items?.[i];
    const kind = item && (item.status === 'published' || item.status === 'spooled') ? 'acked' : 'refused';
    ledger.record(id, {
      transport: 'http',
      kind,
      // Without per-event results the whole batch was answered with one status.
      status: item
        ? item.status === 'published' || item.status === 'spooled'
          ? `item ${item.status}`
          : `item ${item.error?.errorCode ?? item.status}`
        : String(answer.status),
      ...(retryAfter === undefined ? {} : { retryAfter }),
      sentAt,
      answeredAt,
    });
  });
  return answer.status;
}
