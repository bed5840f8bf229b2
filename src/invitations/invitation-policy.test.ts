import { AppError } from '../core/errors';
import { domainAllowed, expiryDays, normaliseEmail } from './invitation-policy';
import { effectiveStatus, InvitationStatus } from './invitation-status';
import { acceptUrl, hashInvitationToken, isWellFormedToken, newInvitationToken } from './invitation-token';

describe('invitation policy', () => {
  it('normalises emails and refuses what is not one', () => {
    expect(normaliseEmail('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
    for (const bad of ['', 'ada', 'ada@', '@example.com', 'a b@example.com', `${'a'.repeat(320)}@example.com`]) {
      expect(() => normaliseEmail(bad)).toThrow(AppError);
    }
  });

  it('admits any domain when none is listed, else exactly the listed ones', () => {
    expect(domainAllowed([], 'x@anything.example')).toBe(true);
    expect(domainAllowed(['corp.example'], 'x@corp.example')).toBe(true);
    expect(domainAllowed(['corp.example'], 'x@eu.corp.example')).toBe(false);
    expect(domainAllowed(['corp.example'], 'x@corp.example.evil')).toBe(false);
  });

  it('takes expiry days from 1 to 30, defaulting to the organisation', () => {
    expect(expiryDays(undefined, 7)).toBe(7);
    expect(expiryDays(null, 12)).toBe(12);
    expect(expiryDays(1, 7)).toBe(1);
    expect(expiryDays(30, 7)).toBe(30);
    for (const bad of [0, 31, -3, 2.5]) expect(() => expiryDays(bad, 7)).toThrow(AppError);
  });

  it('derives EXPIRED from a pending invitation past its expiry only', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const past = new Date('2029-12-31T23:59:59Z');
    const future = new Date('2030-01-02T00:00:00Z');
    expect(effectiveStatus({ status: InvitationStatus.PENDING, expiresAt: past }, now)).toBe(InvitationStatus.EXPIRED);
    expect(effectiveStatus({ status: InvitationStatus.PENDING, expiresAt: future }, now)).toBe(InvitationStatus.PENDING);
    expect(effectiveStatus({ status: InvitationStatus.ACCEPTED, expiresAt: past }, now)).toBe(InvitationStatus.ACCEPTED);
    expect(effectiveStatus({ status: InvitationStatus.CANCELLED, expiresAt: past }, now)).toBe(InvitationStatus.CANCELLED);
  });

  it('makes URL-safe 32-byte tokens, hashed with SHA-256, linked under the configured base', () => {
    const { token, hash } = newInvitationToken();
    expect(isWellFormedToken(token)).toBe(true);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashInvitationToken(token)).toBe(hash);
    expect(newInvitationToken().token).not.toBe(token);
    expect(isWellFormedToken(`${token}=`)).toBe(false);
    expect(acceptUrl('https://app.example/join?lang=en', token)).toBe(`https://app.example/join?lang=en&token=${token}`);
  });
});
