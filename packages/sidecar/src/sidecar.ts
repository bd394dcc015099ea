// Assembles one sidecar from a config: logger, metrics registry, producer, ingress, HTTP app and
// server, plus any further transports (the gRPC server) registered before start. The CLI and the
// tests use the same object, so what the tests start is what operators run.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createOpenApiDocument, validateEvent } from '@event-sidecar/contract';
import { EventProducer, ProducerError, type EventProducerOptions } from '@event-sidecar/producer';
import { createBrokerProbe } from './broker-probe.js';
import type { SidecarConfig } from './config.js';
import { createGrpcTransport } from './grpc/transport.js';
import { applyServerTimeouts, createApp } from './http/app.js';
import { earlyAnswer, sendEarlyAnswer } from './http/answers.js';
import { createFastPath } from './http/fast-path.js';
import { createIngress, type EventValidator, type Ingress } from './ingress.js';
import { createHttpLogger, createLogger } from './logger.js';
import { createMetrics, type SidecarMetrics } from './metrics.js';
import { createLoadMonitor } from './load-monitor.js';
import { SidecarError } from './errors.js';
import { createSpool, shouldSpool, type Spool } from './spool/index.js';
import { keepConnecting } from './kafka-connect.js';
import type { HealthSource, SidecarProducer } from './producer-views.js';
import { acceptingState, type Transport } from './transport.js';

export interface SidecarDeps {
  /** Root logger; default: pino at `config.logLevel` on stdout. */
  logger?: Logger;
  /** Registry for every metric of this sidecar; default: a new Registry. */
  registry?: Registry;
  /** Default: the version of this package. */
  version?: string;
  /** Default: an EventProducer built from the config (see `producerOptions`). */
  producer?: SidecarProducer;
  /** Overrides for the producer options the config gives (tests: a tiny queue). */
  producerOverrides?: Partial<EventProducerOptions>;
  /** Default: the contract's `validateEvent`. */
  validate?: EventValidator;
  /** Default: the contract's OpenAPI document with the configured batch limit. */
  openApiDocument?: object;
}

export interface Sidecar {
  readonly config: SidecarConfig;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly metrics: SidecarMetrics;
  readonly producer: SidecarProducer;
  readonly ingress: Ingress;
  /** The durable spool, when SPOOL_DIR is set. */
  readonly spool?: Spool;
  readonly app: Express;
  readonly httpServer: Server;
  readonly version: string;
  readonly startTime: Date;
  /** Port the HTTP server listens on (after start; useful with HTTP_PORT=0). */
  readonly httpPort: number;
  /** Port the gRPC server listens on (after start; useful with GRPC_PORT=0). */
  readonly grpcPort: number;
  /** Registers a transport (before start). */
  addTransport(transport: Transport): void;
  /**
   * Connects the producer (creating the topic when configured), then listens. With a spool, a Kafka that
   * cannot be reached does not stop the start: events are spooled while the connection is retried.
   */
  start(): Promise<void>;
  /**
   * Graceful stop, bounded by `config.shutdownTimeoutMs`: stop accepting connections, finish
   * requests in flight, close other transports, flush and close the producer. Idempotent.
   * Rejects when the bound was exceeded (connections were then cut).
   */
  close(): Promise<void>;
}

/** POST /events, the batch route (with or without a query). */
const isBatchRoute = (url: string | undefined): boolean => url === '/events' || url?.startsWith('/events?') === true;

/** How often the HTTP server looks for requests past their headers or request timeout. */
const TIMEOUT_SWEEP_MS = 500;
/**
 * How long the servers keep listening and reading once shutdown began, answering new requests
 * 503 / UNAVAILABLE with Retry-After: connections the kernel had accepted, and calls a client had
 * already sent, are answered instead of reset. At most a quarter of SHUTDOWN_TIMEOUT_MS; it ends
 * early once no HTTP connection is open and nothing was refused for DRAIN_QUIET_MS.
 */
const SHUTDOWN_DRAIN_MS = 1000;
const DRAIN_QUIET_MS = 100;
const DRAIN_POLL_MS = 25;
/**
 * Connections the kernel completes before the server accepts them (the kernel caps it at
 * net.core.somaxconn). Node's default, 511, overflows when thousands of clients connect while the
 * event loop is busy: SYNs are then dropped, clients wait seconds between retries, and a connection
 * the kernel gives up on is reset.
 */
