// The Mojaloop event model (event-sdk's EventMessage), as it travels over HTTP, gRPC and Kafka.
// Annotations (@pattern, @maxLength, ...) are read by typescript-json-schema to build the JSON Schemas.

/** The four event types; `error` comes from the Mojaloop event-framework documentation. */
export type EventType = 'log' | 'audit' | 'trace' | 'error';

export type LogEventAction = 'info' | 'debug' | 'verbose' | 'perf' | 'warn' | 'error';
export type AuditEventAction = 'default' | 'start' | 'finish' | 'ingress' | 'egress';
export type TraceEventAction = 'span';
export type ErrorEventAction = 'internal' | 'external';
export type EventAction = LogEventAction | AuditEventAction | TraceEventAction | ErrorEventAction;

/** Which actions each event type allows (event-sdk `src/model/EventMessage.ts`, plus `error`). */
export interface EventActionsByType {
  log: LogEventAction;
  audit: AuditEventAction;
  trace: TraceEventAction;
  error: ErrorEventAction;
}

export type EventStatusType = 'success' | 'failed';

/** MIME type of `content`. */
export type ContentType = 'application/json' | 'text/plain';

export interface EventStateMetadata {
  status: EventStatusType;
  /** @TJS-type integer */
  code?: number;
  /** @maxLength 4096 */
  description?: string;
}

export interface EventMetadata<T extends EventType = EventType> {
  /** @maxLength 128 */
  id: string;
  type: T;
  action: EventActionsByType[T];
  /** @format date-time */
  createdAt: string;
  /** @maxLength 128 */
  responseTo?: string;
  state: EventStateMetadata;
}

export interface EventTraceTags {
  /** @maxLength 4096 */
  [key: string]: string;
}

export interface EventTraceMetadata {
  /** @maxLength 256 */
  service: string;
  /** @pattern ^[0-9a-f]{32}$ */
  traceId: string;
  /** @pattern ^[0-9a-f]{16}$ */
  spanId: string;
  /** @pattern ^[0-9a-f]{16}$ */
  parentSpanId?: string;
  /** @TJS-type integer */
  sampled?: number;
  /** @TJS-type integer */
  flags?: number;
  /** @format date-time */
  startTimestamp?: string;
  /** @format date-time */
  finishTimestamp?: string;
  tags?: EventTraceTags;
}

export interface MessageMetadata<T extends EventType = EventType> {
  event: EventMetadata<T>;
  trace: EventTraceMetadata;
}

/** One event. `from`/`to` are optional: events built by `@mojaloop/event-sdk` have none. */
export interface EventMessage<T extends EventType = EventType> {
  /** @maxLength 128 */
  id: string;
  /** @maxLength 256 */
  from?: string;
  /** @maxLength 256 */
  to?: string;
  /** @maxLength 4096 */
  pp?: string;
  type: ContentType;
  /** A JSON object when `type` is `application/json`, a string when it is `text/plain`. */
  content: Record<string, unknown> | string;
  metadata: MessageMetadata<T>;
}

/** 201 body of `POST /event`: where Kafka stored the event. */
export interface PublishedEvent {
  id: string;
  topic: string;
  /** @TJS-type integer */
  partition: number;
  /** Kafka offsets are 64-bit: a decimal string. */
  offset: string;
}

export type EventResultStatus = 'published' | 'rejected' | 'failed';

/** One entry of a `POST /events` answer, in request order. */
export interface EventResult {
  /** @TJS-type integer */
  index: number;
  id?: string;
  status: EventResultStatus;
  topic?: string;
  /** @TJS-type integer */
  partition?: number;
  offset?: string;
  error?: ErrorInformation;
}

export interface BatchResponse {
  results: EventResult[];
}

export interface ExtensionItem {
  key: string;
  value: string;
}

export interface ErrorInformation {
  /** Mojaloop error code: 4 digits. */
  errorCode: string;
  errorDescription: string;
  /** The request field that failed, as a JSON pointer (for example `/body/metadata/trace/traceId`). */
  field?: string;
  extensionList?: { extension: ExtensionItem[] };
}

export interface ErrorBody {
  errorInformation: ErrorInformation;
}

export type HealthStatus = 'OK' | 'DOWN' | 'DEGRADED';

export interface ServiceHealth {
  name: string;
  status: HealthStatus;
  lastError?: string;
  /** @format date-time */
  lastErrorAt?: string;
}

/** The original's health body plus the state of each dependency. */
export interface HealthBody {
  status: HealthStatus;
  uptime: number;
  /** @format date-time */
  startTime: string;
  versionNumber: string;
  services: ServiceHealth[];
}
