import type { RequestContext } from '../core/context/request-context';
import { effectiveStatus, InvitationStatus } from './invitation-status';
import type { InvitationEntity } from './invitation.entity';

/** An open invitation with the ids of what it offers (the invitee may read those names before accepting). */
export type OpenInvitation = InvitationEntity & { roleIds: string[]; teamIds: string[] };

/**
 * The caller's verified address (the users row, lower case), or null: invitations are matched on it, as
 * accepting requires it verified. The same fact the contact rule uses for an invitation's own address.
 */
export function verifiedEmailOf(ctx: RequestContext): string | null {
  const user = ctx.principal?.user;
  return user?.email && user.emailVerified ? user.email.toLowerCase() : null;
}

/**
 * The caller is the invitee of this open invitation: it is addressed to their verified email (the object's
 * data) and is among their open invitations (pending, unexpired, in an ACTIVE organisation; the loader's
 * one statement per request).
 */
export function isInviteeOf(ctx: RequestContext, invitation: Pick<InvitationEntity, 'id' | 'email' | 'status' | 'expiresAt'>): boolean | Promise<boolean> {
  const email = verifiedEmailOf(ctx);
  if (email === null || invitation.email.toLowerCase() !== email || effectiveStatus(invitation) !== InvitationStatus.PENDING) return false;
  return openInvitationsOfViewer(ctx).then((open) => open.some((candidate) => candidate.id === invitation.id));
}

/** The caller's open invitations across organisations (one statement per request, newest first); none without a verified email. */
export async function openInvitationsOfViewer(ctx: RequestContext): Promise<OpenInvitation[]> {
  const email = verifiedEmailOf(ctx);
  return email ? ctx.loaders.openInvitationsByEmail.load(email) : [];
}
