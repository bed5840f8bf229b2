import { Arg, Args, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import { PageArgs, type Connection } from '../core/graphql/connection';
import type { MembershipEntity } from '../memberships/membership.entity';
import { MembershipType, type MembershipView } from '../memberships/membership.type';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { OrganisationType } from '../organisations/organisation.type';
import type { RoleEntity } from '../roles/role.entity';
import { RoleType } from '../roles/role.type';
import type { TeamMemberEntity } from './team-member.entity';
import type { TeamEntity } from './team.entity';
import { TeamConnection, TeamMemberConnection, TeamMembershipType, TeamType, type TeamPlaceView, type TeamView } from './team.type';

@Resolver(() => TeamType)
export class TeamResolver {
  @Query(() => TeamType, { nullable: true, description: 'null when it does not exist or you cannot see it' })
  async team(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<TeamEntity | null> {
    return ctx.services.teamDirectory.findVisible(ctx, id);
  }

  @FieldResolver(() => Int)
  memberCount(@Ctx() ctx: RequestContext, @Root() team: TeamEntity): Promise<number> {
    return ctx.loaders.memberCountByTeamId.load(team.id);
  }

  @FieldResolver(() => [RoleType], { description: 'Roles every member of the team holds through it' })
  grantedRoles(@Ctx() ctx: RequestContext, @Root() team: TeamEntity): Promise<RoleEntity[]> {
    return ctx.loaders.grantedRolesByTeamId.load(team.id);
  }

  @FieldResolver(() => [String], {
    description:
      'What you may do for this team: your permissions in its organisation plus those you hold in its scope as its MANAGER (empty unless you are an active member). Other subgraphs gate their Team fields on it with @requires(fields: "viewerPermissions")',
  })
  async viewerPermissions(@Ctx() ctx: RequestContext, @Root() team: TeamEntity): Promise<string[]> {
    return (await ctx.access(team.organisationId)).permissionsInTeam(team.id);
  }

  @FieldResolver(() => OrganisationType)
  async organisation(@Ctx() ctx: RequestContext, @Root() team: TeamEntity): Promise<OrganisationEntity> {
    return (await ctx.loaders.organisationById.load(team.organisationId)) as OrganisationEntity;
  }

  @FieldResolver(() => TeamMemberConnection)
  members(
    @Ctx() ctx: RequestContext,
    @Root() team: TeamEntity,
    @Args() page: PageArgs,
  ): Promise<Connection<TeamMemberEntity>> {
    return ctx.services.teamDirectory.members(ctx, team, page);
  }
}

@Resolver(() => TeamMembershipType)
export class TeamMembershipResolver {
  @FieldResolver(() => TeamType)
  async team(@Ctx() ctx: RequestContext, @Root() place: TeamPlaceView): Promise<TeamView> {
    return (await ctx.loaders.teamById.load(place.teamId)) as TeamEntity;
  }

  @FieldResolver(() => MembershipType)
  async member(@Ctx() ctx: RequestContext, @Root() place: TeamPlaceView): Promise<MembershipView> {
    const membership = (await ctx.loaders.membershipById.load(place.membershipId)) as MembershipEntity;
    return { ...membership, viaTeamId: place.teamId };
  }
}

@Resolver(() => OrganisationType)
export class OrganisationTeamsResolver {
  @FieldResolver(() => TeamConnection, { description: 'Teams by name; `search` matches names case-insensitively' })
  teams(
    @Ctx() ctx: RequestContext,
    @Root() organisation: OrganisationEntity,
    @Args() page: PageArgs,
    @Arg('search', () => String, { nullable: true }) search?: string,
  ): Promise<Connection<TeamEntity>> {
    return ctx.services.teamDirectory.list(ctx, organisation.id, { ...page, search });
  }
}
