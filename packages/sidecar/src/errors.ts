// Every error the sidecar can answer with, and the one table that maps an error code to its
// HTTP status, gRPC status and Mojaloop error code. The HTTP app and the gRPC server both
// answer through `resolveError`, so a code means the same thing on every transport.
import { isProducerError, type ProducerErrorCode } from '@event-sidecar/producer';

export const SIDECAR_ERROR_CODES = [
  'INVALID_CONFIG', // start-up only: the environment has problems
  'VALIDATION_FAILED', // the event (or request) does not match the contract
  'MALFORMED_JSON',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'UNAUTHORIZED',
  'INTERNAL',
] as const;
export type SidecarErrorCode = (typeof SIDECAR_ERROR_CODES)[number];
export type ErrorCode = SidecarErrorCode | ProducerErrorCode;

export interface SidecarErrorOptions {
  cause?: unknown;
  /** JSON pointer of the request field that failed, for example `/body/metadata/trace/traceId`. */
  field?: string;
  /** Extra HTTP headers the answer needs (`Allow` for 405). */
  headers?: Record<string, string>;
}

export class SidecarError extends Error {
  readonly code: SidecarErrorCode;
  readonly canRetry: boolean;
  readonly field?: string;
  readonly headers?: Record<string, string>;

  constructor(code: SidecarErrorCode, message: string, options: SidecarErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SidecarError';
    this.code = code;
    // Nothing a client sent wrong gets better by sending it again.
    this.canRetry = false;
    if (options.field !== undefined) this.field = options.field;
    if (options.headers !== undefined) this.headers = options.headers;
  }
}

export function isSidecarError(err: unknown): err is SidecarError {
  return err instanceof SidecarError;
}

/** Thrown by `loadConfig`: every problem found in the environment, one per line. */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG' as const;
  readonly canRetry = false;
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

/** gRPC status names (grpc-js `status` enum keys) the sidecar answers with. */
export type GrpcStatusName =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'UNIMPLEMENTED'
  | 'UNAUTHENTICATED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'FAILED_PRECONDITION'
  | 'INTERNAL';

export interface ErrorStatus {
  readonly http: number;
  readonly grpc: GrpcStatusName;
  /** Mojaloop FSPIOP error code (`errorInformation.errorCode`). */
  readonly mojaloopCode: string;
  /** Default `Retry-After` in seconds; set only where retrying the same request can succeed. */
  readonly retryAfterSeconds?: number;
}

// Mojaloop FSPIOP error codes: 2001 internal server error, 2003 service currently unavailable,
// 2004 server timed out, 2005 server busy, 3000 generic client error, 3001 unacceptable version,
// 3002 unknown URI, 3100 generic validation error, 3101 malformed syntax, 3104 too large payload.
export const ERROR_STATUS: Readonly<Record<ErrorCode, ErrorStatus>> = Object.freeze({
  // Sidecar
  INVALID_CONFIG: { http: 500, grpc: 'INTERNAL', mojaloopCode: '2001' },
  VALIDATION_FAILED: { http: 400, grpc: 'INVALID_ARGUMENT', mojaloopCode: '3100' },
  MALFORMED_JSON: { http: 400, grpc: 'INVALID_ARGUMENT', mojaloopCode: '3101' },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: 'RESOURCE_EXHAUSTED', mojaloopCode: '3104' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, grpc: 'INVALID_ARGUMENT', mojaloopCode: '3001' },
  NOT_FOUND: { http: 404, grpc: 'UNIMPLEMENTED', mojaloopCode: '3002' },
  METHOD_NOT_ALLOWED: { http: 405, grpc: 'UNIMPLEMENTED', mojaloopCode: '3000' },
  UNAUTHORIZED: { http: 401, grpc: 'UNAUTHENTICATED', mojaloopCode: '3000' },
  INTERNAL: { http: 500, grpc: 'INTERNAL', mojaloopCode: '2001' },
  // Producer
  INVALID_OPTIONS: { http: 500, grpc: 'INTERNAL', mojaloopCode: '2001' },
  TOPIC_NOT_FOUND: { http: 503, grpc: 'UNAVAILABLE', mojaloopCode: '2003', retryAfterSeconds: 5 },
  NOT_ENOUGH_PARTITIONS: { http: 503, grpc: 'UNAVAILABLE', mojaloopCode: '2003', retryAfterSeconds: 5 },
  CONNECTION_FAILED: { http: 503, grpc: 'UNAVAILABLE', mojaloopCode: '2003', retryAfterSeconds: 5 },
  OVERLOADED: { http: 429, grpc: 'RESOURCE_EXHAUSTED', mojaloopCode: '2005', retryAfterSeconds: 1 },
  PUBLISH_TIMEOUT: { http: 503, grpc: 'UNAVAILABLE', mojaloopCode: '2004', retryAfterSeconds: 5 },
  KAFKA_UNAVAILABLE: { http: 503, grpc: 'UNAVAILABLE', mojaloopCode: '2003', retryAfterSeconds: 5 },
  INVALID_EVENT: { http: 400, grpc: 'INVALID_ARGUMENT', mojaloopCode: '3100' },
  RECORD_TOO_LARGE: { http: 413, grpc: 'RESOURCE_EXHAUSTED', mojaloopCode: '3104' },
  CLOSED: { http: 503, grpc: 'UNAVAILABLE', mojaloopCode: '2003', retryAfterSeconds: 1 },
  KAFKA_ERROR: { http: 503, grpc: 'UNAVAILABLE', mojaloopCode: '2003', retryAfterSeconds: 5 },
  UNKNOWN: { http: 500, grpc: 'INTERNAL', mojaloopCode: '2001' },
} satisfies Record<ErrorCode, ErrorStatus>);

