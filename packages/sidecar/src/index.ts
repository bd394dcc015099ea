export {
  loadConfig,
  redactConfig,
  type SidecarConfig,
  type HttpConfig,
  type GrpcConfig,
  type KafkaConfig,
  type ProducerTuning,
  type SpoolSettings,
  type LogLevel,
  type AckMode,
  ACK_MODES,
} from './config.js';
export { CONFIG_VARIABLES, configTable, helpText, type ConfigVariable } from './config-doc.js';
export {
  SETTINGS,
  SETTING_NAMES,
  SETTING_GROUPS,
  readSettings,
  type Setting,
  type SettingGroup,
  type SettingName,
  type SettingValues,
} from './settings.js';
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
export { createLogger, createHttpLogger, requestIdOf, REDACT_PATHS, type HttpLoggerMiddleware } from './logger.js';
export {
  createIngress,
  validationError,
  type Ingress,
  type AcceptOutcome,
  type BatchOutcome,
  type EventValidator,
} from './ingress.js';
export type { HealthSource, Publisher, ReplayPublisher, SidecarProducer } from './producer-views.js';
export type { Transport } from './transport.js';
export {
  createHealthPolicy,
  decideHealth,
  kafkaHealth,
  spoolHealth,
  type HealthAnswer,
  type HealthInputs,
  type HealthPolicy,
} from './health-policy.js';
export { createApp, type AppDeps } from './http/app.js';
export { sendError } from './http/answers.js';
export { createBrokerProbe, splitBroker, type BrokerProbe, type ProbeResult } from './broker-probe.js';
export {
  createSidecar,
  startSidecar,
  producerOptions,
  packageVersion,
  type Sidecar,
  type SidecarDeps,
} from './sidecar.js';
export * from './grpc/index.js';
export {
  createSpool,
  shouldSpool,
  SpoolStore,
  Replayer,
  SPOOL_FILE,
  LOCK_FILE,
  SPOOL_OFF,
  replayVerdict,
  listDeadLetters,
  requeueDeadLetters,
  dropDeadLetters,
  spoolUnusable,
  type DeadLetter,
  type DeadLetterReason,
  type DeadLetterSelection,
  type ReplayVerdict,
  type SpoolFault,
  bytesOnDisk,
  defaultSpoolDir,
  lockSpoolDir,
  type SpoolLock,
  type Spool,
  type SpoolConfig,
  type SpoolDeps,
  type SpoolStoreOptions,
  type SpooledEvent,
  type SpoolStats,
  type SpoolSync,
  type ReplayerOptions,
} from './spool/spool.js';
