import { randomBytes } from 'node:crypto';

/** Where the TXT record proving a domain goes: a name of its own, so it disturbs no other record. */
export const VERIFICATION_RECORD_PREFIX = '_access-verification';
const VALUE_PREFIX = 'access-verification=';

/** A fresh token (32 random bytes): one per organisation and domain, so no organisation can reuse another's record. */
export function newVerificationToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The TXT record's name for `domain`, e.g. `_access-verification.acme.com`. */
export function verificationRecordName(domain: string): string {
  return `${VERIFICATION_RECORD_PREFIX}.${domain}`;
}

/** The TXT record's value carrying `token`. */
export function verificationRecordValue(token: string): string {
  return `${VALUE_PREFIX}${token}`;
}
