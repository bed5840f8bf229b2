import { or } from 'graphql-shield';
import { redacted, type RuleMap } from '../core/authz/apply-rules';
import type { AccessSnapshot } from '../access/access-snapshot';
import { allowsInAnyScope, decidePermission } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { unauthenticated } from '../core/errors';
import { contactField } from '../core/authz/contact-details';
import { userContact, type Scope, type UserView } from './user.type';

export const isSelf = objectRule('isSelf', (user: { id: string }, ctx: RequestContext) => (ctx.principal ? user.id === ctx.userId : unauthenticated()));

/** The caller holds `permission` in one of the organisations (or teams) through which it reached this user. */
function seenWith(permission: string) {
  const allows = (snapshot: AccessSnapshot, { teamId }: Scope) =>
    teamId ? snapshot.hasInTeam(teamId, permission) : decidePermission(snapshot, permission) === true;
  // Synchronous while the snapshots are known (inside a list they are), so the user's fields stay synchronous.
  return objectRule(`userSeenWith:${permission}`, (user: UserView, ctx: RequestContext) => allowsInAnyScope(ctx, user.seenThrough ?? [], allows));
}

export const userRules: RuleMap = {
  User: {
    '*': or(isSelf, seenWith('members:read')),
    // The one contact rule (src/core/authz/contact-details.ts): yourself, or members:read-contact where reached.
    // Hidden, not refused: null with no error for a reader who may see the person but not this.
    email: redacted(contactField('User', userContact)),
    lastSignInAt: redacted(or(isSelf, seenWith('access:review'))),
  },
};
