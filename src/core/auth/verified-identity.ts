import { isEmail } from 'class-validator';
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

/**
 * Reads a claim by path. Three forms, tried in this order:
 * - a JSON pointer (RFC 6901) when the path starts with `/`: `/https:~1~1example.com~1roles`, exact;
 * - the whole name, as a top-level claim: `https://example.com/roles` (Auth0's namespaced claims);
 * - a dotted path: `realm_access.roles` (Keycloak); at each level the longest dotted name that is a key
 *   wins, so `resource_access.web.app.roles` finds the client `web.app`.
 * Only the token's own keys are read (never `constructor`, `__proto__` or other inherited names).
 */
export function readClaim(claims: JWTPayload, claimPath: string): unknown {
  if (claimPath.startsWith('/')) return readPointer(claims, claimPath);
  return readDotted(claims, claimPath.split('.'));
}

/** Writes a claim at a path as {@link readClaim} reads it (nested objects for pointers and dotted paths). */
export function writeClaim(claims: Record<string, unknown>, claimPath: string, value: unknown): void {
  const segments = claimPath.startsWith('/') ? pointerSegments(claimPath) : claimPath.split('.');
  let target = claims;
  for (const segment of segments.slice(0, -1)) {
    if (!isObject(target[segment])) target[segment] = {};
    target = target[segment] as Record<string, unknown>;
  }
  target[segments[segments.length - 1]] = value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function ownValue(value: unknown, key: string): unknown {
  return isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

function pointerSegments(pointer: string): string[] {
  return pointer.slice(1).split('/').map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function readPointer(claims: JWTPayload, pointer: string): unknown {
  let value: unknown = claims;
  for (const segment of pointerSegments(pointer)) value = ownValue(value, segment);
  return value;
}

function readDotted(value: unknown, parts: string[]): unknown {
  // Longest name first: the whole remaining path, then shorter prefixes (a claim name may hold dots).
  for (let length = parts.length; length > 0; length -= 1) {
    const found = ownValue(value, parts.slice(0, length).join('.'));
    if (found === undefined) continue;
    if (length === parts.length) return found;
    const nested = readDotted(found, parts.slice(length));
    if (nested !== undefined) return nested;
  }
  return undefined;
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
  const { email, emailVerified } = tokenEmail(claims);
  const name = displayName(claims, email);
  return {
    issuer: claims.iss as string,
    subject: claims.sub as string,
    email,
    emailVerified,
    name,
    amr: Array.isArray(claims.amr) ? claims.amr.filter((value): value is string => typeof value === 'string') : [],
    claims,
  };
}

/** Claims that name a person, in order of preference. */
const PERSON_NAME_CLAIMS = ['name', 'preferred_username', 'upn'] as const;
/** Claims that name a client (machine tokens from the client-credentials grant): OAuth, Keycloak/Auth0, Entra ID v1, Okta. */
const CLIENT_NAME_CLAIMS = ['client_id', 'azp', 'appid', 'cid'] as const;
/** Sign-in names that may carry the address when there is no `email` (Entra ID: v2 and v1 tokens). */
const ADDRESS_CLAIMS = ['preferred_username', 'upn'] as const;

function firstText(claims: JWTPayload, names: readonly string[]): string | null {
  for (const name of names) {
    const value = ownValue(claims, name);
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  return null;
}

/**
 * `email`, verified only by `email_verified: true`. Without it, an address-shaped `preferred_username` or
 * `upn` (Entra ID often sends no `email`) is taken as the address, never verified: it is a sign-in name
 * the tenant sets, so it shows and can be searched but links no placeholder and accepts no invitation.
 */
function tokenEmail(claims: JWTPayload): { email: string | null; emailVerified: boolean } {
  const email = firstText(claims, ['email'])?.toLowerCase() ?? null;
  if (email) return { email, emailVerified: claims.email_verified === true };
  const signInName = firstText(claims, ADDRESS_CLAIMS)?.toLowerCase() ?? null;
  return { email: signInName && isEmail(signInName) ? signInName : null, emailVerified: false };
}

/**
 * The person's name; null only when there is an email (the user is then named by it). A token with
 * neither (a machine's, from the client-credentials grant) is named by its client id, else its subject:
 * never an empty name.
 */
function displayName(claims: JWTPayload, email: string | null): string | null {
  const person = firstText(claims, PERSON_NAME_CLAIMS);
  if (person || email) return person;
  return firstText(claims, CLIENT_NAME_CLAIMS) ?? (claims.sub as string);
}
