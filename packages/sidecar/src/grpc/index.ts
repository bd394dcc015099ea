export {
  startGrpcServer,
  ACK_MODES,
  type AckMode,
  type GrpcProducer,
  type GrpcServerDeps,
  type GrpcServerOptions,
  type RunningGrpcServer,
} from './server.js';
export { HealthService, servingStatusOf, type ServingStatus } from './health.js';
export { wireToEvent, decodeContent, type WireAny, type WireEventMessage, type DecodeResult } from './decode.js';
export {
  SDK_PROTO_OPTIONS,
  EVENT_LOGGER_SERVICE,
  HEALTH_SERVICE,
  LOG_METHOD,
  HEALTH_PROTO_JSON,
  loadEventLoggerPackage,
  loadEventLoggerService,
  loadHealthPackage,
  loadHealthService,
} from './definitions.js';
