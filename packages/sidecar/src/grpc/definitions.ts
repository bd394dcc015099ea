// Service definitions of the gRPC server: the contract's EventLoggerService, loaded exactly as
// @mojaloop/event-sdk's client loads it (so both sides agree on how enums and absent fields look),
// and the standard grpc.health.v1 service, vendored here as a protobufjs JSON descriptor so that
// no .proto file has to be copied next to the compiled code.
import protoLoader from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { protoPath } from '@event-sidecar/contract';

/**
 * The options event-sdk loads its proto with (src/transport/EventLoggerServiceLoader.ts): enums
 * travel as their names and absent proto3 fields stay absent (no '' or 0 filled in).
 */
const SDK_PROTO_OPTIONS: protoLoader.Options = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
});

export const EVENT_LOGGER_SERVICE = 'mojaloop.events.EventLoggerService';
export const LOG_METHOD = `${EVENT_LOGGER_SERVICE}/Log`;
const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** grpc/grpc-proto grpc/health/v1/health.proto (Check and Watch), as protobufjs JSON. */
const HEALTH_PROTO_JSON: Parameters<typeof protoLoader.fromJSON>[0] = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: {
                    ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } },
                  },
                },
                Health: {
                  methods: {
                    Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse', comment: '' },
                    Watch: {
                      requestType: 'HealthCheckRequest',
                      responseType: 'HealthCheckResponse',
                      responseStream: true,
                      comment: '',
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

export function loadEventLoggerPackage(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(protoPath, SDK_PROTO_OPTIONS);
}

export function loadEventLoggerService(): ServiceDefinition {
  return loadEventLoggerPackage()[EVENT_LOGGER_SERVICE] as ServiceDefinition;
}

function loadHealthPackage(): protoLoader.PackageDefinition {
  // defaults: true so that a client reading this definition sees UNKNOWN (0) rather than nothing.
  return protoLoader.fromJSON(HEALTH_PROTO_JSON, { ...SDK_PROTO_OPTIONS, defaults: true });
}

export function loadHealthService(): ServiceDefinition {
  return loadHealthPackage()[HEALTH_SERVICE] as ServiceDefinition;
}
