import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import { MembershipType, type MembershipView } from '../memberships/membership.type';
import type { RoleEntity } from '../roles/role.entity';
import { RoleType } from '../roles/role.type';
import type { TeamEntity } from '../teams/team.entity';
import { TeamType } from '../teams/team.type';
import { UserType, userView, type Scope, type UserView } from '../users/user.type';
import type { ReviewItemView } from './review-campaign.rows';
import { ReviewItemType, ReviewScopeType } from './review-campaign.type';

/** Where an item's people are seen from: its organisation, and its team (so a team manager's scope applies). */
const scopesOf = (item: ReviewItemView): Scope[] =>
  item.teamId ? [{ organisationId: item.organisationId }, { organisationId: item.organisationId, teamId: item.teamId }] : [{ organisationId: item.organisationId }];

@Resolver(() => ReviewItemType)
export class ReviewItemResolver {
  @FieldResolver(() => MembershipType, { nullable: true, description: 'null once the membership was removed (see user)' })
  async member(@Ctx() ctx: RequestContext, @Root() item: ReviewItemView): Promise<MembershipView | null> {
    const membership = item.membershipId ? await ctx.loaders.membershipById.load(item.membershipId) : null;
    return membership ? { ...membership, viaTeamId: item.teamId ?? undefined } : null;
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'The member as a person (kept when the membership is removed)' })
  async user(@Ctx() ctx: RequestContext, @Root() item: ReviewItemView): Promise<UserView | null> {
    const user = await ctx.loaders.userById.load(item.userId);
    return user ? userView(user, scopesOf(item)) : null;
  }

  @FieldResolver(() => RoleType, { nullable: true, description: 'The role held directly (ROLE); null for a team place, or once the role was deleted' })
  async role(@Ctx() ctx: RequestContext, @Root() item: ReviewItemView): Promise<RoleEntity | null> {
    return item.roleId ? ctx.loaders.roleById.load(item.roleId) : null;
  }

  @FieldResolver(() => TeamType, { nullable: true, description: 'The team of the place (TEAM_PLACE); null for a role, or once the team was deleted' })
  async team(@Ctx() ctx: RequestContext, @Root() item: ReviewItemView): Promise<TeamEntity | null> {
    return item.teamId ? ctx.loaders.teamById.load(item.teamId) : null;
  }

  @FieldResolver(() => MembershipType, { nullable: true, description: "Who reviews it; null when nobody was assigned (the campaign owner's own access: any holder of access:review but them decides)" })
  async reviewer(@Ctx() ctx: RequestContext, @Root() item: ReviewItemView): Promise<MembershipView | null> {
    const membership = item.reviewerMembershipId ? await ctx.loaders.membershipById.load(item.reviewerMembershipId) : null;
    return membership ? { ...membership, viaTeamId: item.teamId ?? undefined } : null;
  }

  @FieldResolver(() => UserType, { nullable: true, description: "Who decided; null while undecided, or when the campaign's default applied" })
  async decidedBy(@Ctx() ctx: RequestContext, @Root() item: ReviewItemView): Promise<UserView | null> {
    const user = item.decidedByUserId ? await ctx.loaders.userById.load(item.decidedByUserId) : null;
    return user ? userView(user, scopesOf(item)) : null;
  }
}

@Resolver(() => ReviewScopeType)
export class ReviewScopeResolver {
  @FieldResolver(() => [RoleType], { description: 'The chosen roles (ROLES) that still exist' })
  async roles(@Ctx() ctx: RequestContext, @Root() scope: ReviewScopeType): Promise<RoleEntity[]> {
    const roles = await ctx.loaders.roleById.loadMany(scope.roleIds);
    return roles.filter((role): role is RoleEntity => role !== null && !(role instanceof Error));
  }

  @FieldResolver(() => [TeamType], { description: 'The chosen teams (TEAMS) that still exist' })
  async teams(@Ctx() ctx: RequestContext, @Root() scope: ReviewScopeType): Promise<TeamEntity[]> {
    const teams = await ctx.loaders.teamById.loadMany(scope.teamIds);
    return teams.filter((team): team is TeamEntity => team !== null && !(team instanceof Error));
  }
}
