// The standalone event validator: ajv compiled once from the generated schemas, reporting the first failure as one
// issue that names the field. Used on the hot path (every HTTP and gRPC event), hence compiled at module load.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readJson, schemasPath } from './artifacts.js';
import { EVENT_ACTIONS, EVENT_TYPES } from './constants.js';
import { ContractError } from './errors.js';
import type { EventMessage, EventType } from './types.js';

export interface ValidationIssue {
  /**
   * JSON pointer into the event: `/metadata/trace/traceId`; for a missing or unknown property, the pointer of that
   * property (`/id`); `''` for the event itself.
   */
  field: string;
  /** What is wrong, to be read after the field: `/id is required`. */
  message: string;
  /** The JSON Schema keyword that failed (`required`, `type`, `enum`, `pattern`, `additionalProperties`, ...). */
  keyword: string;
}

export type ValidationResult = { ok: true; event: EventMessage } | { ok: false; errors: ValidationIssue[] };

export interface EventValidator {
  validateEvent(value: unknown): ValidationResult;
  validateEvents(values: readonly unknown[]): ValidationResult[];
}

const SCHEMA_ID = 'https://event-sidecar/contract/schemas.json';
/** Bounds on what an issue repeats from the input (an unknown property name can be as long as the body). */
const MAX_FIELD = 512;
const MAX_MESSAGE = 512;

/**
 * Deepest nesting of objects and arrays allowed in `content`. JSON Schema cannot bound depth, and a deeper
 * document costs the sidecar stack and time to serialize; the producer's serializer stops at 200.
 */
export const MAX_CONTENT_DEPTH = 64;

/**
 * True when `value` nests objects or arrays deeper than `max` levels. Recursive, but never past `max` levels (no
 * stack to overflow), and allocates nothing: it runs on every event.
 */
function deeperThan(value: unknown, max: number, depth = 1): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > max) return true;
  if (Array.isArray(value)) {
    for (const child of value) if (deeperThan(child, max, depth + 1)) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) if (Object.hasOwn(record, key) && deeperThan(record[key], max, depth + 1)) return true;
  return false;
}

const escapePointer = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const PATTERN_MESSAGES: Record<string, string> = {
  '^[0-9a-f]{32}$': 'must be 32 lowercase hex characters',
  '^[0-9a-f]{16}$': 'must be 16 lowercase hex characters',
  '^[0-9]+$': 'must be a decimal number',
};

function eventTypeOf(value: unknown): EventType | undefined {
  const type = (value as { metadata?: { event?: { type?: unknown } } } | null)?.metadata?.event?.type;
  return typeof type === 'string' && Object.hasOwn(EVENT_ACTIONS, type) ? (type as EventType) : undefined;
}

function allowedValuesMessage(field: string, allowed: readonly unknown[], value: unknown): string {
  // The schema lists values alphabetically; these two read better in the model's own order.
  if (field === '/metadata/event/type') return `must be one of: ${EVENT_TYPES.join(', ')}`;
  if (field === '/metadata/event/action') {
    const type = eventTypeOf(value);
    if (type) return `must be one of the actions allowed for type ${type}: ${EVENT_ACTIONS[type].join(', ')}`;
  }
  return `must be one of: ${allowed.map(String).join(', ')}`;
}

function typeMessage(field: string, type: unknown): string {
  if (field === '/content') {
    return type === 'string'
      ? 'must be a string when type is text/plain'
      : 'must be an object when type is application/json';
  }
  const types = Array.isArray(type) ? type.join(' or ') : String(type);
  return `must be of type ${types}`;
}

