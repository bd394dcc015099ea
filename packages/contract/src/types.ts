// The Mojaloop event model (event-sdk's EventMessage), as it travels over HTTP, gRPC and Kafka.
// typescript-json-schema reads these declarations and their annotations (@pattern, @maxLength, ...) to build
// the JSON Schemas in generated/; scripts/generate.ts lists the roots and the few post-processing steps
// annotations cannot express. Keep the types free of generics: the generator cannot resolve type parameters.

/** The four event types; `error` comes from the Mojaloop event-framework documentation (never in event-sdk). */
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

/** Outcome of the action the event describes. event-sdk always sets it (`EventStateMetadata.success()` by default). */
export interface EventStateMetadata {
  status: EventStatusType;
  /**
   * An int32 on the gRPC wire.
   * @TJS-type integer
   * @minimum -2147483648
   * @maximum 2147483647
   */
  code?: number;
  /** @maxLength 4096 */
  description?: string;
}

/** Fields every event metadata carries, whatever its type. */
export interface EventMetadataCommon {
  /**
   * Identifier of the event (event-sdk: a UUID).
   * @minLength 1
   * @maxLength 128
   */
  id: string;
  /**
   * ISO 8601 date-time with a time zone.
   * @format date-time
   * @maxLength 64
   */
  createdAt: string;
  /**
   * Identifier of the event this one answers.
   * @maxLength 128
   */
  responseTo?: string;
  state: EventStateMetadata;
}

export interface LogEventMetadata extends EventMetadataCommon {
  type: 'log';
  action: LogEventAction;
}

export interface AuditEventMetadata extends EventMetadataCommon {
  type: 'audit';
  action: AuditEventAction;
}

export interface TraceEventMetadata extends EventMetadataCommon {
  type: 'trace';
  action: TraceEventAction;
}

export interface ErrorEventMetadata extends EventMetadataCommon {
  type: 'error';
  action: ErrorEventAction;
}

/** Event metadata, discriminated by `type`: the action must be one allowed for that type. */
export type EventMetadata = LogEventMetadata | AuditEventMetadata | TraceEventMetadata | ErrorEventMetadata;

/** The metadata interface of each event type. */
export interface EventMetadataByType {
  log: LogEventMetadata;
  audit: AuditEventMetadata;
  trace: TraceEventMetadata;
  error: ErrorEventMetadata;
}

/**
 * Span tags: string values only (event-sdk's `TraceTags`), each at most 8192 characters (a limit set by the
 * generator: annotations cannot reach index signatures).
 * @maxProperties 128
 * @propertyNames {"type": "string", "maxLength": 256}
 */
export interface EventTraceTags {
  [key: string]: string;
}

/**
 * W3C `tracestate` entries by vendor, as event-sdk keeps them on its span context: the SDK's own vendor entry is
 * decoded into tags, the others stay strings (at most 512 characters). Not on the gRPC wire (the proto has no such
 * field).
 * @maxProperties 32
 * @propertyNames {"type": "string", "maxLength": 256}
 */
export interface EventTraceStates {
  [vendor: string]: EventTraceTags | string;
}

export interface EventTraceMetadata {
  /**
   * Name of the service that recorded the span. event-sdk defaults it to the empty string.
   * @maxLength 256
   */
  service: string;
  /**
   * W3C trace id: 32 lowercase hex characters. It is the Kafka key.
   * @pattern ^[0-9a-f]{32}$
   */
  traceId: string;
  /**
   * W3C span id: 16 lowercase hex characters.
   * @pattern ^[0-9a-f]{16}$
   */
  spanId: string;
  /** @pattern ^[0-9a-f]{16}$ */
  parentSpanId?: string;
  /**
   * 1 when the trace is sampled: an integer 0 or 1, or the string "0" or "1" (event-sdk copies the `x-b3-sampled`
   * header as is). Over gRPC an int32.
   */
  sampled?: number | string;
  /**
   * Trace flags, one byte: an integer 0 to 255, or one or two lowercase hex digits (event-sdk keeps the hex of the
   * W3C `traceparent` header, "01", when it continues a trace from HTTP headers). Over gRPC an int32.
   */
  flags?: number | string;
  /**
   * @format date-time
   * @maxLength 64
   */
  startTimestamp?: string;
  /**
   * @format date-time
   * @maxLength 64
   */
  finishTimestamp?: string;
  tags?: EventTraceTags;
  tracestates?: EventTraceStates;
}

export interface MessageMetadata {
  event: EventMetadata;
  trace: EventTraceMetadata;
}

/** `content` of an `application/json` event: a JSON object (not an array). */
export interface JsonEventContent {
  [key: string]: unknown;
}

/**
 * One event. `from`/`to` are optional: events built by `@mojaloop/event-sdk` have none.
 * `metadata` is required: its `trace.traceId` is the Kafka key.
 */
export interface EventMessage {
  /**
   * Identifier of the message (event-sdk: a UUID).
   * @minLength 1
   * @maxLength 128
   */
  id: string;
  /** @maxLength 256 */
  from?: string;
  /** @maxLength 256 */
  to?: string;
  /**
   * Identity of the session, when different from `from`.
   * @maxLength 1024
   */
  pp?: string;
  type: ContentType;
  /**
   * A JSON object when `type` is `application/json`, a string when it is `text/plain`. Its size is bounded by the
   * request body limit only.
   */
  content: JsonEventContent | string;
  metadata: MessageMetadata;
}

