// The public surface of @event-sidecar/contract: the event types, their schemas and OpenAPI document, the proto,
// the validator, the Mojaloop error codes and the conversion of event-sdk's events.
export type * from './types.js';
export { EVENT_TYPES, EVENT_ACTIONS, CONTENT_TYPES } from './constants.js';
export { ERROR_CODES, errorCodeNameForIssue, errorInformationForIssue, type ErrorCodeName } from './error-codes.js';
export {
  schemas,
  schemasPath,
  openApiDocument,
  openApiPath,
  protoPath,
  createOpenApiDocument,
  type JsonSchema,
  type OpenApiOptions,
} from './artifacts.js';
export {
  validateEvent,
  validateEvents,
  createEventValidator,
  MAX_CONTENT_DEPTH,
  type ValidationIssue,
  type ValidationResult,
  type EventValidator,
} from './validate.js';
export {
  toEventMessage,
  type EventMessageLike,
  type EventMetadataLike,
  type EventTraceMetadataLike,
} from './sdk-event.js';
export { ContractError, type ContractErrorCode } from './errors.js';
