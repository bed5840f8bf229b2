import { isEmail } from 'class-validator';
import { badInput } from '../core/errors';
import { InvitationRefusal } from './invitation-errors';
import { MAX_EXPIRY_DAYS, MIN_EXPIRY_DAYS } from './invitation.inputs';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Trimmed, lower case, and a plausible address (≤ 320 characters); else BAD_USER_INPUT. */
export function normaliseEmail(input: string): string {
  const email = input.trim().toLowerCase();
  if (email.length > 320 || !isEmail(email)) throw badInput('email must be an email address', { field: 'email' });
  return email;
}

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

/** Whether the organisation's allowedEmailDomains (exact domains; empty: any) admit the address. */
export function domainAllowed(allowedEmailDomains: readonly string[], email: string): boolean {
  return allowedEmailDomains.length === 0 || allowedEmailDomains.includes(emailDomain(email));
}

/**
 * Inviting outside the allowed domains is a problem with the input (another address would do), so
 * BAD_USER_INPUT, with `reason: EMAIL_DOMAIN_NOT_ALLOWED`. The allowed list itself is not disclosed.
 */
export function assertDomainAllowed(allowedEmailDomains: readonly string[], email: string): void {
  if (!domainAllowed(allowedEmailDomains, email)) {
    throw badInput(`Invitations to @${emailDomain(email)} addresses are not allowed in this organisation`, {
      field: 'email',
      reason: InvitationRefusal.EMAIL_DOMAIN_NOT_ALLOWED,
    });
  }
}

/** `expiresInDays` when given (1–30, else BAD_USER_INPUT), or the organisation's default. */
export function expiryDays(expiresInDays: number | null | undefined, organisationDefault: number): number {
  if (expiresInDays === null || expiresInDays === undefined) return organisationDefault;
  if (!Number.isInteger(expiresInDays) || expiresInDays < MIN_EXPIRY_DAYS || expiresInDays > MAX_EXPIRY_DAYS) {
    throw badInput(`expiresInDays must be between ${MIN_EXPIRY_DAYS} and ${MAX_EXPIRY_DAYS}`, { field: 'expiresInDays' });
  }
  return expiresInDays;
}

export function daysFromNow(days: number, now: Date = new Date()): Date {
  return new Date(now.getTime() + days * DAY_MS);
}
