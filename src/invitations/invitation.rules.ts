import { allow } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnArgument, holdsOnParent, isAuthenticated } from '../core/authz/common-rules';

export const invitationRules: RuleMap = {
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
    '*': holdsOnParent('invitations:read'),
  },
  // Returned only by inviteUser and resendInvitation, whose services checked the inviter's permission;
  // the invitation inside is checked by its own rule.
  InvitationPayload: { '*': allow },
  InvitationConnection: { '*': allow },
  InvitationEdge: { '*': allow },
};
