import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { unauthenticated } from '../core/errors';
import { isInviteeOf, openInvitationsOfViewer, type OpenInvitation } from './invitee';

/**
 * Invitee rules: what someone invited may read before they are a member, decided from data (the
 * invitation's address equals the caller's verified email, and it is still open), never from how the
 * object was reached. `Viewer.invitations` relies on them; so does any other path (e.g. `_entities`).
 */

/** The invitation itself: addressed to the caller's verified email, pending, unexpired, its organisation ACTIVE. */
export const isInvitee = objectRule('isInvitee', (invitation: OpenInvitation, ctx: RequestContext) =>
  ctx.principal ? isInviteeOf(ctx, invitation) : unauthenticated(),
);

/** One of the caller's open invitations satisfies `offers` (one statement per request, whatever the list). */
function offeredToViewer(name: string, offers: (invitation: OpenInvitation, object: any) => boolean) {
  return objectRule(name, async (object: unknown, ctx: RequestContext) => {
    if (!ctx.principal) return unauthenticated();
    return (await openInvitationsOfViewer(ctx)).some((invitation) => offers(invitation, object));
  });
}

/** A role one of the caller's open invitations grants: its name and description, not its permissions. */
export const roleOfferedToViewer = offeredToViewer('roleOfferedToViewer', (invitation, role: { id: string }) => invitation.roleIds.includes(role.id));

/** A team one of the caller's open invitations places them in. */
export const teamOfferedToViewer = offeredToViewer('teamOfferedToViewer', (invitation, team: { id: string }) => invitation.teamIds.includes(team.id));

/** An organisation the caller is invited to: its id, name and slug. */
export const invitedToOrganisation = offeredToViewer('invitedToOrganisation', (invitation, organisation: { id: string }) => invitation.organisationId === organisation.id);
