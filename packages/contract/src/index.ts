export type * from './types.js';
export { EVENT_TYPES, EVENT_ACTIONS, CONTENT_TYPES } from './constants.js';
export {
  ERROR_CODES,
  errorCodeNameForIssue,
  errorInformationForIssue,
  type ErrorCodeEntry,
  type ErrorCodeName,
  type MojaloopErrorCode,
} from './error-codes.js';
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
export { ContractError, CONTRACT_ERROR_CODES, type ContractErrorCode } from './errors.js';
