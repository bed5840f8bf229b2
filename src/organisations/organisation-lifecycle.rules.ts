import { allow } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { isPlatformAdmin, withAccess } from '../core/authz/common-rules';
import { fieldRule, objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { forbidden, notFound, unauthenticated } from '../core/errors';
import { isId } from '../core/ids';
import { ownerRefusal } from '../memberships/ownership-transfer.service';

/**
 * The caller is an Owner (active, MFA shown where required) of the organisation named by `organisationId`;
 * the same refusal, in the same order, as the service's re-check (`ownerRefusal`): suspended or deleted
 * (FORBIDDEN, reason), MFA_REQUIRED, FORBIDDEN for other active members, NOT_FOUND otherwise.
 */
export const isOwnerOfArgument = fieldRule('isOwnerOfArgument', (_parent: unknown, args: { organisationId?: unknown }, ctx: RequestContext) => {
  if (!isId(args.organisationId)) return notFound('Organisation');
  return withAccess(ctx, args.organisationId, (snapshot) => ownerRefusal(snapshot) ?? true);
});

/** eraseUser: platform administrators erase anyone; a person may erase themselves (the right to erasure). */
export const mayEraseUser = fieldRule('mayEraseUser', (_parent: unknown, args: { id?: unknown }, ctx: RequestContext) => {
  if (!ctx.principal) return unauthenticated();
  if (ctx.principal.isPlatformAdmin || args.id === ctx.userId) return true;
  return forbidden('Only platform administrators erase other users');
});

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
  Mutation: {
    appointOwner: isPlatformAdmin,
    suspendOrganisation: isPlatformAdmin,
    reactivateOrganisation: isPlatformAdmin,
    deleteOrganisation: isPlatformAdmin,
    transferOwnership: isOwnerOfArgument,
    eraseUser: mayEraseUser,
  },
  // Both memberships keep their own rules (the caller's is their own; the recipient's needs members:read).
  OwnershipTransfer: { '*': allow },
};
