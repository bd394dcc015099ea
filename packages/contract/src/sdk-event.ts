// An event as @mojaloop/event-sdk types it, written here without the SDK, and its checked conversion to EventMessage.
// The SDK types its events loosely (`metadata` optional, enums for type and action, `createdAt` a string or a Date),
// so its EventMessage is not an EventMessage of this contract, nor the reverse; both are an EventMessageLike.
import type { ValidationResult } from './validate.js';
import { validateEvent } from './validate.js';

/** Event metadata as the SDK types it (`TypeEventMetadata`): its enums are strings here. */
export interface EventMetadataLike {
  id?: string;
  type?: string;
  action: string;
  createdAt?: string | Date;
  state: { status: string; code?: number; description?: string };
  responseTo?: string;
}

/** Trace metadata as the SDK types it (`TypeSpanContext`). */
export interface EventTraceMetadataLike {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  sampled?: number | string;
  flags?: number | string;
  startTimestamp?: string | Date;
  finishTimestamp?: string;
  tags?: { [key: string]: string };
  tracestates?: { [vendor: string]: { [key: string]: string } | string };
}

/**
 * An event as `@mojaloop/event-sdk` builds it (its `EventMessage` class, its `TypeEventMessage`), and as this
 * contract's `EventMessage` is: code that takes either can be typed with this, and needs no SDK to compile.
 * `toEventMessage` turns one into an `EventMessage`, checked.
 */
export interface EventMessageLike {
  id?: string;
  from?: string;
  to?: string;
  pp?: string;
  /** `application/json` or `text/plain`; the SDK's class types it `any`. */
  type: string;
  content: unknown;
  metadata?: {
    event: EventMetadataLike;
    trace?: EventTraceMetadataLike;
  };
}

/**
 * The SDK's Date timestamps as ISO 8601 strings, as its transports send them (JSON, gRPC). A copy only when there
 * is one: an event the SDK's Span built has strings already and is returned as it is.
 */
function withIsoTimestamps(event: EventMessageLike): EventMessageLike {
  const metadata = event?.metadata;
  if (!metadata) return event;
  const { event: eventMetadata, trace } = metadata;
  const createdAt = eventMetadata?.createdAt;
  const startTimestamp = trace?.startTimestamp;
  if (!(createdAt instanceof Date) && !(startTimestamp instanceof Date)) return event;
  return {
    ...event,
    metadata: {
      ...metadata,
      event: createdAt instanceof Date ? { ...eventMetadata, createdAt: createdAt.toISOString() } : eventMetadata,
      ...(trace && startTimestamp instanceof Date
        ? { trace: { ...trace, startTimestamp: startTimestamp.toISOString() } }
        : {}),
    },
  };
}

/**
 * An event built with `@mojaloop/event-sdk` (or any EventMessageLike) as this contract's `EventMessage`: validated
 * against the contract, as the sidecar validates what it receives, with Date timestamps written as ISO strings.
 * Returns `{ ok: true, event }` (the same object when nothing needed writing), or the first issue, naming the field.
 */
export function toEventMessage(event: EventMessageLike): ValidationResult {
  return validateEvent(withIsoTimestamps(event));
}
