import type { JWTPayload } from 'jose';
import { isStorableText } from '../storable-text';

/** What the service takes from a verified token: identity only, never roles (DESIGN.md §1). */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  /** Authentication methods (RFC 8176), used for the organisations' MFA policy. */
  amr: string[];
  claims: JWTPayload;
}

/** Reads a claim by dotted path, e.g. `realm_access.roles`. */
export function readClaim(claims: JWTPayload, dottedPath: string): unknown {
  let value: unknown = claims;
  for (const part of dottedPath.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** True when the claim at `claimPath` holds `role` (a list, or a space/comma separated string). */
export function claimHoldsRole(claims: JWTPayload, claimPath: string, role: string): boolean {
  const value = readClaim(claims, claimPath);
  if (Array.isArray(value)) return value.includes(role);
  if (typeof value === 'string') return value.split(/[\s,]+/).includes(role);
  return false;
}

// The claims the service stores (users row): one PostgreSQL cannot store refuses the whole token.
const STORED_CLAIMS = ['sub', 'email', 'name', 'preferred_username'] as const;

/** Throws (the verifier then refuses the token: UNAUTHENTICATED) when a stored claim holds NUL or an unpaired surrogate. */
export function identityFromClaims(claims: JWTPayload): VerifiedIdentity {
  for (const claim of STORED_CLAIMS) {
    const value = claims[claim];
    if (typeof value === 'string' && !isStorableText(value)) throw new Error(`claim ${claim} holds a character that cannot be stored`);
  }
  const email = typeof claims.email === 'string' && claims.email.trim() ? claims.email.trim().toLowerCase() : null;
  const name = [claims.name, claims.preferred_username].find((value) => typeof value === 'string' && value.trim());
  return {
    issuer: claims.iss as string,
    subject: claims.sub as string,
    email,
    emailVerified: email !== null && claims.email_verified === true,
    name: typeof name === 'string' ? name.trim() : null,
    amr: Array.isArray(claims.amr) ? claims.amr.filter((value): value is string => typeof value === 'string') : [],
    claims,
  };
}
