// Every error the sidecar can answer with, and the one table that maps an error code to its
// HTTP status, gRPC status and Mojaloop error code (from the contract's ERROR_CODES). The HTTP app and the gRPC server both
// answer through `resolveError`, so a code means the same thing on every transport.
import { ERROR_CODES, errorCodeNameForIssue, type ErrorCodeName, type ValidationIssue } from '@event-sidecar/contract';
import { isProducerError, type ProducerErrorCode } from '@event-sidecar/producer';

export const SIDECAR_ERROR_CODES = [
  'VALIDATION_FAILED', // the event (or request) does not match the contract
  'MALFORMED_JSON',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'UNAUTHORIZED',
  'INTERNAL',
  'SPOOL_FULL', // the spool holds SPOOL_MAX_BYTES (or its disk is full) while Kafka is away
  'SPOOL_FAILED', // the spool could not store the event (I/O error, closed)
  'BUSY', // the event loop runs later than MAX_EVENT_LOOP_DELAY_MS: load is shed before any work
  'SHUTTING_DOWN', // a request that arrived after shutdown began: answered, not taken
] as const;
export type SidecarErrorCode = (typeof SIDECAR_ERROR_CODES)[number];
export type ErrorCode = SidecarErrorCode | ProducerErrorCode;

export interface SidecarErrorOptions {
  cause?: unknown;
  /** The contract violation (VALIDATION_FAILED): its field, message and JSON Schema keyword. */
  issue?: ValidationIssue;
  /** JSON pointer of the field that failed, into the event (`/metadata/trace/traceId`); `''` for the whole body. */
  field?: string;
  /** Extra HTTP headers the answer needs (`Allow` for 405). */
  headers?: Record<string, string>;
}

export class SidecarError extends Error {
  readonly code: SidecarErrorCode;
  readonly canRetry: boolean;
  readonly issue?: ValidationIssue;
  readonly field?: string;
  readonly headers?: Record<string, string>;

  constructor(code: SidecarErrorCode, message: string, options: SidecarErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SidecarError';
    this.code = code;
    // Nothing a client sent wrong gets better by sending it again; a full or failing spool may.
    this.canRetry = code === 'SPOOL_FULL' || code === 'SPOOL_FAILED' || code === 'BUSY' || code === 'SHUTTING_DOWN';
    if (options.issue !== undefined) this.issue = options.issue;
    const field = options.field ?? options.issue?.field;
    if (field !== undefined) this.field = field;
    if (options.headers !== undefined) this.headers = options.headers;
  }
}

export function isSidecarError(err: unknown): err is SidecarError {
  return err instanceof SidecarError;
}

/**
 * Thrown by `loadConfig` (and at start when SPOOL_DIR is unusable): every problem found, one per line. Not a
 * SidecarError: it stops the start and is never answered to a client.
 */
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
  /** Key of the contract's ERROR_CODES (the Mojaloop code and name); a validation issue may refine it. */
  readonly mojaloop: ErrorCodeName;
  /** Default `Retry-After` in seconds; set only where retrying the same request can succeed. */
  readonly retryAfterSeconds?: number;
}

