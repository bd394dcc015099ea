// The bearer-token check (AUTH_TOKEN) that HTTP and gRPC both make.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Compares a presented token with the configured one in constant time. Both sides are hashed
 * first so that neither the comparison time nor an early length check tells the length.
 */
export function tokensEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** True when an `Authorization` header value carries `Bearer <expected>`. */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  if (header === undefined) return false;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  // Still spend the comparison when the header is malformed, so that timing says nothing about why.
  return tokensEqual(match?.[1] ?? '', expected) && match !== null;
}