const LISTEN_BACKLOG = 4096;

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** EventProducer options from the config. */
export function producerOptions(config: SidecarConfig, logger: Logger, metrics: SidecarMetrics): EventProducerOptions {
  const { kafka, producer } = config;
  let ssl: EventProducerOptions['ssl'] = false;
  if (kafka.ssl !== false)
    ssl =
      kafka.ssl.ca === undefined && kafka.ssl.rejectUnauthorized
        ? true
        : {
            rejectUnauthorized: kafka.ssl.rejectUnauthorized,
            ...(kafka.ssl.ca === undefined ? {} : { ca: kafka.ssl.ca }),
          };
  return {
    brokers: [...kafka.brokers],
    clientId: kafka.clientId,
    topic: kafka.topic,
    strategy: kafka.strategy,
    ...(kafka.partitionMap === undefined ? {} : { partitionMap: kafka.partitionMap }),
    createTopic: kafka.createTopic === false ? false : { ...kafka.createTopic },
    ssl,
    ...(kafka.sasl === undefined ? {} : { sasl: { ...kafka.sasl } }),
    connectionTimeoutMs: kafka.connectionTimeoutMs,
    requestTimeoutMs: kafka.requestTimeoutMs,
    publishTimeoutMs: producer.publishTimeoutMs,
    batch: {
      lingerMs: producer.lingerMs,
      maxEvents: producer.batchMaxEvents,
      maxBytes: producer.batchMaxBytes,
      maxQueue: producer.maxQueue,
      lanes: producer.lanes,
    },
    logger,
    metrics: metrics.producer,
  };
}