/** Metadata of an event of type `T`. */
export interface MessageMetadataOf<T extends EventType> extends MessageMetadata {
  event: EventMetadataByType[T];
}

/** An event of type `T` (for example `EventMessageOf<'audit'>`), for code that builds events of one type. */
export interface EventMessageOf<T extends EventType> extends EventMessage {
  metadata: MessageMetadataOf<T>;
}

/**
 * Body of `POST /events`. The sidecar replaces `maxItems` with its configured batch limit.
 * @minItems 1
 * @maxItems 1000
 */
export type BatchRequest = EventMessage[];

/** 201 body of `POST /event`: where Kafka stored the event. */
export interface PublishedEvent {
  /** The event's `id`. */
  id: string;
  /**
   * The topic Kafka stored it on: `EVENT_TOPIC` (`topic-event`), or with `TOPIC_STRATEGY=per-type` the topic of
   * its event type (`topic-event-audit`, ...).
   */
  topic: string;
  /** @TJS-type integer */
  partition: number;
  /**
   * Kafka offsets are 64-bit: a decimal string.
   * @pattern ^[0-9]+$
   */
  offset: string;
}

/**
 * 202 body of `POST /event` when Kafka could not take the event now and the sidecar's spool has it on disk:
 * it will be delivered (at least once) when Kafka is back.
 */
export interface SpooledEventAnswer {
  /** The event's `id`. */
  id: string;
  status: 'spooled';
}

/**
 * `published`: Kafka has it; `spooled`: on the sidecar's spool, delivered when Kafka is back; `rejected`: invalid,
 * do not resend as is; `failed`: not published, may be resent.
 */
export type EventResultStatus = 'published' | 'spooled' | 'rejected' | 'failed';

/** One entry of a `POST /events` answer, in request order. */
export interface EventResult {
  /**
   * Position of the event in the request array.
   * @TJS-type integer
   * @minimum 0
   */
  index: number;
  /** The event's `id`, when it had a readable one. */
  id?: string;
  status: EventResultStatus;
  /** Set when `published`: the topic Kafka stored it on (with `TOPIC_STRATEGY=per-type`, its type's topic). */
  topic?: string;
  /**
   * Set when `published`.
   * @TJS-type integer
   */
  partition?: number;
  /**
   * Set when `published`.
   * @pattern ^[0-9]+$
   */
  offset?: string;
  /** Set when `rejected` or `failed`; `field` is then a JSON pointer into this event. */
  error?: ErrorInformation;
}

/** 200/207 body of `POST /events`. */
export interface BatchResponse {
  results: EventResult[];
}

/** Mojaloop `Extension`. */
export interface ExtensionItem {
  /**
   * @minLength 1
   * @maxLength 32
   */
  key: string;
  /**
   * @minLength 1
   * @maxLength 128
   */
  value: string;
}

/** Mojaloop `ExtensionList`. */
export interface ExtensionList {
  /**
   * @minItems 1
   * @maxItems 16
   */
  extension: ExtensionItem[];
}

/** Mojaloop `ErrorInformation`, plus `field`. */
export interface ErrorInformation {
  /**
   * Mojaloop error code: 4 digits (see `ERROR_CODES`).
   * @pattern ^[1-9][0-9]{3}$
   */
  errorCode: string;
  /**
   * Mojaloop limits this to 128 characters; the sidecar allows longer so that a validation message can name the
   * allowed values.
   * @minLength 1
   * @maxLength 1024
   */
  errorDescription: string;
  /**
   * The field that failed, as a JSON pointer into the event (for `POST /event`, into the request body; for one
   * result of `POST /events`, into that event), for example `/metadata/trace/traceId`.
   * @maxLength 1024
   */
  field?: string;
  extensionList?: ExtensionList;
}

/** Body of every 4xx/5xx answer. */
export interface ErrorBody {
  errorInformation: ErrorInformation;
}

export type HealthStatus = 'OK' | 'DOWN' | 'DEGRADED';

export interface ServiceHealth {
  /** For example `kafka`. */
  name: string;
  status: HealthStatus;
  lastError?: string;
  /** @format date-time */
  lastErrorAt?: string;
  /**
   * `spool` only: events on the sidecar's spool awaiting Kafka.
   * @TJS-type integer
   * @minimum 0
   */
  depth?: number;
  /**
   * `spool` only, when there are any: events Kafka would not take, moved out of the replay (`event-sidecar
   * dead-letters`).
   * @TJS-type integer
   * @minimum 0
   */
  deadLetters?: number;
}

/**
 * Body of `GET /health` (200 when `OK` or `DEGRADED`, 502 when `DOWN`): the original's health body plus each
 * dependency. With a spool the sidecar is `DEGRADED` (still accepting) while events are spooled or Kafka is down.
 */
export interface HealthBody {
  status: HealthStatus;
  /** Seconds since start. */
  uptime: number;
  /** @format date-time */
  startTime: string;
  versionNumber: string;
  services: ServiceHealth[];
}

/** Body of `GET /live`: the process is up; says nothing about Kafka. */
export interface LiveBody {
  status: 'OK';
}
