// The contract's fixed lists: event types, each type's actions, content types. A module of its own (the subpath
// `@event-sidecar/contract/constants`) so that the producer reads them without loading the validator.
import type {
  AuditEventAction,
  ContentType,
  ErrorEventAction,
  EventType,
  LogEventAction,
  TraceEventAction,
} from './types.js';

/**
 * Every event type, in the order of the gRPC enum. The producer's default partition ranges follow this order, so
 * that consumers keep finding each type where it was: never reorder.
 */
export const EVENT_TYPES = Object.freeze(['log', 'audit', 'trace', 'error'] as const) satisfies readonly EventType[];

/** The actions each event type allows; a test checks these against the generated schemas. */
export const EVENT_ACTIONS: {
  readonly log: readonly LogEventAction[];
  readonly audit: readonly AuditEventAction[];
  readonly trace: readonly TraceEventAction[];
  readonly error: readonly ErrorEventAction[];
} = Object.freeze({
  log: Object.freeze(['info', 'debug', 'verbose', 'perf', 'warn', 'error'] as const),
  audit: Object.freeze(['default', 'start', 'finish', 'ingress', 'egress'] as const),
  trace: Object.freeze(['span'] as const),
  error: Object.freeze(['internal', 'external'] as const),
});

/** MIME types an event's `content` may have. */
export const CONTENT_TYPES = Object.freeze([
  'application/json',
  'text/plain',
] as const) satisfies readonly ContentType[];
