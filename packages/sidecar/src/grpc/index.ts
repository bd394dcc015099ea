export { startGrpcServer, type GrpcServerDeps, type GrpcServerOptions, type RunningGrpcServer } from './server.js';
export { createGrpcTransport, grpcServerOptions, type GrpcTransport, type GrpcTransportDeps } from './transport.js';
export { HealthService, type HealthServiceOptions, type ServingStatus } from './health.js';
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
