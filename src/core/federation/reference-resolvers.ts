import type { RequestContext } from '../context/request-context';
import { isId } from '../ids';
import { userView } from '../../users/user.type';
import { scopesWithMembersRead, scopesWithMembersReadIfKnown } from '../../users/user.resolver';

type Reference = { id: string };

/**
 * `__resolveReference` for every entity. Loads go through the request's DataLoaders (one statement per
 * type per request) and the same visibility as every other path: what the caller may not see is null.
 */
export const referenceResolvers = {
  Organisation: {
    async __resolveReference(reference: Reference, ctx: RequestContext) {
      return ctx.principal ? ctx.services.organisations.findVisible(ctx, reference.id) : null;
    },
  },
  User: {
    async __resolveReference(reference: Reference, ctx: RequestContext) {
      if (!ctx.principal || !isId(reference.id)) return null;
      const found = await ctx.loaders.userWithOrganisationsById.load(reference.id);
      if (!found) return null;
      // Per batch, not per representation: once the first user's organisations are known, the rest answer
      // synchronously (no Set, no Promise.all, one shared Scope per organisation).
      const seenThrough = scopesWithMembersReadIfKnown(ctx, found.organisationIds) ?? (await scopesWithMembersRead(ctx, found.organisationIds));
      return found.user.id === ctx.userId || seenThrough.length > 0 ? userView(found.user, seenThrough) : null;
    },
  },
  Membership: {
    async __resolveReference(reference: Reference, ctx: RequestContext) {
      if (!ctx.principal || !isId(reference.id)) return null;
      const membership = await ctx.loaders.membershipById.load(reference.id);
      if (!membership) return null;
      if (membership.userId === ctx.userId) return membership;
      return (await ctx.access(membership.organisationId)).has('members:read') ? membership : null;
    },
  },
  Team: {
    async __resolveReference(reference: Reference, ctx: RequestContext) {
      return ctx.services.teamDirectory.findVisible(ctx, reference.id);
    },
  },
  Invitation: {
    async __resolveReference(reference: Reference, ctx: RequestContext) {
      return ctx.services.invitationDirectory.findVisible(ctx, reference.id);
    },
  },
  Role: {
    async __resolveReference(reference: Reference, ctx: RequestContext) {
      if (!ctx.principal || !isId(reference.id)) return null;
      const role = await ctx.loaders.roleById.load(reference.id);
      if (!role) return null;
      return (await ctx.access(role.organisationId)).active ? role : null;
    },
  },
};
