// From the EventMessage a gRPC client sent (as proto-loader decodes it with the SDK's options) to
// the JSON-shaped event the contract validator reads. Pure: no I/O, no validation beyond what
// decoding itself needs; the caller validates the result with the same validator as HTTP.
import { CONTENT_TYPES, type ContentType } from '@event-sidecar/contract';
import { SidecarError } from '../errors.js';

/** `google.protobuf.Any` as proto-loader hands it over: `value` is a Buffer, both fields may be absent. */
export interface WireAny {
  type_url?: string;
  value?: Uint8Array;
}

/**
 * `mojaloop.events.EventMessage` as decoded with `defaults: false`: a field at its proto3 default
 * ('' or 0 or enum 0) is absent, enums are their names.
 */
export interface WireEventMessage {
  id?: string;
  from?: string;
  to?: string;
  pp?: string;
  metadata?: Record<string, unknown>;
  type?: string;
  content?: WireAny | null;
}

export type DecodeResult = { ok: true; event: Record<string, unknown> } | { ok: false; error: SidecarError };

const utf8 = new TextDecoder('utf-8', { fatal: true });

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);

const isContentType = (value: unknown): value is ContentType =>
  typeof value === 'string' && (CONTENT_TYPES as readonly string[]).includes(value);

function invalid(message: string, field: string, code: 'VALIDATION_FAILED' | 'MALFORMED_JSON' = 'VALIDATION_FAILED') {
  return { ok: false as const, error: new SidecarError(code, `${field} ${message}`, { field }) };
}

/**
 * Decodes `content`: the Any's `type_url` is the MIME type (falling back on the event's `type`),
 * its `value` the JSON text or the plain text as UTF-8 bytes.
 */
export function decodeContent(
  any: WireAny,
  eventType: string | undefined,
): { ok: true; content: unknown; mime: ContentType } | { ok: false; error: SidecarError } {
  const mime = any.type_url || eventType;
  if (!isContentType(mime)) {
    return mime
      ? invalid(`has type_url "${clip(mime)}"; it must be one of: ${CONTENT_TYPES.join(', ')}`, '/content')
      : invalid('has no type_url (the MIME type of its value)', '/content');
  }
  let text: string;
  try {
    text = any.value === undefined ? '' : utf8.decode(any.value);
  } catch {
    return invalid('is not valid UTF-8', '/content');
  }
  if (mime === 'text/plain') return { ok: true, content: text, mime };
  try {
    return { ok: true, content: JSON.parse(text) as unknown, mime };
  } catch (err) {
    return invalid(`is not valid JSON: ${(err as Error).message}`, '/content', 'MALFORMED_JSON');
  }
}

/**
 * Fills in what proto3 cannot carry: `metadata.trace.service` is required by the contract but may be
 * empty (event-sdk's default), and an empty string never reaches the wire.
 */
function normalizeWireMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  const trace = metadata.trace;
  if (!isObject(trace) || trace.service !== undefined) return metadata;
  return { ...metadata, trace: { ...trace, service: '' } };
}

/**
 * The event as the contract sees it. Enum names need no mapping: the proto spells them as the
 * contract does (`log`, `audit`, `span`, `success`, ...); proto-loader leaves an enum number it does
 * not know as a number, which the validator then rejects. Absent scalar fields stay absent, so a
 * missing `id` is reported as `/id is required`.
 */
export function wireToEvent(wire: WireEventMessage): DecodeResult {
  if (wire === null || typeof wire !== 'object') return invalid('must be an EventMessage', '');
  const event: Record<string, unknown> = {};
  for (const key of ['id', 'from', 'to', 'pp', 'type'] as const) {
    if (wire[key] !== undefined) event[key] = wire[key];
  }
  if (wire.content !== undefined && wire.content !== null) {
    const decoded = decodeContent(wire.content, wire.type);
    if (!decoded.ok) return decoded;
    event.content = decoded.content;
    // `type` is a plain string on the wire; an absent one means the Any's MIME type.
    event.type ??= decoded.mime;
  }
  if (isObject(wire.metadata)) {
    event.metadata = normalizeWireMetadata(wire.metadata);
  } else if (isObject(event.content) && isObject(event.content.trace)) {
    // As the original sidecar did: an event without metadata whose content carries a trace is
    // taken to have its metadata in the content. Nothing is filled in: JSON has real absences.
    event.metadata = event.content;
  }
  return { ok: true, event };
}

function clip(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
