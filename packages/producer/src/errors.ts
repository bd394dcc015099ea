// Every failure the producer reports is a ProducerError with a stable code; callers (the sidecar's HTTP and
// gRPC layers, services using the package directly) decide on status and retries from `code` and `canRetry`.

export const PRODUCER_ERROR_CODES = [
  'INVALID_OPTIONS',
  'TOPIC_NOT_FOUND',
  'NOT_ENOUGH_PARTITIONS',
  'CONNECTION_FAILED',
  'OVERLOADED',
  'PUBLISH_TIMEOUT',
  'KAFKA_UNAVAILABLE',
  'RECORD_TOO_LARGE',
  'CLOSED',
  'KAFKA_ERROR',
  'INVALID_EVENT',
  'UNKNOWN',
] as const;

export type ProducerErrorCode = (typeof PRODUCER_ERROR_CODES)[number];

/** What each code means and whether trying again (the same event, later or elsewhere) can succeed. */
export const PRODUCER_ERROR_DESCRIPTIONS: Readonly<Record<ProducerErrorCode, { canRetry: boolean; meaning: string }>> =
  Object.freeze({
    INVALID_OPTIONS: {
      canRetry: false,
      meaning: 'the options given to the producer are invalid (or its journal cannot be opened); nothing was started',
    },
    TOPIC_NOT_FOUND: {
      canRetry: false,
      meaning: 'the topic does not exist and the producer was not told to create it',
    },
    NOT_ENOUGH_PARTITIONS: {
      canRetry: false,
      meaning: 'the topic has fewer partitions than the partition map (or strategy) needs',
    },
    CONNECTION_FAILED: { canRetry: true, meaning: 'connect() could not reach the brokers (or authenticate)' },
    OVERLOADED: {
      canRetry: true,
      meaning: 'the queue of events awaiting confirmation is full (batch.maxQueue or maxQueueBytes); retry later',
    },
    PUBLISH_TIMEOUT: {
      canRetry: true,
      meaning:
        'Kafka did not confirm the event within publishTimeoutMs; it may still be stored (a retry may duplicate it)',
    },
    KAFKA_UNAVAILABLE: { canRetry: true, meaning: 'the brokers cannot be reached (or the producer is not connected)' },
    RECORD_TOO_LARGE: { canRetry: false, meaning: 'the event is larger than the producer or the broker accepts' },
    CLOSED: {
      canRetry: true,
      meaning:
        'the producer is closing or closed, or close() stopped waiting for the event; another instance may take it',
    },
    KAFKA_ERROR: { canRetry: false, meaning: 'Kafka rejected the request; canRetry follows the Kafka error code' },
    INVALID_EVENT: {
      canRetry: false,
      meaning: 'the event cannot be turned into a Kafka record (missing trace id, ...)',
    },
    UNKNOWN: { canRetry: false, meaning: 'an unexpected error; not retriable because nothing is known about it' },
  });

export interface ProducerErrorOptions {
  cause?: unknown;
  canRetry?: boolean;
  retryAfterMs?: number;
}

/**
 * Marks every ProducerError, whichever copy of this module made it: a process that loads this package both with
 * `import` (dist/) and with `require` (dist-cjs/) holds two ProducerError classes, and each must know the other's
 * errors. Symbol.for gives both copies the same symbol.
 */
const PRODUCER_ERROR = Symbol.for('@event-sidecar/producer.ProducerError');

