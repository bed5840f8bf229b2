import { allow, and, or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnParent, withAccess } from '../core/authz/common-rules';
import type { MembershipView } from './membership.type';
import { objectRule } from '../core/authz/rule-engine';
import { platformAdminSeesOwner } from '../organisations/organisation-lifecycle.rules';
import type { RequestContext } from '../core/context/request-context';
import { unauthenticated } from '../core/errors';

/** The membership is the caller's own: always readable (status, roles, effective permissions). */
export const isOwnMembership = objectRule('isOwnMembership', (membership: { userId: string }, ctx: RequestContext) =>
  ctx.principal ? membership.userId === ctx.userId : unauthenticated(),
);

/** Reached through the member list of a team the caller manages (team-scoped members:read). */
const seenThroughManagedTeam = objectRule('membershipSeenThroughManagedTeam', (membership: MembershipView, ctx: RequestContext) =>
  membership.viaTeamId ? withAccess(ctx, membership.organisationId, (snapshot) => snapshot.hasInTeam(membership.viaTeamId as string, 'members:read')) : false,
);

const readsMembership = or(isOwnMembership, holdsOnParent('members:read'), seenThroughManagedTeam);

export const membershipRules: RuleMap = {
  Membership: {
    '*': readsMembership,
    // Platform administrators read an Owner's membership itself (appointOwner's answer; support).
    id: or(readsMembership, platformAdminSeesOwner),
    status: or(readsMembership, platformAdminSeesOwner),
    joinedAt: or(readsMembership, platformAdminSeesOwner),
    effectivePermissions: or(isOwnMembership, and(holdsOnParent('members:read'), holdsOnParent('roles:read'))),
    // Tells which roles a member holds (covered by the policy) and whether they enrolled: as effectivePermissions.
    mfaEnrolmentDue: or(isOwnMembership, and(holdsOnParent('members:read'), holdsOnParent('roles:read'))),
  },
  Organisation: {
    members: holdsOnParent('members:read', 'id'),
  },
  // As the membership it belongs to (the grant carries its organisation, user and way of reaching it).
  RoleGrant: { '*': readsMembership },
  MembershipConnection: { '*': allow },
  MembershipEdge: { '*': allow },
};
