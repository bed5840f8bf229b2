import { allow } from 'graphql-shield';
import { contactField, type ContactContext } from '../core/authz/contact-details';
import { redacted, type RuleMap } from '../core/authz/apply-rules';
import { holdsOnParent } from '../core/authz/common-rules';

/** An invitation's address: its organisation's contact rule, or the invitee themselves (verified). */
const invitationContact = (invitation: { organisationId: string; email: string }): ContactContext => ({
  scopes: [{ organisationId: invitation.organisationId }],
  ownerEmail: invitation.email,
});

export const invitationRules: RuleMap = {
  Organisation: {
    invitations: holdsOnParent('invitations:read', 'id'),
  },
  Invitation: {
    '*': holdsOnParent('invitations:read'),
    // The one contact rule (src/core/authz/contact-details.ts) on top: invitations:read alone shows no address.
    // invitations:read refuses as usual; the contact rule hides the address (null, no error).
    email: redacted(contactField('Invitation', invitationContact), holdsOnParent('invitations:read')),
  },
  // Returned only by inviteUser and resendInvitation, whose services checked the inviter's permission;
  // the invitation inside is checked by its own rule.
  InvitationPayload: { '*': allow },
  InvitationConnection: { '*': allow },
  InvitationEdge: { '*': allow },
};
