import type { VerifiedIdentity } from '../core/auth/verified-identity';
import { sharedLookup } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { notFound } from '../core/errors';
import { invitationForbidden, InvitationRefusal } from './invitation-errors';
import { hashInvitationToken, isWellFormedToken } from './invitation-token';

/** FORBIDDEN unless the token's email is the invited one (EMAIL_MISMATCH) and verified (EMAIL_NOT_VERIFIED). */
export function assertInvitee(identity: VerifiedIdentity, invitedEmail: string): void {
  if (!identity.email || identity.email.toLowerCase() !== invitedEmail.toLowerCase()) {
    throw invitationForbidden(InvitationRefusal.EMAIL_MISMATCH, 'This invitation is for another email address: sign in as the invited person to accept it');
  }
  if (!identity.emailVerified) {
    throw invitationForbidden(InvitationRefusal.EMAIL_NOT_VERIFIED, 'Your email address is not verified: verify it with your identity provider, then accept the invitation');
  }
}

/**
 * acceptInvitation's declaration: the invitation the token names exists (NOT_FOUND otherwise, like a
 * token we never issued) and names the caller's verified email. Whether it is still open is the
 * service's business (CONFLICT), checked on the locked row.
 */
export async function requireInvitee(ctx: RequestContext, token: unknown): Promise<{ organisationId: string; email: string }> {
  const principal = ctx.requirePrincipal();
  if (!isWellFormedToken(token)) throw notFound('Invitation');
  const tokenHash = hashInvitationToken(token);
  // Shared by the rule and the service of one mutation field: one lookup (acceptance locks the invitation again).
  const [row]: { organisation_id: string; email: string }[] = await sharedLookup(ctx, `invitationByTokenHash:${tokenHash}`, () =>
    ctx.services.dataSource.query('SELECT organisation_id, email FROM invitations WHERE token_hash = $1', [tokenHash]),
  );
  if (!row) throw notFound('Invitation');
  assertInvitee(principal.identity, row.email);
  return { organisationId: row.organisation_id, email: row.email };
}
