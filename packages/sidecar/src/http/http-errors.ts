// Translates what express, body-parser and express-openapi-validator throw into SidecarErrors,
// so that errors.ts stays the one place deciding statuses. Anything not recognised here is
// passed through unchanged (producer errors) or ends as INTERNAL in resolveError.
import { SidecarError, isSidecarError } from '../errors.js';

interface BodyParserError {
  type?: unknown;
  status?: unknown;
  expose?: unknown;
}

interface ValidatorError {
  status: number;
  message?: string;
  headers?: Record<string, string>;
  errors?: Array<{ path?: string; message?: string; errorCode?: string }>;
}

function isValidatorError(err: unknown): err is ValidatorError {
  return err instanceof Error && typeof (err as { status?: unknown }).status === 'number' && 'errors' in err;
}

/** `.body.metadata.trace` or `/body/metadata/trace` -> `/body/metadata/trace`. */
export function toPointer(path: string | undefined): string | undefined {
  if (path === undefined || path === '') return undefined;
  if (path.startsWith('/')) return path;
  return '/' + path.replace(/^\./, '').split('.').join('/');
}

export function toSidecarError(err: unknown): unknown {
  if (isSidecarError(err)) return err;
  const parserType = (err as BodyParserError | null)?.type;
  if (typeof parserType === 'string') {
    switch (parserType) {
      case 'entity.parse.failed':
        return new SidecarError('MALFORMED_JSON', 'The body is not valid JSON', { field: '/body', cause: err });
      case 'entity.too.large':
        return new SidecarError('PAYLOAD_TOO_LARGE', 'The body is larger than the limit of this service', {
          field: '/body',
          cause: err,
        });
      case 'charset.unsupported':
      case 'encoding.unsupported':
        return new SidecarError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported charset or content encoding', {
          field: '/headers/content-type',
          cause: err,
        });
      case 'request.aborted':
      case 'request.size.invalid':
        return new SidecarError('MALFORMED_JSON', 'The body was incomplete', { field: '/body', cause: err });
      default:
        break;
    }
  }
  if (isValidatorError(err)) {
    const first = err.errors?.[0];
    const field = toPointer(first?.path);
    const withField = field === undefined ? {} : { field };
    switch (err.status) {
      case 400: {
        // The validator's message for a body that is no array: "request/body must be array".
        const message = first?.message ?? err.message ?? 'Invalid request';
        return new SidecarError('VALIDATION_FAILED', `${field ?? 'request'} ${message}`, { ...withField, cause: err });
      }
      case 401:
        return new SidecarError('UNAUTHORIZED', 'A valid bearer token is required', { cause: err });
      case 404:
        return new SidecarError('NOT_FOUND', 'Unknown URI', { cause: err });
      case 405:
        return new SidecarError('METHOD_NOT_ALLOWED', err.message ?? 'Method not allowed', {
          cause: err,
          ...(err.headers?.Allow ? { headers: { Allow: err.headers.Allow } } : {}),
        });
      case 413:
        return new SidecarError('PAYLOAD_TOO_LARGE', 'The body is larger than the limit of this service', {
          field: '/body',
          cause: err,
        });
      case 415:
        return new SidecarError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', {
          field: '/headers/content-type',
          cause: err,
        });
      default:
        return err;
    }
  }
  // express and its router mark client faults (for example a malformed URI) with a 4xx status.
  const status = (err as BodyParserError | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new SidecarError('VALIDATION_FAILED', 'Bad request', { cause: err });
  return err;
}