// Kafka is down or did not confirm in time: 503 "try again later", as for a sidecar that is
// starting or stopping. A delivery Kafka refused for a retriable reason is the contract's 502.
export const ERROR_STATUS: Readonly<Record<ErrorCode, ErrorStatus>> = Object.freeze({
  // Sidecar
  VALIDATION_FAILED: { http: 400, grpc: 'INVALID_ARGUMENT', mojaloop: 'GENERIC_VALIDATION_ERROR' },
  MALFORMED_JSON: { http: 400, grpc: 'INVALID_ARGUMENT', mojaloop: 'MALFORMED_SYNTAX' },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: 'RESOURCE_EXHAUSTED', mojaloop: 'TOO_LARGE_PAYLOAD' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, grpc: 'INVALID_ARGUMENT', mojaloop: 'GENERIC_CLIENT_ERROR' },
  NOT_FOUND: { http: 404, grpc: 'UNIMPLEMENTED', mojaloop: 'UNKNOWN_URI' },
  METHOD_NOT_ALLOWED: { http: 405, grpc: 'UNIMPLEMENTED', mojaloop: 'GENERIC_CLIENT_ERROR' },
  UNAUTHORIZED: { http: 401, grpc: 'UNAUTHENTICATED', mojaloop: 'GENERIC_CLIENT_ERROR' },
  INTERNAL: { http: 500, grpc: 'INTERNAL', mojaloop: 'INTERNAL_SERVER_ERROR' },
  // Spool: Kafka is away and the event could not be kept either; the same 503 as without a spool.
  SPOOL_FULL: { http: 503, grpc: 'UNAVAILABLE', mojaloop: 'SERVICE_CURRENTLY_UNAVAILABLE', retryAfterSeconds: 5 },
  BUSY: { http: 503, grpc: 'UNAVAILABLE', mojaloop: 'SERVICE_CURRENTLY_UNAVAILABLE', retryAfterSeconds: 1 },
  SPOOL_FAILED: { http: 503, grpc: 'UNAVAILABLE', mojaloop: 'SERVICE_CURRENTLY_UNAVAILABLE', retryAfterSeconds: 5 },
  SHUTTING_DOWN: {
    http: 503,
    grpc: 'UNAVAILABLE',
    mojaloop: 'SERVICE_CURRENTLY_UNAVAILABLE',
    retryAfterSeconds: 1,
  },
  // Producer
  INVALID_OPTIONS: { http: 500, grpc: 'INTERNAL', mojaloop: 'INTERNAL_SERVER_ERROR' },
  TOPIC_NOT_FOUND: { http: 503, grpc: 'UNAVAILABLE', mojaloop: 'SERVICE_CURRENTLY_UNAVAILABLE', retryAfterSeconds: 5 },
  NOT_ENOUGH_PARTITIONS: {
    http: 503,
    grpc: 'UNAVAILABLE',
    mojaloop: 'SERVICE_CURRENTLY_UNAVAILABLE',
    retryAfterSeconds: 5,
  },
  CONNECTION_FAILED: {
    http: 503,
    grpc: 'UNAVAILABLE',
    mojaloop: 'SERVICE_CURRENTLY_UNAVAILABLE',
    retryAfterSeconds: 5,
  },
  OVERLOADED: { http: 429, grpc: 'RESOURCE_EXHAUSTED', mojaloop: 'SERVER_BUSY', retryAfterSeconds: 1 },
  PUBLISH_TIMEOUT: { http: 503, grpc: 'UNAVAILABLE', mojaloop: 'SERVICE_CURRENTLY_UNAVAILABLE', retryAfterSeconds: 5 },
  KAFKA_UNAVAILABLE: {
    http: 503,
    grpc: 'UNAVAILABLE',
    mojaloop: 'SERVICE_CURRENTLY_UNAVAILABLE',
    retryAfterSeconds: 5,
  },
  INVALID_EVENT: { http: 400, grpc: 'INVALID_ARGUMENT', mojaloop: 'GENERIC_VALIDATION_ERROR' },
  RECORD_TOO_LARGE: { http: 413, grpc: 'RESOURCE_EXHAUSTED', mojaloop: 'TOO_LARGE_PAYLOAD' },
  CLOSED: { http: 503, grpc: 'UNAVAILABLE', mojaloop: 'SERVICE_CURRENTLY_UNAVAILABLE', retryAfterSeconds: 1 },
  KAFKA_ERROR: { http: 502, grpc: 'UNAVAILABLE', mojaloop: 'DESTINATION_COMMUNICATION_ERROR', retryAfterSeconds: 5 },
  UNKNOWN: { http: 500, grpc: 'INTERNAL', mojaloop: 'INTERNAL_SERVER_ERROR' },
} satisfies Record<ErrorCode, ErrorStatus>);

