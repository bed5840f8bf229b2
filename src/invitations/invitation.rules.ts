import { allow, or } from 'graphql-shield';
import { isInvitee } from './invitee.rules';
import { contactField, type ContactContext } from '../core/authz/contact-details';
import { redacted, type RuleMap } from '../core/authz/apply-rules';
import { holdsOnParent, isAuthenticated } from '../core/authz/common-rules';

/** An invitation's address: its organisation's contact rule, or the invitee themselves (verified). */
const invitationContact = (invitation: { organisationId: string; email: string }): ContactContext => ({
  scopes: [{ organisationId: invitation.organisationId }],
  ownerEmail: invitation.email,
});

/** invitations:read in its organisation, or its invitee while it is open (src/invitations/invitee.rules.ts). */
const readsInvitation = or(holdsOnParent('invitations:read'), isInvitee);

export const invitationRules: RuleMap = {
  Organisation: {
    invitations: holdsOnParent('invitations:read', 'id'),
  },
  Invitation: {
    '*': readsInvitation,
    // The one contact rule (src/core/authz/contact-details.ts) on top: invitations:read alone shows no address
    // (the invitee sees their own: the contact rule's ownerEmail). Reading the invitation refuses as usual;
    // the contact rule hides the address (null, no error).
    email: redacted(contactField('Invitation', invitationContact), readsInvitation),
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