export function createSidecar(config: SidecarConfig, deps: SidecarDeps = {}): Sidecar {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const registry = deps.registry ?? new Registry();
  const metrics = createMetrics(registry);
  const version = deps.version ?? packageVersion();
  const producer =
    deps.producer ?? new EventProducer({ ...producerOptions(config, logger, metrics), ...deps.producerOverrides });
  // Opened at once, so a damaged file is reported (and what an earlier run left counted) before start.
  const spool = config.spool ? createSpool(config.spool, { producer, logger, registry }) : undefined;
  const loadMonitor = createLoadMonitor(config.http.maxEventLoopDelayMs);
  const ingress = createIngress({
    producer,
    validate: deps.validate ?? validateEvent,
    metrics,
    loadMonitor,
    ...(spool ? { spool } : {}),
  });
  const startTime = new Date();
  // gRPC health says whether Log calls are taken: with a spool they are while Kafka is down, or not
  // connected yet (a start without Kafka).
  const grpcHealth: HealthSource = {
    health: () => {
      const h = producer.health();
      return { ...h, state: acceptingState(h.state, spool !== undefined) };
    },
  };
  let closing = false;
  let lastRefusedAt = 0;
  /** True once shutdown began: the request is then refused (and the drain sees the traffic). */
  const refusing = (): boolean => {
    if (closing) lastRefusedAt = Date.now();
    return closing;
  };
  const grpc = createGrpcTransport({ config, ingress, producer: grpcHealth, metrics, logger, shuttingDown: refusing });
  const transports: Transport[] = [grpc];
  let started = false;
  let closed: Promise<void> | undefined;

  // One request logger for both paths, so their log lines are alike and its set-up is paid once.
  const httpLogger = createHttpLogger(logger);
  const app = createApp({
    httpLogger,
    config,
    ingress,
    producer,
    metrics,
    logger,
    version,
    startTime,
    openApiDocument: deps.openApiDocument ?? createOpenApiDocument({ maxBatchItems: config.http.maxBatchEvents }),
    brokerProbe: createBrokerProbe(config.kafka.brokers, { timeoutMs: config.kafka.connectionTimeoutMs }),
    isClosing: () => closing,
    loadMonitor,
    ...(spool ? { spoolStats: () => spool.stats() } : {}),
  });
  // Node enforces headersTimeout and requestTimeout from a periodic sweep, every 30 s unless told
  // otherwise: a client trickling bytes would hold its connection up to 30 s past HTTP_*_TIMEOUT_MS.
  // Once shutdown began, requests are answered here and never reach the app (nor the producer).
  // So are events while load is shed or MAX_IN_FLIGHT_BYTES is reached, and batches while the
  // producer's queue is full (each of their events would get 429 OVERLOADED after the body was
  // read, parsed and validated for nothing): no routing, no body, no log line, a body built once;
  // the connection stays open, since a client that reconnects costs more than one that waits.
  // Unread, a request's events are counted once, with type "unknown". A single event is not
  // refused for a full queue (it costs little, and the producer counts it by its type). With a
  // spool, events of a spooled trace bypass the queue, so a full queue is no reason to refuse them.
  const shuttingDown = earlyAnswer(new SidecarError('SHUTTING_DOWN', 'shutting down'), { close: true });
  const busy = earlyAnswer(new SidecarError('BUSY', 'overloaded'), { close: false });
  const queueFull = earlyAnswer(new ProducerError('OVERLOADED', 'the producer queue is full', { retryAfterMs: 1000 }), {
    close: false,
  });
  // Bodies being read, parsed, validated and published at once: what a crowd of clients costs in
  // memory, bounded by MAX_IN_FLIGHT_BYTES. A request alone is always taken.
  let inFlightBytes = 0;
  const maxInFlightBytes = config.http.maxInFlightBytes;
  const admit = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST') return true;
    if (loadMonitor.overloaded()) {
      metrics.failed('unknown', 'http', 'BUSY');
      sendEarlyAnswer(req, res, busy, 0);
      return false;
    }
    if (!spool && isBatchRoute(req.url) && producer.health().queueDepth >= config.producer.maxQueue) {
      metrics.failed('unknown', 'http', 'OVERLOADED');
      sendEarlyAnswer(req, res, queueFull, 0);
      return false;
    }
    if (maxInFlightBytes > 0) {
      const declared = Number(req.headers['content-length']);
      const bytes = Number.isSafeInteger(declared) && declared >= 0 ? declared : config.http.maxBodyBytes;
      if (inFlightBytes > 0 && inFlightBytes + bytes > maxInFlightBytes) {
        metrics.failed('unknown', 'http', 'OVERLOADED');
        sendEarlyAnswer(req, res, queueFull, 0);
        return false;
      }
      inFlightBytes += bytes;
      res.once('close', () => (inFlightBytes -= bytes));
    }
    return true;
  };
  // Most event requests are answered in front of express, alike (http/fast-path.ts).
  const fastPath = createFastPath({ config, ingress, httpLogger });
  const httpServer = createServer({ connectionsCheckingInterval: TIMEOUT_SWEEP_MS }, (req, res) => {
    if (refusing()) sendEarlyAnswer(req, res, shuttingDown, config.http.maxBodyBytes);
    else if (admit(req, res) && !fastPath(req, res)) void app(req, res);
  });
  applyServerTimeouts(httpServer, config);

  // Answers still being computed when shutdown starts must close their connection afterwards,
  // or a keep-alive client would hold the server open until the bound.
  const inFlight = new Set<ServerResponse>();
  httpServer.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen({ port: config.http.port, host: config.http.host, backlog: LISTEN_BACKLOG }, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });

  const httpPort = (): number => {
    const address = httpServer.address() as AddressInfo | null;
    return address?.port ?? config.http.port;
  };

  const openConnections = () =>
    new Promise<number>((resolve) => httpServer.getConnections((err, count) => resolve(err ? 0 : count)));

  /**
   * The drain: the servers keep listening and reading, every new request is refused (503 /
   * UNAVAILABLE, Retry-After) and its connection closed. A connection accepted but not read yet
   * when a server stops would otherwise be reset, and a gRPC call in the pipe refused by GOAWAY.
   */
  const drain = async (deadline: number): Promise<void> => {
    for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
    const end = Math.min(Date.now() + Math.min(SHUTDOWN_DRAIN_MS, config.shutdownTimeoutMs / 4), deadline);
    while (Date.now() < end) {
      const busy =
        Date.now() - lastRefusedAt < DRAIN_QUIET_MS || (httpServer.listening && (await openConnections()) > 0);
      if (!busy) return;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(DRAIN_POLL_MS, end - Date.now()))));
    }
  };

  /** Stops listening, closes the idle connections and waits for the answers in flight. */
  const closeHttp = (deadline: number) =>
    new Promise<void>((resolve) => {
      if (!httpServer.listening) return resolve();
      for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
      const timer = setTimeout(() => httpServer.closeAllConnections(), Math.max(0, deadline - Date.now()));
      httpServer.close(() => {
        clearTimeout(timer);
        resolve();
      });
      httpServer.closeIdleConnections();
    });

  async function doClose(): Promise<void> {
    closing = true;
    const deadline = Date.now() + config.shutdownTimeoutMs;
    logger.info({ inFlight: inFlight.size, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    if (started) await drain(deadline);
    const results = await Promise.allSettled([closeHttp(deadline), ...transports.map((t) => t.close(deadline))]);
    for (const r of results) if (r.status === 'rejected') logger.error({ err: r.reason }, 'transport close failed');
    // The replayer needs the producer: it stops (its round delivered or kept) before the producer closes,
    // within half the time left so that the producer keeps the other half to flush.
    if (spool)
      await spool
        .close(deadline - (deadline - Date.now()) / 2)
        .catch((err: unknown) => logger.error({ err }, 'spool close failed'));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      producer.close().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()));
      }),
    ]).finally(() => clearTimeout(timer));
    loadMonitor.close();
    if (timedOut) throw new Error(`shutdown exceeded ${config.shutdownTimeoutMs} ms: events may be lost`);
    logger.info('shut down');
  }

  /**
   * Without a spool a Kafka that cannot be reached fails the start: nothing could take the events, and an
   * operator's mistake (wrong address, missing topic) must show at once. With a spool the sidecar starts
   * anyway when the failure is one the spool is for (Kafka away, as `shouldSpool` judges it): events are
   * spooled, and the connection is retried in the background; once connected the replayer delivers them.
   * Failures that waiting would not cure (refused credentials, too few partitions) still fail the start.
   */
  async function connectAtStart(): Promise<'connected' | 'connecting'> {
    if (!spool) {
      await producer.connect();
      return 'connected';
    }
    try {
      await producer.connect();
      return 'connected';
    } catch (err) {
      if (!shouldSpool(err) || closing) throw err;
      logger.warn(
        { err, spooled: spool.stats().events },
        'Kafka is unavailable: starting without it; events are spooled until it connects',
      );
      // Its timer does not hold the process, and it ends by itself once closing: close() needs no part in it.
      keepConnecting({
        connect: () => producer.connect(),
        stopped: () => closing,
        onConnected: () => spool.start(),
        logger,
      });
      return 'connecting';
    }
  }

  return {
    config,
    logger,
    registry,
    metrics,
    producer,
    ingress,
    ...(spool ? { spool } : {}),
    app,
    httpServer,
    version,
    startTime,
    get httpPort() {
      return httpPort();
    },
    get grpcPort() {
      return grpc.port;
    },
    addTransport(transport) {
      if (started) throw new Error('transports must be added before start');
      transports.push(transport);
    },
    async start() {
      if (started) throw new Error('already started');
      started = true;
      const kafka = await connectAtStart();
      // A signal during the connect: close() owns the shutdown, do not start listening behind it.
      if (closing) throw new Error('closed while starting');
      if (kafka === 'connected') spool?.start();
      await listen();
      for (const transport of transports) await transport.start();
      logger.info(
        {
          port: httpPort(),
          topic: producer.topic,
          version,
          transports: ['http', ...transports.map((t) => t.name)],
          kafka,
        },
        'event-sidecar started',
      );
    },
    close() {
      closed ??= doClose();
      return closed;
    },
  };
}

/** createSidecar + start; on a failed start everything opened so far is closed again. */
export async function startSidecar(config: SidecarConfig, deps: SidecarDeps = {}): Promise<Sidecar> {
  const sidecar = createSidecar(config, deps);
  try {
    await sidecar.start();
  } catch (err) {
    await sidecar.close().catch(() => undefined);
    throw err;
  }
  return sidecar;
}
