import { roleOfferedToViewer } from '../invitations/invitee.rules';
import { or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnArgument, holdsOnParent, isActiveMemberOfParent, isAuthenticated } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RoleView } from './role.type';

/** Reached through the caller's own membership. */
const heldByViewer = objectRule('roleHeldByViewer', (role: RoleView) => role.heldByViewer === true);

export const roleRules: RuleMap = {
  Query: {
    permissionCatalogue: isAuthenticated,
  },
  Mutation: {
    createRole: holdsOnArgument('roles:manage'),
    // The role service checks roles:manage in the role's organisation (NOT_FOUND elsewhere).
    updateRole: isAuthenticated,
    deleteRole: isAuthenticated,
  },
  Role: {
    // Role names are the organisation's shared vocabulary: every active member sees them.
    // And the invitee of an open invitation granting it (its name before accepting).
    '*': or(heldByViewer, isActiveMemberOfParent, roleOfferedToViewer),
    permissions: or(heldByViewer, holdsOnParent('roles:read')),
    assignedCount: holdsOnParent('roles:read'),
    organisation: or(heldByViewer, isActiveMemberOfParent),
  },
  Permission: {
    '*': isAuthenticated,
  },
};