/** An error as a transport answers it. */
export interface ResolvedError {
  readonly code: ErrorCode;
  readonly http: number;
  readonly grpc: GrpcStatusName;
  /** Mojaloop error code (`errorInformation.errorCode`), four digits. */
  readonly mojaloopCode: string;
  /** `<Mojaloop name> - <detail>`; safe to show a client: never a stack, never internals for 5xx. */
  readonly description: string;
  /** JSON pointer into the event (or `''` for the whole body), when one field is to blame. */
  readonly field?: string;
  readonly canRetry: boolean;
  /** Whole seconds for `Retry-After` (gRPC: a `retry-after` trailer); only when retrying can help. */
  readonly retryAfterSeconds?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a client is told about a server-side failure: no internal message ever reaches it. */
const SERVER_DETAIL: Partial<Record<ErrorCode, string>> = {
  KAFKA_UNAVAILABLE: 'Kafka is unavailable',
  CONNECTION_FAILED: 'Kafka is unavailable',
  TOPIC_NOT_FOUND: 'Kafka is unavailable',
  NOT_ENOUGH_PARTITIONS: 'Kafka is unavailable',
  PUBLISH_TIMEOUT: 'Kafka did not confirm the event in time; it may have been stored',
  KAFKA_ERROR: 'Kafka did not accept the event',
  OVERLOADED: 'too many events waiting for Kafka',
  CLOSED: 'the sidecar is shutting down',
  RECORD_TOO_LARGE: 'the event is larger than Kafka accepts',
  SPOOL_FULL: 'Kafka is unavailable and the spool is full',
  BUSY: 'the sidecar is overloaded',
  SHUTTING_DOWN: 'the sidecar is shutting down',
  SPOOL_FAILED: 'Kafka is unavailable and the spool could not store the event',
  INVALID_EVENT: 'the event cannot be published',
};

const describe = (name: ErrorCodeName, detail?: string): string => {
  const title = ERROR_CODES[name].name;
  return (detail ? `${title} - ${detail}` : title).slice(0, 1024);
};

/**
 * Maps any error to what a transport answers. Producer errors keep their `canRetry` and
 * `retryAfterMs`; a Kafka error that is not retriable is a 500. Anything unclassified is
 * INTERNAL: its message stays in the log, the client sees a generic text.
 */
export function resolveError(err: unknown): ResolvedError {
  if (isSidecarError(err)) {
    const status = ERROR_STATUS[err.code];
    const mojaloop = err.issue ? errorCodeNameForIssue(err.issue) : status.mojaloop;
    // A validation error's message is already `<field or subject> <what is wrong>`.
    const detail = status.http >= 500 ? SERVER_DETAIL[err.code] : err.message;
    const retryAfter = err.canRetry ? status.retryAfterSeconds : undefined;
    return {
      code: err.code,
      http: status.http,
      grpc: status.grpc,
      mojaloopCode: ERROR_CODES[mojaloop].code,
      description: describe(mojaloop, detail),
      canRetry: err.canRetry,
      ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
      ...(err.field === undefined ? {} : { field: err.field }),
      ...(err.headers === undefined ? {} : { headers: err.headers }),
    };
  }
  if (isProducerError(err)) {
    let code: ErrorCode = err.code;
    if (code === 'KAFKA_ERROR' && !err.canRetry) code = 'UNKNOWN';
    const status = ERROR_STATUS[code];
    const canRetry = err.canRetry && status.retryAfterSeconds !== undefined;
    const retryAfter =
      err.retryAfterMs !== undefined && err.retryAfterMs > 0
        ? Math.ceil(err.retryAfterMs / 1000)
        : status.retryAfterSeconds;
    return {
      code,
      http: status.http,
      grpc: status.grpc,
      mojaloopCode: ERROR_CODES[status.mojaloop].code,
      description: describe(status.mojaloop, SERVER_DETAIL[code]),
      canRetry,
      ...(canRetry && retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
    };
  }
  const status = ERROR_STATUS.INTERNAL;
  return {
    code: 'INTERNAL',
    http: status.http,
    grpc: status.grpc,
    mojaloopCode: ERROR_CODES[status.mojaloop].code,
    description: describe(status.mojaloop),
    canRetry: false,
  };
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
