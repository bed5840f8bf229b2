import { roleOfferedToViewer } from '../invitations/invitee.rules';
import { or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnParent, isActiveMemberOfParent, isAuthenticated, withAccess } from '../core/authz/common-rules';
import type { RequestContext } from '../core/context/request-context';
import { objectRule } from '../core/authz/rule-engine';
import type { RoleView } from './role.type';

/** The caller's membership holds the role directly (read from the membership's data, whatever its status). */
const heldByCaller = objectRule('roleHeldByCaller', (role: RoleView, ctx: RequestContext) => withAccess(ctx, role.organisationId, (snapshot) => snapshot.holdsRole(role.id)));

export const roleRules: RuleMap = {
  Role: {
    // Role names are the organisation's shared vocabulary: every active member sees them.
    // And the invitee of an open invitation granting it (its name before accepting).
    '*': or(heldByCaller, isActiveMemberOfParent, roleOfferedToViewer),
    permissions: or(heldByCaller, holdsOnParent('roles:read')),
    assignedCount: holdsOnParent('roles:read'),
    organisation: or(heldByCaller, isActiveMemberOfParent),
  },
  Permission: {
    '*': isAuthenticated,
  },
};