/** An error as a transport answers it. */
export interface ResolvedError {
  readonly code: ErrorCode;
  readonly http: number;
  readonly grpc: GrpcStatusName;
  readonly mojaloopCode: string;
  /** Safe to show a client: never a stack, never an internal message for 5xx. */
  readonly description: string;
  readonly field?: string;
  readonly canRetry: boolean;
  /** Whole seconds for `Retry-After` (gRPC: `retry-after` trailer); only when retrying can help. */
  readonly retryAfterSeconds?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

const GENERIC_DESCRIPTION: Partial<Record<ErrorCode, string>> = {
  INTERNAL: 'Internal server error',
  UNKNOWN: 'Internal server error',
  INVALID_OPTIONS: 'Internal server error',
  INVALID_CONFIG: 'Internal server error',
  KAFKA_UNAVAILABLE: 'Kafka is unavailable',
  CONNECTION_FAILED: 'Kafka is unavailable',
  TOPIC_NOT_FOUND: 'Kafka is unavailable',
  NOT_ENOUGH_PARTITIONS: 'Kafka is unavailable',
  KAFKA_ERROR: 'Kafka could not store the event',
  PUBLISH_TIMEOUT: 'Kafka did not confirm the event in time',
  OVERLOADED: 'Too many events waiting for Kafka',
  CLOSED: 'The sidecar is shutting down',
};

/**
 * Maps any error to what a transport answers. Producer errors keep their `canRetry` and
 * `retryAfterMs`; a Kafka error that is not retriable is a 500, not a 503. Anything
 * unclassified is INTERNAL: its message stays in the log, the client sees a generic text.
 */
export function resolveError(err: unknown): ResolvedError {
  if (isSidecarError(err)) {
    const status = ERROR_STATUS[err.code];
    return {
      code: err.code,
      ...status,
      description: status.http >= 500 ? (GENERIC_DESCRIPTION[err.code] ?? 'Internal server error') : err.message,
      canRetry: err.canRetry,
      ...(err.field === undefined ? {} : { field: err.field }),
      ...(err.headers === undefined ? {} : { headers: err.headers }),
    };
  }
  if (isProducerError(err)) {
    let code: ErrorCode = err.code;
    if (code === 'KAFKA_ERROR' && !err.canRetry) code = 'UNKNOWN';
    const { retryAfterSeconds, ...status } = ERROR_STATUS[code];
    const retryAfter =
      err.retryAfterMs !== undefined && err.retryAfterMs > 0 ? Math.ceil(err.retryAfterMs / 1000) : retryAfterSeconds;
    const canRetry = err.canRetry && status.http !== 413;
    return {
      code,
      ...status,
      description:
        status.http === 413 ? 'The event is larger than Kafka accepts' : (GENERIC_DESCRIPTION[code] ?? err.message),
      canRetry,
      ...(canRetry && retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
    };
  }
  const status = ERROR_STATUS.INTERNAL;
  return { code: 'INTERNAL', ...status, description: 'Internal server error', canRetry: false };
}

/** The Mojaloop `errorInformation` body. */
export interface ErrorInformationBody {
  errorInformation: { errorCode: string; errorDescription: string; field?: string };
}

export function errorBody(resolved: ResolvedError): ErrorInformationBody {
  return {
    errorInformation: {
      errorCode: resolved.mojaloopCode,
      errorDescription: resolved.description,
      ...(resolved.field === undefined ? {} : { field: resolved.field }),
    },
  };
}
