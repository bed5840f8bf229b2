import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { OrganisationType } from '../organisations/organisation.type';
import { RoleType, type RoleView } from '../roles/role.type';
import type { UserEntity } from '../users/user.entity';
import { UserType, userView } from '../users/user.type';
import type { MembershipEntity } from './membership.entity';
import { MembershipType, RoleGrantType, type MembershipView } from './membership.type';
import { TeamMembershipType, type TeamPlaceView } from '../teams/team.type';

@Resolver(() => MembershipType)
export class MembershipResolver {
  @FieldResolver(() => UserType)
  async user(@Ctx() ctx: RequestContext, @Root() membership: MembershipView): Promise<UserEntity> {
    const user = (await ctx.loaders.userById.load(membership.userId)) as UserEntity;
    return userView(user, [{ organisationId: membership.organisationId, teamId: membership.viaTeamId }]);
  }

  @FieldResolver(() => [TeamMembershipType], { description: "The member's team places" })
  async teams(@Ctx() ctx: RequestContext, @Root() membership: MembershipEntity): Promise<TeamPlaceView[]> {
    return ctx.loaders.teamPlacesByMembershipId.load(membership.id);
  }

  @FieldResolver(() => OrganisationType)
  async organisation(@Ctx() ctx: RequestContext, @Root() membership: MembershipEntity): Promise<OrganisationEntity> {
    return (await ctx.loaders.organisationById.load(membership.organisationId)) as OrganisationEntity;
  }

  @FieldResolver(() => [RoleType], { description: 'Roles held directly (not through teams)' })
  async roles(@Ctx() ctx: RequestContext, @Root() membership: MembershipEntity): Promise<RoleView[]> {
    return ctx.loaders.rolesByMembershipId.load(membership.id);
  }

  @FieldResolver(() => [RoleGrantType], { description: 'Roles held directly (not through teams), each with the end of a time-bound grant' })
  async roleGrants(@Ctx() ctx: RequestContext, @Root() membership: MembershipView): Promise<RoleGrantType[]> {
    const roles = await ctx.loaders.rolesByMembershipId.load(membership.id);
    const own = membership.userId === ctx.userId;
    return roles.map(({ grantExpiresAt, ...role }) => ({
      organisationId: membership.organisationId,
      userId: membership.userId,
      viaTeamId: membership.viaTeamId,
      role: own ? Object.assign(Object.create(Object.getPrototypeOf(role)), role, { heldByViewer: true }) : Object.assign(Object.create(Object.getPrototypeOf(role)), role),
      expiresAt: grantExpiresAt ?? null,
    }));
  }

  @FieldResolver(() => Boolean, {
    description: "The organisation's MFA policy covers this active member's roles (or everyone) and no second factor of theirs is known yet: they must enrol (before mfaPolicy.graceUntil, or they lose those roles' permissions in requests without one)",
  })
  async mfaEnrolmentDue(@Ctx() ctx: RequestContext, @Root() membership: MembershipEntity): Promise<boolean> {
    const snapshot = membership.userId === ctx.userId ? await ctx.access(membership.organisationId) : await ctx.membershipAccess(membership.id);
    return snapshot?.mfaEnrolmentDue ?? false;
  }

  @FieldResolver(() => [String], { description: 'Union of direct and team roles, closed under implication, cut to the boundary; empty unless ACTIVE' })
  async effectivePermissions(@Ctx() ctx: RequestContext, @Root() membership: MembershipEntity): Promise<string[]> {
    const snapshot = membership.userId === ctx.userId ? await ctx.access(membership.organisationId) : await ctx.membershipAccess(membership.id);
    return [...(snapshot?.permissions ?? [])].sort();
  }
}
