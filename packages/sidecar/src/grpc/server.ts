// The gRPC server: mojaloop.events.EventLoggerService/Log, wire-compatible with the original
// sidecar (services keep their @mojaloop/event-sdk client unchanged), plus grpc.health.v1.Health.
// Unlike the original, `accepted` means Kafka has the event (ACK_MODE=confirmed, the default), and
// every failure is answered with a gRPC status the caller can act on.
import { performance } from 'node:perf_hooks';
import {
  Metadata,
  Server,
  ServerCredentials,
  ServerInterceptingCall,
  status as grpcStatus,
  type MetadataValue,
  type ServerInterceptor,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { bearerMatches } from '../auth.js';
import type { AckMode } from '../config.js';
import type { HealthPolicy } from '../health-policy.js';
import { SidecarError, resolveError } from '../errors.js';
import type { AcceptOutcome, Ingress } from '../ingress.js';
import { eventTypeLabel, type EventTypeLabel, type SidecarMetrics } from '../metrics.js';
import { wireToEvent, type WireEventMessage } from './decode.js';
import { EVENT_LOGGER_SERVICE, LOG_METHOD, loadEventLoggerService, loadHealthService } from './definitions.js';
import { HealthService } from './health.js';
import { createGrpcCallMetrics, type GrpcCallMetrics } from './metrics.js';

/** The grpc-js default; the sidecar passes MAX_BODY_BYTES so that both transports take the same sizes. */
const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

export interface GrpcServerOptions {
  /** Address to listen on: `0.0.0.0`, `::`, `127.0.0.1`, ... */
  readonly host: string;
  /** 0 picks a free port (see `RunningGrpcServer.port`). */
  readonly port: number;
  /**
   * `confirmed` (default): answer `accepted` once Kafka acknowledged the event (acks=all).
   * `received`: answer `accepted` as soon as the event is valid and taken by the producer, as the
   * original did, for callers that must never wait; later failures go to logs and metrics only.
   */
  readonly ackMode?: AckMode;
  /** When set, Log calls need the metadata entry `authorization: Bearer <token>`; health stays open. */
  readonly authToken?: string;
  /** Largest message accepted; larger ones get RESOURCE_EXHAUSTED from grpc-js. Default 4 MiB. */
  readonly maxMessageBytes?: number;
  /** How often Watch streams of the health service look for a change; default 1000 ms. */
  readonly healthPollMs?: number;
  /** Prefix of the per-call metrics; default `event_sidecar_` (as createMetrics). */
  readonly metricsPrefix?: string;
  /**
   * Time from a call's headers to its whole request message; a call still waiting for it then is
   * ended with DEADLINE_EXCEEDED (a client trickling or stalling its message). 0 or unset: none.
   */
  readonly receiveTimeoutMs?: number;
  /** A connection without a call for this long is closed (GOAWAY); unset: never. */
  readonly maxConnectionIdleMs?: number;
  /**
   * A connection is asked to go away (GOAWAY) after this long, and closed `maxConnectionAgeGraceMs`
   * later with whatever calls it still has: the bound on a client that keeps a call open after its
   * answer (a call the server ended keeps its stream until the client closes its side). Unset: never.
   */
  readonly maxConnectionAgeMs?: number;
  readonly maxConnectionAgeGraceMs?: number;
}

export interface GrpcServerDeps {
  readonly options: GrpcServerOptions;
  /** The sidecar's ingress: validates, counts (transport="grpc") and publishes, as for HTTP. */
  readonly ingress: Ingress;
  /** The sidecar's health policy, which grpc.health.v1 reports (as `GET /health` does). */
  readonly health: HealthPolicy;
  /** Events that fail to decode are counted here (the ingress never sees them); calls go to its registry. */
  readonly metrics: SidecarMetrics;
  /** The sidecar's root logger; the server logs through a `component: 'grpc'` child. */
  readonly logger: Logger;
  /**
   * True once the sidecar shuts down: Log calls are answered UNAVAILABLE with `retry-after` while
   * the server still runs, rather than refused by the GOAWAY of its close.
   */
  readonly shuttingDown?: () => boolean;
}

export interface RunningGrpcServer {
  readonly host: string;
  readonly port: number;
  readonly health: HealthService;
  /**
   * Stops taking calls (health turns NOT_SERVING, Watch streams end), waits for the calls in flight
   * up to `timeoutMs` (default 10 s), then cancels what is left. Does not close the producer.
   */
  close(timeoutMs?: number): Promise<void>;
}

interface LogResponse {
  status: 'accepted';
}

/** The answer to nearly every call: one object, whose bytes are encoded once (see lenientDeserialize). */
const ACCEPTED: LogResponse = Object.freeze({ status: 'accepted' });

interface CallContext {
  readonly ingress: Ingress;
  readonly metrics: SidecarMetrics;
  readonly calls: GrpcCallMetrics;
  readonly log: Logger;
  readonly ackMode: AckMode;
  readonly authToken: string | undefined;
  readonly shuttingDown: (() => boolean) | undefined;
}

function firstString(values: MetadataValue[]): string | undefined {
  const first = values[0];
  return typeof first === 'string' ? first : undefined;
}

/** Resolves on the next turn of the event loop: by then an answer the ingress had at once has settled. */
const nextTurn = (): Promise<undefined> => new Promise((resolve) => setImmediate(resolve, undefined));

function createLogHandler(ctx: CallContext) {
  const { ingress, metrics, calls, log, ackMode, authToken, shuttingDown } = ctx;

  return (call: ServerUnaryCall<WireEventMessage, LogResponse>, callback: sendUnaryData<LogResponse>): void => {
    const started = performance.now();
    let eventId: string | undefined;
    let type: EventTypeLabel = 'unknown';

    const answer = (err?: unknown): void => {
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      const lineOf = () => ({ method: LOG_METHOD, eventId, type, ackMode, durationMs, peer: call.getPeer() });
      if (err === undefined) {
        callback(null, ACCEPTED);
        calls.handled(LOG_METHOD, 'OK', durationMs / 1000);
        // The hot path: the line (and the peer's address) is built only when it is written.
        if (log.isLevelEnabled('info')) log.info({ ...lineOf(), code: 'OK' }, 'grpc call');
        return;
      }
      const line = lineOf();
      const resolved = resolveError(err);
      const trailers = new Metadata();
      trailers.set('error-code', resolved.code);
      trailers.set('mojaloop-error-code', resolved.mojaloopCode);
      if (resolved.retryAfterSeconds !== undefined) trailers.set('retry-after', String(resolved.retryAfterSeconds));
      // grpc-js percent-encodes details with encodeURI, which throws on a lone surrogate (a JSON
      // error message can quote half of an astral character): the call would end INTERNAL.
      callback({ code: grpcStatus[resolved.grpc], details: wellFormed(resolved.description), metadata: trailers });
      calls.handled(LOG_METHOD, resolved.grpc, durationMs / 1000);
      const fields = {
        ...line,
        code: resolved.grpc,
        errorCode: resolved.code,
        reason: resolved.description,
        ...(resolved.field === undefined ? {} : { field: resolved.field }),
        ...(resolved.retryAfterSeconds === undefined ? {} : { retryAfter: resolved.retryAfterSeconds }),
      };
      // Client mistakes and backpressure at warn (as HTTP 4xx), failures of ours or of Kafka at error.
      if (resolved.http < 500) log.warn(fields, 'grpc call');
      else log.error({ ...fields, err }, 'grpc call');
    };

    const handle = async (): Promise<void> => {
      if (shuttingDown?.()) {
        answer(new SidecarError('SHUTTING_DOWN', 'shutting down'));
        return;
      }
      if (authToken !== undefined && !bearerMatches(firstString(call.metadata.get('authorization')), authToken)) {
        answer(
          new SidecarError('UNAUTHORIZED', 'the metadata entry `authorization: Bearer <token>` is missing or wrong'),
        );
        return;
      }
      if (call.request === UNDECODABLE) {
        metrics.received('unknown', 'grpc');
        metrics.rejected('unknown', 'grpc');
        answer(new SidecarError('MALFORMED_JSON', 'the message is not a protobuf EventMessage', { field: '' }));
        return;
      }
      const decoded = wireToEvent(call.request);
      const candidate: unknown = decoded.ok ? decoded.event : call.request;
      type = eventTypeLabel(candidate);
      const id = (candidate as { id?: unknown } | null)?.id;
      if (typeof id === 'string') eventId = id.slice(0, 128);
      if (!decoded.ok) {
        metrics.received(type, 'grpc');
        metrics.rejected(type, 'grpc');
        answer(decoded.error);
        return;
      }

      const accepting = ingress.accept(decoded.event, 'grpc');
      if (ackMode === 'confirmed') {
        const outcome = await accepting;
        answer(outcome.ok ? undefined : outcome.error);
        return;
      }
      // received: what the ingress knows at once (an invalid event, a full queue, Kafka down, a
      // closing producer) costs no wait, so it is still answered; anything later is logged only.
      const early: AcceptOutcome | undefined = await Promise.race([accepting, nextTurn()]);
      if (early !== undefined && !early.ok) {
        answer(early.error);
        return;
      }
      answer();
      const outcome = early ?? (await accepting);
      if (!outcome.ok) {
        const resolved = resolveError(outcome.error);
        log.error(
          { method: LOG_METHOD, eventId, type, errorCode: resolved.code, err: outcome.error },
          'event answered accepted on receipt was not published',
        );
      }
    };

    handle().catch((err: unknown) => {
      // Not expected: the ingress never rejects and every step answers its own failures.
      // Still, never an unhandled rejection.
      try {
        answer(err);
      } catch (again) {
        log.error({ err: again }, 'grpc handler failed');
      }
    });
  };
}

/** The text with every lone surrogate replaced by U+FFFD (String#toWellFormed, which lib ES2023 lacks). */
function wellFormed(text: string): string {
  return text.replace(/\p{Cs}/gu, '\uFFFD');
}

/** What an undecodable request deserializes to (grpc-js takes null for "no message at all"). */
const UNDECODABLE: WireEventMessage = Object.freeze({});

/**
 * grpc-js answers a request it cannot deserialize with INTERNAL, a server fault, although the bytes
 * are the client's mistake. Such a request reaches the handler as UNDECODABLE instead, which it
 * answers INVALID_ARGUMENT. The `accepted` answer is encoded once, not by protobufjs on every call.
 */
function lenientDeserialize(service: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(service).map(([name, method]) => {
      const serialize = method.responseSerialize;
      const accepted = method.path === `/${LOG_METHOD}` ? serialize(ACCEPTED) : undefined;
      return [
        name,
        {
          ...method,
          requestDeserialize: (bytes: Buffer) => {
            try {
              return method.requestDeserialize(bytes);
            } catch {
              return UNDECODABLE;
            }
          },
          responseSerialize: (value: unknown) => (value === ACCEPTED && accepted ? accepted : serialize(value)),
        },
      ];
    }),
  );
}

function listenAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Ends a call whose request message has not fully arrived `timeoutMs` after its headers. grpc-js
 * calls a unary handler only once the message is complete, so without this a client trickling
 * or stalling its message would hold its stream (and keep its connection from ever being idle).
 */
function receiveTimeout(timeoutMs: number): ServerInterceptor {
  return (_method, call) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = () => clearTimeout(timer);
    const intercepted: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) => {
        timer = setTimeout(() => {
          intercepted.sendStatus({
            code: grpcStatus.DEADLINE_EXCEEDED,
            details: `the request message was not received within ${timeoutMs} ms`,
            metadata: new Metadata(),
          });
        }, timeoutMs);
        timer.unref();
        next({
          onReceiveMessage: (message, nextMessage) => {
            stop();
            nextMessage(message);
          },
          onCancel: stop,
        });
      },
      sendStatus: (status, next) => {
        stop();
        next(status);
      },
    });
    return intercepted;
  };
}

/** Starts the gRPC server; resolves once it listens. */
export async function startGrpcServer(deps: GrpcServerDeps): Promise<RunningGrpcServer> {
  const { options, ingress, metrics, logger } = deps;
  const log = logger.child({ component: 'grpc' });
  const ackMode = options.ackMode ?? 'confirmed';
  const health = new HealthService({
    services: [EVENT_LOGGER_SERVICE],
    health: deps.health,
    ...(options.healthPollMs === undefined ? {} : { pollMs: options.healthPollMs }),
  });
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    ...(options.maxConnectionIdleMs ? { 'grpc.max_connection_idle_ms': options.maxConnectionIdleMs } : {}),
    ...(options.maxConnectionAgeMs ? { 'grpc.max_connection_age_ms': options.maxConnectionAgeMs } : {}),
    ...(options.maxConnectionAgeGraceMs ? { 'grpc.max_connection_age_grace_ms': options.maxConnectionAgeGraceMs } : {}),
    ...(options.receiveTimeoutMs ? { interceptors: [receiveTimeout(options.receiveTimeoutMs)] } : {}),
  });
  server.addService(
    lenientDeserialize(loadEventLoggerService()),
    // Keyed by the proto's method name (grpc-js also accepts the SDK's lowerCamel `log`).
    {
      Log: createLogHandler({
        ingress,
        metrics,
        calls: createGrpcCallMetrics(metrics.registry, options.metricsPrefix),
        log,
        ackMode,
        authToken: options.authToken,
        shuttingDown: deps.shuttingDown,
      }),
    },
  );
  server.addService(loadHealthService(), health.implementation());

  const address = listenAddress(options.host, options.port);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(new Error(`the gRPC server cannot listen on ${address}: ${err.message}`, { cause: err }));
      else resolve(bound);
    });
  });
  log.info({ host: options.host, port, ackMode, auth: options.authToken !== undefined }, 'gRPC server listening');

  let closing: Promise<void> | undefined;
  const shutdown = async (timeoutMs: number): Promise<void> => {
    health.shutdown();
    const graceful = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!graceful) {
      log.warn({ timeoutMs }, 'gRPC calls still running at the shutdown bound; cancelling them');
      server.forceShutdown();
    }
    log.info('gRPC server closed');
  };

  return {
    host: options.host,
    port,
    health,
    close: (timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS) => (closing ??= shutdown(timeoutMs)),
  };
}
