import type { GraphQLResolveInfo } from 'graphql';
import { createUnionType } from 'type-graphql';
import { ruleFor } from '../core/authz/apply-rules';
import { evaluateRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { isId } from '../core/ids';
import { InvitationType } from '../invitations/invitation.type';
import { MembershipType } from '../memberships/membership.type';
import { OrganisationType } from '../organisations/organisation.type';
import { RoleType } from '../roles/role.type';
import { TeamType } from '../teams/team.type';
import { UserType, userView } from '../users/user.type';
import type { AuditEventView } from './audit-event.type';
import type { RuleMap } from '../core/authz/apply-rules';

/** The GraphQL type of each object a target can be, by the event's targetType. */
const typeOfTarget = new WeakMap<object, string>();

export const AuditTarget = createUnionType({
  name: 'AuditTarget',
  description: 'What an audit event acted on, while it still exists and you may see it',
  types: () => [MembershipType, TeamType, RoleType, InvitationType, OrganisationType, UserType] as const,
  resolveType: (value) => typeOfTarget.get(value as object),
});

type Loader = (ctx: RequestContext, id: string, organisationId: string) => Promise<object | null>;

/**
 * How each target type is loaded (through the request's DataLoaders: one statement per type per list),
 * and only as an object of the event's organisation: an id naming another organisation's object is no target.
 */
const LOADERS: Record<string, Loader> = {
  Membership: async (ctx, id, organisationId) => ownedBy(await ctx.loaders.membershipById.load(id), organisationId),
  Team: async (ctx, id, organisationId) => ownedBy(await ctx.loaders.teamById.load(id), organisationId),
  Role: async (ctx, id, organisationId) => ownedBy(await ctx.loaders.roleById.load(id), organisationId),
  Invitation: async (ctx, id, organisationId) => ownedBy(await ctx.loaders.invitationById.load(id), organisationId),
  Organisation: async (ctx, id, organisationId) => (id === organisationId ? ctx.loaders.organisationById.load(id) : null),
  // A person is reached through the organisation while they are a member of it (any status), as in its member list.
  User: async (ctx, id, organisationId) => {
    const found = await ctx.loaders.userWithOrganisationsById.load(id);
    return found && found.organisationIds.includes(organisationId) ? userView(found.user, [{ organisationId }]) : null;
  },
};

function ownedBy<T extends { organisationId: string }>(object: T | null, organisationId: string): T | null {
  return object && object.organisationId === organisationId ? object : null;
}

/**
 * `AuditEvent.target`: the object the event names, loaded as an object of the event's organisation, and
 * shown only when the rule map lets the caller read it (its type's rule for `id`, the same rule every other
 * path to it meets). Gone, of another organisation, or not yours to see: null, with no error.
 */
export async function resolveAuditTarget(ctx: RequestContext, rules: RuleMap, event: AuditEventView, info: GraphQLResolveInfo): Promise<object | null> {
  const load = LOADERS[event.targetType];
  if (!load || !event.targetId || !isId(event.targetId)) return null;
  const target = await load(ctx, event.targetId, event.organisationId);
  if (!target) return null;
  let verdict: unknown;
  try {
    verdict = await evaluateRule(ruleFor(rules, event.targetType, 'id').rule, target, {}, ctx, info);
  } catch {
    verdict = false;
  }
  if (verdict !== true) return null;
  typeOfTarget.set(target, event.targetType);
  return target;
}
