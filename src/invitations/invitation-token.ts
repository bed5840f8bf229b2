import { createHash, randomBytes } from 'node:crypto';

const TOKEN_BYTES = 32;
// 32 bytes in base64url, unpadded.
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new accept token (32 random bytes, URL-safe) and the SHA-256 hash that is all the database keeps. */
export function newInvitationToken(): { token: string; hash: string } {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashInvitationToken(token) };
}

export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** False for anything we could not have issued (so it is not even looked up). */
export function isWellFormedToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_PATTERN.test(token);
}

/** The link in the email: the configured base with `token` as a query parameter. */
export function acceptUrl(base: string, token: string): string {
  const url = new URL(base);
  url.searchParams.set('token', token);
  return url.toString();
}
