// Assembles one sidecar from a config: logger, metrics registry, producer, spool, admission, ingress, the
// HTTP and gRPC transports (plus any registered before start) and the lifecycle that starts and stops
// them. Wiring only: each decision lives in the module it names. The CLI and the tests use the same
// object, so what the tests start is what operators run.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createOpenApiDocument, validateEvent } from '@event-sidecar/contract';
import { EventProducer, type EventProducerOptions } from '@event-sidecar/producer';
import { createAdmission } from './admission.js';
import { createBrokerProbe } from './broker-probe.js';
import type { SidecarConfig } from './config.js';
import { echoingValidator } from './event-echo.js';
import { createGrpcTransport } from './grpc/transport.js';
import { createApp } from './http/app.js';
import { createFastPath } from './http/fast-path.js';
import { createHttpTransport } from './http/server.js';
import { createIngress, type EventValidator, type Ingress } from './ingress.js';
import { createHttpLogger, createLogger } from './logger.js';
import { createMetrics, type SidecarMetrics } from './metrics.js';
import { createHealthPolicy } from './health-policy.js';
import { createLifecycle } from './lifecycle.js';
import { createSpool, type Spool } from './spool/spool.js';
import { recordCheck } from './delivery.js';
import type { SidecarProducer } from './producer-views.js';
import type { Transport } from './transport.js';

export interface SidecarDeps {
  /** Root logger; default: pino at `config.logLevel` (and `logOnly`) on stdout. */
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
    topicStrategy: kafka.topicStrategy,
    topicTemplate: kafka.topicTemplate,
    // Per-type topics are partitioned by trace id: the producer refuses a strategy or map with them.
    ...(kafka.topicStrategy === 'per-type' ? {} : { strategy: kafka.strategy }),
    ...(kafka.partitionMap === undefined || kafka.topicStrategy === 'per-type'
      ? {}
      : { partitionMap: kafka.partitionMap }),
    createTopic: typeof kafka.createTopic === 'object' ? { ...kafka.createTopic } : kafka.createTopic,
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
  const logger = deps.logger ?? createLogger(config.logLevel, undefined, config.logOnly);
  const registry = deps.registry ?? new Registry();
  if (config.metricsDefaultLabels) registry.setDefaultLabels({ ...config.metricsDefaultLabels });
  const metrics = createMetrics(registry);
  const version = deps.version ?? packageVersion();
  const producer =
    deps.producer ?? new EventProducer({ ...producerOptions(config, logger, metrics), ...deps.producerOverrides });
  // Opened at once, so a damaged file is reported (and what an earlier run left counted) before start.
  const spool = config.spool
    ? createSpool(config.spool, {
        producer,
        logger,
        registry,
        kafkaDown: () => producer.health().state === 'down',
      })
    : undefined;
  const admission = createAdmission({ config, producer, metrics, spooled: spool !== undefined });
  const validate = config.eventEcho
    ? echoingValidator(deps.validate ?? validateEvent, logger, config.eventEcho)
    : (deps.validate ?? validateEvent);
  const ingress = createIngress({
    producer,
    validate,
    metrics,
    admission,
    ...(spool ? { spool, recordCheck: recordCheck(config.producer.batchMaxBytes) } : {}),
  });
  // One answer for GET /health and grpc.health.v1, from the same inputs.
  const health = createHealthPolicy({
    producer,
    probe: createBrokerProbe(config.kafka.brokers, { timeoutMs: config.kafka.connectionTimeoutMs }),
    ...(spool ? { spool: () => spool.stats() } : {}),
  });
  const startTime = new Date();
  // One request logger for both HTTP paths, so their lines are alike and its set-up is paid once.
  const httpLogger = createHttpLogger(logger);
  const app = createApp({
    config,
    ingress,
    health,
    metrics,
    logger,
    httpLogger,
    version,
    startTime,
    openApiDocument: deps.openApiDocument ?? createOpenApiDocument({ maxBatchItems: config.http.maxBatchEvents }),
  });
  const fastPath = createFastPath({ config, ingress, httpLogger, metrics });
  const http = createHttpTransport({ config, admission, fastPath, app });
  const grpc = createGrpcTransport({
    config,
    ingress,
    health,
    metrics,
    logger,
    shuttingDown: admission.refusing,
  });
  const transports: Transport[] = [http, grpc];
  const lifecycle = createLifecycle({
    config,
    logger,
    producer,
    spool,
    admission,
    transports,
    describe: () => ({ port: http.port, inFlight: http.inFlight, version }),
  });

  return {
    ...{ config, logger, registry, metrics, producer, ingress, app, version, startTime },
    ...(spool ? { spool } : {}),
    httpServer: http.server,
    get httpPort() {
      return http.port;
    },
    get grpcPort() {
      return grpc.port;
    },
    addTransport(transport) {
      if (lifecycle.started) throw new Error('transports must be added before start');
      transports.push(transport);
    },
    start: () => lifecycle.start(),
    close: () => lifecycle.close(),
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
