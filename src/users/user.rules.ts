import { or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { decidePermission, isAuthenticated } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { unauthenticated } from '../core/errors';
import type { UserView } from './user.type';

export const isSelf = objectRule('isSelf', (user: { id: string }, ctx: RequestContext) => (ctx.principal ? user.id === ctx.userId : unauthenticated()));

/** The caller holds `permission` in one of the organisations through which it reached this user. */
function seenWith(permission: string) {
  return objectRule(`userSeenWith:${permission}`, async (user: UserView, ctx: RequestContext) => {
    if (!ctx.principal) return unauthenticated();
    for (const { organisationId, teamId } of user.seenThrough ?? []) {
      const snapshot = await ctx.access(organisationId);
      if (teamId ? snapshot.hasInTeam(teamId, permission) : decidePermission(snapshot, permission) === true) return true;
    }
    return false;
  });
}

export const userRules: RuleMap = {
  Query: {
    user: isAuthenticated,
  },
  User: {
    '*': or(isSelf, seenWith('members:read')),
    email: or(isSelf, seenWith('members:read-contact')),
    lastSignInAt: or(isSelf, seenWith('access:review')),
  },
};
