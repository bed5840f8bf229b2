import { badInput } from '../core/errors';
/**
 * Time-bound grants: a direct role (membership_roles.expires_at) or a team place
 * (team_members.expires_at) counts until its expiry, and not at or after it. This module is the one
 * place that rule is written: {@link isLiveAt} for the permission evaluator (which is given the instant
 * it judges at) and {@link liveGrant} for every SQL statement that reads grants, so a grant stops
 * counting the moment it expires whether or not the grant-expiry sweeper has removed it yet.
 */

/** An expiry as the evaluator carries it: milliseconds since the epoch, or null for a permanent grant. */
export type GrantExpiry = number | null | undefined;

/** Whether a grant with this expiry still counts at `at` (ms since the epoch). */
export function isLiveAt(expiresAt: GrantExpiry, at: number): boolean {
  return expiresAt === null || expiresAt === undefined || expiresAt > at;
}

/**
 * SQL: the grant row aliased `alias` (membership_roles or team_members) still counts now (the
 * statement's transaction time, as every other time comparison of the service).
 */
export function liveGrant(alias: string): string {
  return `(${alias}.expires_at IS NULL OR ${alias}.expires_at > now())`;
}

/** SQL: the grant row aliased `alias` no longer counts (what the grant-expiry sweeper removes); `liveGrant`'s negation. */
export function expiredGrant(alias: string): string {
  return `(${alias}.expires_at IS NOT NULL AND ${alias}.expires_at <= now())`;
}

/** SQL: the grant row aliased `alias` is permanent (the last-Owner guard counts only those). */
export function permanentGrant(alias: string): string {
  return `${alias}.expires_at IS NULL`;
}

/** SQL: the expiry of `alias` as the evaluator carries it (ms since the epoch, or null), for json_build_object. */
export function expiryMillis(alias: string): string {
  return `(extract(epoch FROM ${alias}.expires_at) * 1000)::bigint`;
}

/** An expiry read from JSON (timestamptz as text) or a driver row (Date), as a Date or null. */
export function expiryDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value as string);
}

/**
 * An `expiresAt` argument checked: absent or null is a permanent grant; otherwise a valid instant in
 * the future (BAD_USER_INPUT naming `field` otherwise).
 */
export function grantExpiryInput(value: Date | string | null | undefined, field: string, now: number = Date.now()): Date | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : typeof value === 'string' && ISO_8601.test(value.trim()) ? new Date(value.trim()) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw badInput(`${field} is not an ISO 8601 date and time`, { field });
  if (date.getTime() <= now) throw badInput(`${field} must be in the future`, { field });
  if (date.getTime() > now + MAX_GRANT_YEARS * 366 * 86_400_000) throw badInput(`${field} must be at most ${MAX_GRANT_YEARS} years ahead`, { field });
  return date;
}

/** How far ahead a time-bound grant may end (beyond that, a permanent grant says the same). */
export const MAX_GRANT_YEARS = 10;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The Owner role is never time-bound: an organisation's ownership must not lapse by itself. */
export function assertNotTimeBoundOwner(roles: readonly { builtInKey: string | null }[], expiresAt: Date | null, field: string): void {
  if (expiresAt !== null && roles.some((role) => role.builtInKey === 'owner')) {
    throw badInput('The Owner role cannot be time-bound', { field });
  }
}
