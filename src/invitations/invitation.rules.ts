import { allow, and, or } from 'graphql-shield';
import { isInvitee } from './invitee.rules';
import { contactField, type ContactContext } from '../core/authz/contact-details';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnArgument, holdsOnParent, isAuthenticated } from '../core/authz/common-rules';

/** An invitation's address: its organisation's contact rule, or the invitee themselves (verified). */
const invitationContact = (invitation: { organisationId: string; email: string }): ContactContext => ({
  scopes: [{ organisationId: invitation.organisationId }],
  ownerEmail: invitation.email,
});

/** invitations:read in its organisation, or its invitee while it is open (src/invitations/invitee.rules.ts). */
const readsInvitation = or(holdsOnParent('invitations:read'), isInvitee);

export const invitationRules: RuleMap = {
  Query: {
    // The token is the secret: any signed-in holder may preview what it offers.
    invitationPreview: isAuthenticated,
  },
  Mutation: {
    inviteUser: holdsOnArgument('members:invite'),
    // The invitation service checks invitations:manage in the invitation's organisation (NOT_FOUND elsewhere).
    resendInvitation: isAuthenticated,
    cancelInvitation: isAuthenticated,
    // Anyone signed in; the service requires the token's verified email to be the invited one.
    acceptInvitation: isAuthenticated,
  },
  Organisation: {
    invitations: holdsOnParent('invitations:read', 'id'),
  },
  Invitation: {
    '*': readsInvitation,
    // The one contact rule (src/core/authz/contact-details.ts) on top: invitations:read alone shows no address
    // (the invitee sees their own: the contact rule's ownerEmail).
    email: and(readsInvitation, contactField('Invitation', invitationContact)),
  },
  // Returned only by invitationPreview, to a signed-in holder of the token.
  InvitationPreview: { '*': isAuthenticated },
  InvitationPreviewGrant: { '*': isAuthenticated },
  // Returned only by inviteUser and resendInvitation, whose services checked the inviter's permission;
  // the invitation inside is checked by its own rule.
  InvitationPayload: { '*': allow },
  InvitationConnection: { '*': allow },
  InvitationEdge: { '*': allow },
};
