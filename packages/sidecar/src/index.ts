export {
  loadConfig,
  redactConfig,
  type SidecarConfig,
  type HttpConfig,
  type GrpcConfig,
  type KafkaConfig,
  type ProducerTuning,
  type LogLevel,
  type AckMode,
  ACK_MODES,
} from './config.js';
export { CONFIG_VARIABLES, configTable, type ConfigVariable } from './config-doc.js';
export {
  SIDECAR_ERROR_CODES,
  ERROR_STATUS,
  SidecarError,
  ConfigError,
  isSidecarError,
  resolveError,
  errorBody,
  type SidecarErrorCode,
  type ErrorCode,
  type ErrorStatus,
  type ResolvedError,
  type GrpcStatusName,
  type ErrorInformationBody,
} from './errors.js';
export { bearerMatches, tokensEqual } from './auth.js';
export {
  createMetrics,
  eventTypeLabel,
  type SidecarMetrics,
  type TransportName,
  type EventTypeLabel,
  type MetricsOptions,
} from './metrics.js';
export { createLogger, createHttpLogger, requestIdOf, REDACT_PATHS } from './logger.js';
export {
  createIngress,
  validationError,
  type Ingress,
  type AcceptOutcome,
  type BatchOutcome,
  type EventValidator,
  type Publisher,
} from './ingress.js';
export { createApp, kafkaHealth, sendError, type AppDeps } from './http/app.js';
export { createBrokerProbe, splitBroker, type BrokerProbe, type ProbeResult } from './broker-probe.js';
export {
  createSidecar,
  startSidecar,
  producerOptions,
  packageVersion,
  type Sidecar,
  type SidecarDeps,
  type SidecarProducer,
  type Transport,
} from './sidecar.js';
export {
  startGrpcServer,
  createGrpcTransport,
  grpcServerOptions,
  HealthService,
  servingStatusOf,
  wireToEvent,
  decodeContent,
  SDK_PROTO_OPTIONS,
  EVENT_LOGGER_SERVICE,
  HEALTH_SERVICE,
  LOG_METHOD,
  HEALTH_PROTO_JSON,
  loadEventLoggerPackage,
  loadEventLoggerService,
  loadHealthPackage,
  loadHealthService,
  type GrpcServerDeps,
  type GrpcServerOptions,
  type RunningGrpcServer,
  type GrpcTransport,
  type GrpcTransportDeps,
  type ServingStatus,
  type WireAny,
  type WireEventMessage,
  type DecodeResult,
} from './grpc/index.js';
