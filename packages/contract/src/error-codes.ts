// The Mojaloop API error codes the sidecar answers with (FSPIOP API, section "Error Codes"), with the HTTP status
// each is used with. Pure data: the sidecar maps its own errors onto these in one place.
import type { ErrorInformation } from './types.js';
import type { ValidationIssue } from './validate.js';

interface ErrorCodeEntry {
  /** Four digits, as a string, as Mojaloop sends it. */
  readonly code: string;
  /** Mojaloop's name for the code. */
  readonly name: string;
  /** The HTTP status the sidecar answers with when it uses this code. */
  readonly httpStatus: number;
  /** When the sidecar uses it. */
  readonly usedFor: string;
}

export const ERROR_CODES = Object.freeze({
  DESTINATION_COMMUNICATION_ERROR: {
    code: '1001',
    name: 'Destination communication error',
    httpStatus: 502,
    usedFor: 'Kafka refused the event with an error that may pass; it may be sent again (see Retry-After).',
  },
  INTERNAL_SERVER_ERROR: {
    code: '2001',
    name: 'Internal server error',
    httpStatus: 500,
    usedFor: 'An unexpected error in the sidecar.',
  },
  SERVICE_CURRENTLY_UNAVAILABLE: {
    code: '2003',
    name: 'Service currently unavailable',
    httpStatus: 503,
    usedFor:
      'Kafka is down or did not confirm the event within the publish timeout, or the sidecar is not ready or is shutting down; see Retry-After.',
  },
  SERVER_BUSY: {
    code: '2005',
    name: 'Server busy',
    httpStatus: 429,
    usedFor: 'Too many events in flight (backpressure); see Retry-After.',
  },
  GENERIC_CLIENT_ERROR: {
    code: '3000',
    name: 'Generic client error',
    httpStatus: 400,
    usedFor:
      'Other client errors, with their own status: 401 (missing or wrong bearer token), 405 (method not allowed), 415 (body not application/json).',
  },
  UNKNOWN_URI: {
    code: '3002',
    name: 'Unknown URI',
    httpStatus: 404,
    usedFor: 'No such route.',
  },
  GENERIC_VALIDATION_ERROR: {
    code: '3100',
    name: 'Generic validation error',
    httpStatus: 400,
    usedFor: 'The event breaks the contract in another way, for example an unknown property.',
  },
  MALFORMED_SYNTAX: {
    code: '3101',
    name: 'Malformed syntax',
    httpStatus: 400,
    usedFor:
      'The body is not JSON, or a value has the wrong type, format, pattern, length or range, or is not one of the allowed values.',
  },
  MISSING_MANDATORY_ELEMENT: {
    code: '3102',
    name: 'Missing mandatory element',
    httpStatus: 400,
    usedFor: 'A required property is missing.',
  },
  TOO_MANY_ELEMENTS: {
    code: '3103',
    name: 'Too many elements',
    httpStatus: 400,
    usedFor: 'A batch holds more events than allowed, or a map (tags) more entries.',
  },
  TOO_LARGE_PAYLOAD: {
    code: '3104',
    name: 'Too large payload',
    httpStatus: 413,
    usedFor: 'The request body exceeds the size limit.',
  },
} as const satisfies Record<string, ErrorCodeEntry>);

export type ErrorCodeName = keyof typeof ERROR_CODES;

const FORMAT_KEYWORDS = new Set([
  'type',
  'format',
  'pattern',
  'enum',
  'const',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
]);

/** The error code for a validation issue (see `validateEvent`). */
export function errorCodeNameForIssue(issue: Pick<ValidationIssue, 'keyword'>): ErrorCodeName {
  if (issue.keyword === 'required') return 'MISSING_MANDATORY_ELEMENT';
  if (issue.keyword === 'maxItems' || issue.keyword === 'maxProperties') return 'TOO_MANY_ELEMENTS';
  if (FORMAT_KEYWORDS.has(issue.keyword)) return 'MALFORMED_SYNTAX';
  return 'GENERIC_VALIDATION_ERROR';
}

/**
 * The Mojaloop `errorInformation` for a validation issue, for example
 * `{ errorCode: '3102', errorDescription: 'Missing mandatory element - /id is required', field: '/id' }`.
 */
export function errorInformationForIssue(issue: ValidationIssue): ErrorInformation {
  const entry = ERROR_CODES[errorCodeNameForIssue(issue)];
  const subject = issue.field === '' ? 'the event' : issue.field;
  return {
    errorCode: entry.code,
    errorDescription: `${entry.name} - ${subject} ${issue.message}`.slice(0, 1024),
    field: issue.field,
  };
}
