// What a program that embeds the sidecar needs: read the configuration, build or start a sidecar, add a transport
// (the Ingress it calls, the errors it answers with), and the types these name. The rest is internal.
export {
  loadConfig,
  type SidecarConfig,
  type HttpConfig,
  type GrpcConfig,
  type KafkaConfig,
  type ProducerTuning,
  type SpoolSettings,
  type LogLevel,
  type AckMode,
} from './config.js';
export { createSidecar, startSidecar, type Sidecar, type SidecarDeps } from './sidecar.js';
export type { Transport } from './transport.js';
export type { Ingress, AcceptOutcome, BatchOutcome, EventValidator } from './ingress.js';
export {
  SIDECAR_ERROR_CODES,
  ERROR_STATUS,
  SidecarError,
  ConfigError,
  isSidecarError,
  resolveError,
  type SidecarErrorCode,
  type ErrorCode,
  type ErrorStatus,
  type ResolvedError,
  type GrpcStatusName,
} from './errors.js';
export { bearerMatches } from './auth.js';
export { createLogger } from './logger.js';
export type { SidecarMetrics, TransportName } from './metrics.js';
export type { SidecarProducer, Publisher, HealthSource } from './producer-views.js';
export type { Spool } from './spool/spool.js';
export type { SpoolStats, SpoolSync } from './spool/store.js';
// The spool benchmark (scripts/bench/spool.ts) assembles an ingress over a spool without a sidecar.
export { createIngress } from './ingress.js';
export { createMetrics } from './metrics.js';
export { createSpool } from './spool/spool.js';
