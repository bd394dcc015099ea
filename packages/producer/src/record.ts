// The Kafka record of an event, byte-compatible with what the original sidecar wrote, so that its consumers
// keep working: key = trace id, value = JSON with keys sorted recursively (as safe-stable-stringify writes it).
import type { EventMessage } from '@event-sidecar/contract';
import { ProducerError } from './errors.js';

/** Names of the headers every record carries. */
export const RECORD_HEADERS = Object.freeze({
  eventType: 'event-type',
  eventAction: 'event-action',
  contentType: 'content-type',
  traceparent: 'traceparent',
} as const);

export interface KafkaRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

// A cycle in the content would recurse forever; real events are a few levels deep.
const MAX_DEPTH = 200;
// Printable ASCII but `"` and `\`: such strings need no escaping, and most keys and values of events are such.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function quote(s: string): string {
  return PLAIN.test(s) ? '"' + s + '"' : JSON.stringify(s);
}

/**
 * JSON.stringify with the keys of every object sorted (UTF-16 code unit order, like Array#sort and
 * safe-stable-stringify). Follows JSON.stringify otherwise: undefined, functions and symbols are left out of
 * objects and become null in arrays, toJSON() is honoured, non-finite numbers become null, BigInt throws.
 */
export function stableStringify(value: unknown): string | undefined {
  const sorted = sortedCopy(value, 0);
  return sorted === UNSORTABLE ? write(value, 0) : JSON.stringify(sorted);
}

/** Marks a value whose key order a plain object cannot hold: it is written by `write`. */
const UNSORTABLE = Symbol('unsortable');

/**
 * A copy of `value` with the keys of every object inserted in sorted order, for the engine's JSON.stringify
 * (about a third faster than writing the text here). Objects keep string keys in insertion order, except keys
 * that are array indices, which always come first in numeric order, and `__proto__`, which an assignment
 * does not create: values with such keys are UNSORTABLE.
 */
function sortedCopy(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) throw new TypeError('value is nested too deeply (or circular)');
  const withToJSON = value as { toJSON?: unknown };
  if (typeof withToJSON.toJSON === 'function') {
    return sortedCopy((withToJSON.toJSON as () => unknown).call(value), depth + 1);
  }
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i], depth + 1);
      if (item === UNSORTABLE) return UNSORTABLE;
      out[i] = item;
    }
    return out;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (const key of keys) {
    const first = key.charCodeAt(0);
    // A digit: possibly an array index (a few false alarms cost only speed).
    if ((first >= 48 && first <= 57) || key === '__proto__') return UNSORTABLE;
  }
  keys.sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const item = sortedCopy(obj[key], depth + 1);
    if (item === UNSORTABLE) return UNSORTABLE;
    out[key] = item;
  }
  return out;
}

function write(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new TypeError('value is nested too deeply (or circular)');
      const withToJSON = value as { toJSON?: unknown };
      if (typeof withToJSON.toJSON === 'function') {
        return write((withToJSON.toJSON as () => unknown).call(value), depth + 1);
      }
      if (Array.isArray(value)) {
        if (value.length === 0) return '[]';
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += write(value[i], depth + 1) ?? 'null';
        }
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const item = write(obj[key], depth + 1);
        if (item === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += quote(key) + ':' + item;
      }
      return out + '}';
    }
    case 'bigint':
      throw new TypeError('BigInt value cannot be serialized to JSON');
    default:
      return undefined;
  }
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);

/**
 * W3C trace context `traceparent` (version 00) of an event, or undefined when its ids are not valid W3C ids
 * (the original accepted any string; such events get no header rather than a malformed one).
 */
export function traceparentOf(event: EventMessage): string | undefined {
  const trace = event.metadata.trace;
  if (!HEX32.test(trace.traceId) || trace.traceId === ZERO32) return undefined;
  if (!HEX16.test(trace.spanId) || trace.spanId === ZERO16) return undefined;
  return `00-${trace.traceId}-${trace.spanId}-${trace.sampled ? '01' : '00'}`;
}

/**
 * The record for `event`, published at `now` (epoch ms, written as metadata["protocol.createdAt"]).
 * Serializes the event exactly once.
 */
export function toKafkaRecord(event: EventMessage, now: number): KafkaRecord {
  const metadata = event?.metadata;
  const traceId = metadata?.trace?.traceId;
  if (typeof traceId !== 'string' || traceId === '') {
    throw new ProducerError('INVALID_EVENT', 'event has no metadata.trace.traceId: it is the Kafka key');
  }
  const type = metadata.event?.type;
  const action = metadata.event?.action;
  if (typeof type !== 'string' || typeof action !== 'string') {
    throw new ProducerError('INVALID_EVENT', 'event has no metadata.event.type or metadata.event.action');
  }
  let json: string | undefined;
  try {
    json = stableStringify({
      content: event.content,
      from: event.from,
      id: event.id,
      metadata: { ...metadata, 'protocol.createdAt': now },
      pp: event.pp,
      to: event.to,
      type: event.type,
    });
  } catch (e) {
    throw new ProducerError('INVALID_EVENT', `event cannot be serialized: ${(e as Error).message}`, { cause: e });
  }
  const headers: Record<string, string> = {
    [RECORD_HEADERS.eventType]: type,
    [RECORD_HEADERS.eventAction]: action,
    [RECORD_HEADERS.contentType]: typeof event.type === 'string' ? event.type : 'application/json',
  };
  const traceparent = traceparentOf(event);
  if (traceparent) headers[RECORD_HEADERS.traceparent] = traceparent;
  return { key: traceId, value: Buffer.from(json!, 'utf8'), headers };
}
