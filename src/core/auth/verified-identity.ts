import type { JWTPayload } from 'jose';

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

export function identityFromClaims(claims: JWTPayload): VerifiedIdentity {
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
