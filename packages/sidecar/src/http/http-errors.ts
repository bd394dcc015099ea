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

/** A body that is not JSON (or not an object or an array, as body-parser's strict mode demands). */
export const malformedJson = (cause?: unknown): SidecarError =>
  new SidecarError('MALFORMED_JSON', 'the body is not valid JSON', {
    field: '',
    ...(cause instanceof Error ? { cause } : {}),
  });

/** A body cut short: the client went away or sent fewer bytes than it announced. */
export const incompleteBody = (cause: unknown): SidecarError =>
  new SidecarError('MALFORMED_JSON', 'the body is incomplete', { field: '', cause });

function isValidatorError(err: unknown): err is ValidatorError {
  return err instanceof Error && typeof (err as { status?: unknown }).status === 'number' && 'errors' in err;
}

/** The validator's `/body/0/id` (or `.body.0.id`) as a pointer into the body: `/0/id`. */
export function bodyPointer(path: string | undefined): string {
  if (path === undefined) return '';
  const pointer = path.startsWith('/') ? path : '/' + path.replace(/^\./, '').split('.').join('/');
  return pointer.replace(/^\/body(?=\/|$)/, '');
}

export function toSidecarError(err: unknown): unknown {
  if (isSidecarError(err)) return err;
  const parserType = (err as BodyParserError | null)?.type;
  if (typeof parserType === 'string') {
    switch (parserType) {
      case 'entity.parse.failed':
        return malformedJson(err);
      case 'entity.too.large': {
        const limit = (err as { limit?: unknown }).limit;
        return new SidecarError(
          'PAYLOAD_TOO_LARGE',
          typeof limit === 'number' ? `the body exceeds ${limit} bytes` : 'the body is too large',
          { cause: err },
        );
      }
      case 'charset.unsupported':
      case 'encoding.unsupported':
        return new SidecarError('UNSUPPORTED_MEDIA_TYPE', 'unsupported charset or content encoding', { cause: err });
      case 'request.aborted':
      case 'request.size.invalid':
        return incompleteBody(err);
      default:
        break;
    }
  }
  if (isValidatorError(err)) {
    const first = err.errors?.[0];
    switch (err.status) {
      case 400: {
        // Only the outer shape of the bodies reaches the validator: "/body must be array", "must NOT have more than 5 items".
        const issue = {
          field: bodyPointer(first?.path),
          message: first?.message ?? 'is invalid',
          keyword: first?.errorCode?.split('.')[0] ?? 'unknown',
        };
        const subject = issue.field === '' ? 'the body' : issue.field;
        return new SidecarError('VALIDATION_FAILED', `${subject} ${issue.message}`, { issue, cause: err });
      }
      case 401:
        return new SidecarError('UNAUTHORIZED', 'missing or invalid bearer token', { cause: err });
      case 404:
        return new SidecarError('NOT_FOUND', '', { cause: err });
      case 405:
        return new SidecarError('METHOD_NOT_ALLOWED', 'method not allowed', {
          cause: err,
          ...(err.headers?.Allow ? { headers: { Allow: err.headers.Allow } } : {}),
        });
      case 413:
        return new SidecarError('PAYLOAD_TOO_LARGE', 'the body is too large', { cause: err });
      case 415:
        return new SidecarError('UNSUPPORTED_MEDIA_TYPE', 'unsupported media type', { cause: err });
      default:
        return err;
    }
  }
  // express and its router mark client faults (for example a malformed URI) with a 4xx status.
  const status = (err as BodyParserError | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new SidecarError('MALFORMED_JSON', 'malformed request', { cause: err });
  return err;
}
