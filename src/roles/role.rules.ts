import { or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnParent, isActiveMemberOfParent, isAuthenticated } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RoleView } from './role.type';

/** Reached through the caller's own membership. */
const heldByViewer = objectRule('roleHeldByViewer', (role: RoleView) => role.heldByViewer === true);

export const roleRules: RuleMap = {
  Role: {
    // Role names are the organisation's shared vocabulary: every active member sees them.
    '*': or(heldByViewer, isActiveMemberOfParent),
    permissions: or(heldByViewer, holdsOnParent('roles:read')),
    assignedCount: holdsOnParent('roles:read'),
    organisation: or(heldByViewer, isActiveMemberOfParent),
  },
  Permission: {
    '*': isAuthenticated,
  },
};
