import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import type { TeamMemberEntity } from './team-member.entity';
import { CreateTeamInput, TeamMemberInput, UpdateTeamInput } from './team.inputs';
import type { TeamEntity } from './team.entity';
import { TeamMembershipType, TeamType } from './team.type';

/** Team mutations; the services check permissions (team scope where a MANAGER may act) and invariants. */
@Resolver(() => TeamType)
export class TeamMutationsResolver {
  @Mutation(() => TeamType, { description: 'teams:create: the name is unique in the organisation (case-insensitive)' })
  createTeam(@Ctx() ctx: RequestContext, @Arg('input', () => CreateTeamInput) input: CreateTeamInput): Promise<TeamEntity> {
    return ctx.services.teams.create(ctx, input);
  }

  @Mutation(() => TeamType, { description: "teams:update, or the team's MANAGER" })
  updateTeam(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateTeamInput) input: UpdateTeamInput): Promise<TeamEntity> {
    return ctx.services.teams.update(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: 'teams:delete: its places and grants go; its members stay' })
  deleteTeam(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    return ctx.services.teams.delete(ctx, id);
  }

  @Mutation(() => TeamMembershipType, { description: "teams:manage-members, or the team's MANAGER; appointing a MANAGER needs the team-manager permissions" })
  addTeamMember(@Ctx() ctx: RequestContext, @Arg('input', () => TeamMemberInput) input: TeamMemberInput): Promise<TeamMemberEntity> {
    return ctx.services.teamMembers.add(ctx, input);
  }

  @Mutation(() => TeamMembershipType, { description: "teams:manage-members, or the team's MANAGER: MANAGER ↔ MEMBER" })
  setTeamMemberRole(@Ctx() ctx: RequestContext, @Arg('input', () => TeamMemberInput) input: TeamMemberInput): Promise<TeamMemberEntity> {
    return ctx.services.teamMembers.setRole(ctx, input);
  }

  @Mutation(() => Boolean, { description: "teams:manage-members, or the team's MANAGER: the place goes, the membership stays" })
  removeTeamMember(@Ctx() ctx: RequestContext, @Arg('teamId', () => ID) teamId: string, @Arg('membershipId', () => ID) membershipId: string): Promise<boolean> {
    return ctx.services.teamMembers.remove(ctx, teamId, membershipId);
  }

  @Mutation(() => TeamType, { description: 'teams:update organisation-wide: replaces the roles the team grants to all its members (no escalation)' })
  setTeamRoles(@Ctx() ctx: RequestContext, @Arg('teamId', () => ID) teamId: string, @Arg('roleIds', () => [ID]) roleIds: string[]): Promise<TeamEntity> {
    return ctx.services.teams.setRoles(ctx, teamId, roleIds);
  }
}
