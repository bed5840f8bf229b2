import { allow } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { unauthenticated } from '../core/errors';

/**
 * Platform administrators may read an Owner's membership (appointOwner answers one; support needs to know
 * who owns an organisation), decided from the membership's roles, not from where it was reached. Only the
 * membership's own fields: its user, roles and permissions keep their rules.
 */
export const platformAdminSeesOwner = objectRule('platformAdminSeesOwner', async (membership: { id: string }, ctx: RequestContext) => {
  if (!ctx.principal) return unauthenticated();
  if (!ctx.principal.isPlatformAdmin) return false;
  return (await ctx.loaders.rolesByMembershipId.load(membership.id)).some((role) => role.builtInKey === 'owner');
});

export const organisationLifecycleRules: RuleMap = {
  // The mutations: src/core/authz/mutation-permissions.ts.
  // Both memberships keep their own rules (the caller's is their own; the recipient's needs members:read).
  OwnershipTransfer: { '*': allow },
};
