import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import type { InvitationEntity } from '../invitations/invitation.entity';
import { InvitationType } from '../invitations/invitation.type';
import type { MembershipEntity } from '../memberships/membership.entity';
import { MembershipType } from '../memberships/membership.type';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { OrganisationType } from '../organisations/organisation.type';
import { EXPIRING_WITHIN_DAYS, INACTIVE_DAYS } from './access-review.service';
import { ACCESS_REVIEW_LIST_LIMIT, AccessExplanationType, AccessReviewCountsType, AccessReviewType, ExpiringGrantType, RoleChangePreviewType } from './access-review.type';
import type { RoleEntity } from '../roles/role.entity';
import { RoleType } from '../roles/role.type';
import type { TeamEntity } from '../teams/team.entity';
import { TeamType } from '../teams/team.type';

@Resolver(() => OrganisationType)
export class OrganisationAccessReviewResolver {
  @FieldResolver(() => AccessReviewType, { nullable: true, description: 'access:review. Privileged and inactive members, pending approvals, stale invitations' })
  accessReview(
    @Ctx() ctx: RequestContext,
    @Root() organisation: OrganisationEntity,
    @Arg('inactiveDays', () => Int, {
      nullable: true,
      defaultValue: INACTIVE_DAYS.default,
      description: `Members not signed in for this many days (${INACTIVE_DAYS.min}–${INACTIVE_DAYS.max}), or never, are inactive`,
    })
    inactiveDays?: number | null,
  ): Promise<AccessReviewType> {
    return ctx.services.accessReview.open(ctx, organisation.id, inactiveDays);
  }
}

@Resolver(() => AccessReviewType)
export class AccessReviewResolver {
  @FieldResolver(() => [MembershipType], {
    description: 'Members of any status holding Owner, Admin or a role granting roles:manage, members:assign-roles or org:update, directly or through a team; by name',
  })
  async privilegedMembers(@Ctx() ctx: RequestContext, @Root() review: AccessReviewType): Promise<MembershipEntity[]> {
    return (await ctx.services.accessReview.members(ctx, review)).lists.PRIVILEGED;
  }

  @FieldResolver(() => [MembershipType], { description: 'ACTIVE members not signed in for inactiveDays, or never; never and longest first' })
  async inactiveMembers(@Ctx() ctx: RequestContext, @Root() review: AccessReviewType): Promise<MembershipEntity[]> {
    return (await ctx.services.accessReview.members(ctx, review)).lists.INACTIVE;
  }

  @FieldResolver(() => [MembershipType], { description: 'Members waiting for approval; longest waiting first' })
  async pendingApprovals(@Ctx() ctx: RequestContext, @Root() review: AccessReviewType): Promise<MembershipEntity[]> {
    return (await ctx.services.accessReview.members(ctx, review)).lists.PENDING;
  }

  @FieldResolver(() => [InvitationType], { nullable: true, description: 'Needs invitations:read too. Pending invitations past their expiry; longest expired first' })
  async expiredInvitations(@Ctx() ctx: RequestContext, @Root() review: AccessReviewType): Promise<InvitationEntity[]> {
    return (await ctx.services.accessReview.invitations(ctx, review)).invitations;
  }

  @FieldResolver(() => [ExpiringGrantType], {
    description: `Time-bound grants (direct roles and team places) still in force that end within withinDays; soonest first, at most ${ACCESS_REVIEW_LIST_LIMIT}`,
  })
  expiringGrants(
    @Ctx() ctx: RequestContext,
    @Root() review: AccessReviewType,
    @Arg('withinDays', () => Int, {
      nullable: true,
      defaultValue: EXPIRING_WITHIN_DAYS.default,
      description: `${EXPIRING_WITHIN_DAYS.min}–${EXPIRING_WITHIN_DAYS.max}`,
    })
    withinDays?: number | null,
  ): Promise<ExpiringGrantType[]> {
    return ctx.services.accessReview.expiringGrants(ctx, review, withinDays);
  }

  @FieldResolver(() => AccessReviewCountsType, { description: 'Full sizes of the lists' })
  counts(@Ctx() ctx: RequestContext, @Root() review: AccessReviewType): Promise<AccessReviewCountsType> {
    return ctx.services.accessReview.counts(ctx, review);
  }
}

@Resolver()
export class AccessQueriesResolver {
  @Query(() => AccessExplanationType, {
    nullable: true,
    description: 'access:review in the organisation: every path by which the user holds the permission there, and whether it takes effect',
  })
  explainAccess(
    @Ctx() ctx: RequestContext,
    @Arg('organisationId', () => ID) organisationId: string,
    @Arg('userId', () => ID) userId: string,
    @Arg('permission', () => String) permission: string,
  ): Promise<AccessExplanationType> {
    return ctx.services.accessExplanation.explain(ctx, organisationId, userId, permission);
  }

  @Query(() => RoleChangePreviewType, {
    nullable: true,
    description: "roles:manage and members:read in the role's organisation: who would gain and lose what if the custom role's permissions were replaced. Writes nothing",
  })
  previewRoleChange(
    @Ctx() ctx: RequestContext,
    @Arg('roleId', () => ID) roleId: string,
    @Arg('permissions', () => [String]) permissions: string[],
  ): Promise<RoleChangePreviewType> {
    return ctx.services.roleChangePreview.preview(ctx, roleId, permissions);
  }
}

@Resolver(() => ExpiringGrantType)
export class ExpiringGrantResolver {
  @FieldResolver(() => MembershipType)
  async membership(@Ctx() ctx: RequestContext, @Root() grant: ExpiringGrantType): Promise<MembershipEntity> {
    return (await ctx.loaders.membershipById.load(grant.membershipId)) as MembershipEntity;
  }

  @FieldResolver(() => RoleType, { nullable: true, description: 'The role held directly; null for a team place' })
  role(@Ctx() ctx: RequestContext, @Root() grant: ExpiringGrantType): Promise<RoleEntity | null> | null {
    return grant.roleId ? ctx.loaders.roleById.load(grant.roleId) : null;
  }

  @FieldResolver(() => TeamType, { nullable: true, description: 'The team of a team place; null for a direct role' })
  team(@Ctx() ctx: RequestContext, @Root() grant: ExpiringGrantType): Promise<TeamEntity | null> | null {
    return grant.teamId ? ctx.loaders.teamById.load(grant.teamId) : null;
  }
}
