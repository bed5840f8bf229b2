import { and, or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { holdsOnParent } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { unauthenticated } from '../core/errors';

/** The membership is the caller's own: always readable (status, roles, effective permissions). */
export const isOwnMembership = objectRule('isOwnMembership', (membership: { userId: string }, ctx: RequestContext) =>
  ctx.principal ? membership.userId === ctx.userId : unauthenticated(),
);

export const membershipRules: RuleMap = {
  Membership: {
    '*': or(isOwnMembership, holdsOnParent('members:read')),
    effectivePermissions: or(isOwnMembership, and(holdsOnParent('members:read'), holdsOnParent('roles:read'))),
  },
};