/** One ajv error as an issue. Exported for tests. */
function toIssue(error: ErrorObject, value: unknown): ValidationIssue {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  let field = at;
  let message = error.message ?? 'is invalid';
  let keyword = error.keyword;
  switch (error.keyword) {
    case 'required':
      field = `${at}/${escapePointer(String(params.missingProperty))}`;
      message = 'is required';
      break;
    case 'additionalProperties':
      field = `${at}/${escapePointer(String(params.additionalProperty))}`;
      message = 'is not an allowed property';
      break;
    case 'enum':
      message = allowedValuesMessage(at, params.allowedValues as unknown[], value);
      break;
    case 'const':
      message = allowedValuesMessage(at, [params.allowedValue], value);
      keyword = 'enum';
      break;
    case 'type':
      message = typeMessage(at, params.type);
      break;
    case 'format':
      if (params.format === 'date-time') message = 'must be an ISO 8601 date-time with a time zone';
      break;
    case 'pattern':
      message = PATTERN_MESSAGES[String(params.pattern)] ?? `must match the pattern ${String(params.pattern)}`;
      break;
    case 'discriminator':
      // Not reached with the generated schemas (`properties.type` and `required` fail first); kept for safety.
      field = `${at}/${escapePointer(String(params.tag))}`;
      message = 'must be one of the event types';
      keyword = 'enum';
      break;
  }
  if (error.propertyName !== undefined) {
    // A propertyNames failure: the offending name, not its value.
    field = `${at}/${escapePointer(error.propertyName)}`;
    message = `is a property name that ${message}`;
    keyword = 'propertyNames';
  }
  return { field: clip(field, MAX_FIELD), message: clip(message, MAX_MESSAGE), keyword };
}

function compileEventMessage(): ValidateFunction {
  const document = readJson(schemasPath) as { definitions?: Record<string, unknown> };
  if (!document.definitions?.EventMessage) {
    throw new ContractError('CONTRACT_ARTIFACT_INVALID', `${schemasPath} has no EventMessage definition`);
  }
  const ajv = new Ajv({
    strict: true,
    allErrors: false,
    discriminator: true,
    allowUnionTypes: true,
    // Only own properties count: a polluted Object.prototype cannot satisfy `required`.
    ownProperties: true,
  });
  // Full mode: fast mode accepts impossible dates such as 2024-02-31.
  addFormats.default(ajv, { mode: 'full', formats: ['date-time'] });
  try {
    return ajv.compile({ $id: SCHEMA_ID, $ref: '#/definitions/EventMessage', definitions: document.definitions });
  } catch (cause) {
    throw new ContractError('CONTRACT_ARTIFACT_INVALID', `${schemasPath} does not compile`, { cause });
  }
}

/** A new validator, compiled from the generated schemas (a few milliseconds). */
export function createEventValidator(): EventValidator {
  const check = compileEventMessage();
  const validateEvent = (value: unknown): ValidationResult => {
    if (check(value)) {
      const event = value as EventMessage;
      if (typeof event.content === 'object' && deeperThan(event.content, MAX_CONTENT_DEPTH)) {
        const message = `must not nest objects or arrays deeper than ${MAX_CONTENT_DEPTH} levels`;
        return { ok: false, errors: [{ field: '/content', message, keyword: 'maxDepth' }] };
      }
      return { ok: true, event };
    }
    const first = check.errors?.[0];
    const issue = first ? toIssue(first, value) : { field: '', message: 'is invalid', keyword: 'unknown' };
    return { ok: false, errors: [issue] };
  };
  return {
    validateEvent,
    validateEvents: (values) => values.map(validateEvent),
  };
}

const defaultValidator = createEventValidator();

/**
 * Validates one event against the contract: JSON data (from JSON.parse or the gRPC decoder); a property whose value
 * is `undefined` counts as absent, as JSON.stringify would drop it. Returns the event typed, or the first issue found.
 */
export function validateEvent(value: unknown): ValidationResult {
  return defaultValidator.validateEvent(value);
}

/** Validates each event of a batch on its own; one result per index. */
export function validateEvents(values: readonly unknown[]): ValidationResult[] {
  return defaultValidator.validateEvents(values);
}