export class ProducerError extends Error {
  /** `instanceof ProducerError` holds for a ProducerError of either build of this package (see PRODUCER_ERROR). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' && value !== null && (value as { [PRODUCER_ERROR]?: unknown })[PRODUCER_ERROR] === true
    );
  }

  declare readonly code: ProducerErrorCode;
  declare readonly canRetry: boolean;
  declare readonly retryAfterMs?: number;

  constructor(code: ProducerErrorCode, message: string, options: ProducerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Own enumerable properties, so that JSON.stringify and loggers show them.
    const props: PropertyDescriptorMap = {
      name: { value: 'ProducerError', enumerable: false, configurable: true, writable: true },
      code: { value: code, enumerable: true },
      message: { value: message, enumerable: true, configurable: true, writable: true },
      canRetry: { value: options.canRetry ?? PRODUCER_ERROR_DESCRIPTIONS[code].canRetry, enumerable: true },
    };
    if (options.retryAfterMs !== undefined) props.retryAfterMs = { value: options.retryAfterMs, enumerable: true };
    if (options.cause !== undefined) {
      props.cause = { value: options.cause, enumerable: true, configurable: true, writable: true };
    }
    Object.defineProperties(this, props);
  }
}

Object.defineProperty(ProducerError.prototype, PRODUCER_ERROR, { value: true });

/** True for a ProducerError from either build of this package (ESM or CommonJS). */
export function isProducerError(e: unknown): e is ProducerError {
  return e instanceof ProducerError;
}

// ---- kafkajs error classification (pure: looks only at the error objects) ----

interface KafkaLikeError {
  name?: unknown;
  message?: unknown;
  type?: unknown;
  retriable?: unknown;
  code?: unknown;
  cause?: unknown;
}

/** kafkajs wraps the error that ended its retries; the innermost one says what went wrong. */
export function rootKafkaError(e: unknown): unknown {
  let current = e;
  for (let depth = 0; depth < 10; depth++) {
    const err = current as KafkaLikeError | null;
    if (
      err &&
      typeof err === 'object' &&
      (err.name === 'KafkaJSNumberOfRetriesExceeded' || err.name === 'KafkaJSNonRetriableError') &&
      err.cause &&
      err.cause !== current
    ) {
      current = err.cause;
      continue;
    }
    break;
  }
  return current;
}

const UNREACHABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
]);
const TRANSIENT_NAMES = new Set([
  'KafkaJSRequestTimeoutError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSLockTimeout',
]);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE']);
const TRANSIENT_PROTOCOL_TYPES = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'BROKER_NOT_AVAILABLE',
  'KAFKA_STORAGE_ERROR',
  'NOT_CONTROLLER',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
]);
const TOO_LARGE_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
// The broker refused the request because of the producer's id, epoch or sequence numbers: nothing was written,
// and kafkajs's producer stays broken (it never resets its sequences); a new producer can send the same records.
const PRODUCER_STATE_TYPES = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'PRODUCER_FENCED',
]);

export interface KafkaErrorClass {
  error: ProducerError;
  /** The brokers could not be reached at all: the producer is down until a probe succeeds. */
  unreachable: boolean;
  /** The broker refused the producer's state (id, epoch, sequence): a new producer may resend the same records. */
  producerState?: boolean;
}

/** Maps an error thrown by kafkajs to a ProducerError; unknown errors are not retriable. */
export function classifyKafkaError(e: unknown, what = 'publish'): KafkaErrorClass {
  if (isProducerError(e)) return { error: e, unreachable: e.code === 'KAFKA_UNAVAILABLE' };
  const root = rootKafkaError(e) as KafkaLikeError | null;
  const name = typeof root?.name === 'string' ? root.name : '';
  const detail = typeof root?.message === 'string' ? root.message : String(root);
  if (UNREACHABLE_NAMES.has(name) || (typeof root?.code === 'string' && SOCKET_CODES.has(root.code))) {
    return {
      error: new ProducerError('KAFKA_UNAVAILABLE', `${what} failed: Kafka is unreachable (${detail})`, { cause: e }),
      unreachable: true,
    };
  }
  if (TRANSIENT_NAMES.has(name)) {
    return {
      error: new ProducerError('KAFKA_UNAVAILABLE', `${what} failed: Kafka did not answer in time (${detail})`, {
        cause: e,
      }),
      unreachable: false,
    };
  }
  if (name === 'KafkaJSSASLAuthenticationError') {
    return {
      error: new ProducerError('CONNECTION_FAILED', `${what} failed: authentication refused (${detail})`, {
        cause: e,
        canRetry: false,
      }),
      unreachable: true,
    };
  }
  if (name === 'KafkaJSProtocolError' || typeof root?.type === 'string') {
    const type = String(root?.type ?? 'UNKNOWN');
    if (TOO_LARGE_TYPES.has(type)) {
      return {
        error: new ProducerError(
          'RECORD_TOO_LARGE',
          `${what} failed: the broker refused a too large record (${type})`,
          {
            cause: e,
          },
        ),
        unreachable: false,
      };
    }
    if (PRODUCER_STATE_TYPES.has(type)) {
      return {
        error: new ProducerError('KAFKA_ERROR', `${what} failed: ${type} (${detail})`, { cause: e, canRetry: true }),
        unreachable: false,
        producerState: true,
      };
    }
    if (TRANSIENT_PROTOCOL_TYPES.has(type)) {
      return {
        error: new ProducerError('KAFKA_UNAVAILABLE', `${what} failed: ${type} (${detail})`, { cause: e }),
        unreachable: false,
      };
    }
    return {
      error: new ProducerError('KAFKA_ERROR', `${what} failed: ${type} (${detail})`, {
        cause: e,
        canRetry: root?.retriable === true,
      }),
      unreachable: false,
    };
  }
  if (name.startsWith('KafkaJS')) {
    return {
      error: new ProducerError('KAFKA_ERROR', `${what} failed: ${detail}`, { cause: e, canRetry: false }),
      unreachable: false,
    };
  }
  return {
    error: new ProducerError('UNKNOWN', `${what} failed: ${detail}`, { cause: e }),
    unreachable: false,
  };
}
