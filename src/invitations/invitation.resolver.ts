import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { ViewerType } from '../access/viewer.type';
import { isInviteeOf } from './invitee';
import type { RequestContext } from '../core/context/request-context';
import { PageArgs, type Connection } from '../core/graphql/connection';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { OrganisationType } from '../organisations/organisation.type';
import type { RoleEntity } from '../roles/role.entity';
import { RoleType } from '../roles/role.type';
import type { TeamEntity } from '../teams/team.entity';
import { TeamType } from '../teams/team.type';
import type { UserEntity } from '../users/user.entity';
import { UserType, userView } from '../users/user.type';
import { effectiveStatus, InvitationStatus } from './invitation-status';
import type { InvitationEntity } from './invitation.entity';
import { InvitationConnection, InvitationPreviewType, InvitationType } from './invitation.type';

@Resolver(() => InvitationType)
export class InvitationResolver {
  @FieldResolver(() => InvitationStatus, { description: 'EXPIRED when still pending past expiresAt' })
  status(@Root() invitation: InvitationEntity): InvitationStatus {
    return effectiveStatus(invitation);
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'null when the inviter is gone, or you may not read members here' })
  async invitedBy(@Ctx() ctx: RequestContext, @Root() invitation: InvitationEntity): Promise<UserEntity | null> {
    if (!invitation.invitedById || !(await ctx.access(invitation.organisationId)).has('members:read')) return null;
    const user = await ctx.loaders.userById.load(invitation.invitedById);
    return user ? userView(user, [{ organisationId: invitation.organisationId }]) : null;
  }

  @FieldResolver(() => [RoleType], { description: 'Roles the invitee receives on acceptance' })
  roles(@Ctx() ctx: RequestContext, @Root() invitation: InvitationEntity): Promise<RoleEntity[]> {
    return ctx.loaders.rolesByInvitationId.load(invitation.id);
  }

  @FieldResolver(() => [TeamType], { description: 'Teams the invitee joins as MEMBER on acceptance (those you may read; the invitee reads them all)' })
  async teams(@Ctx() ctx: RequestContext, @Root() invitation: InvitationEntity): Promise<TeamEntity[]> {
    const teams = await ctx.loaders.teamsByInvitationId.load(invitation.id);
    // The invitee of an open invitation may read the teams it offers (the Team rule's offeredToViewer).
    if (await isInviteeOf(ctx, invitation)) return teams;
    const snapshot = await ctx.access(invitation.organisationId);
    return teams.filter((team) => snapshot.hasInTeam(team.id, 'teams:read'));
  }

  @FieldResolver(() => OrganisationType)
  async organisation(@Ctx() ctx: RequestContext, @Root() invitation: InvitationEntity): Promise<OrganisationEntity> {
    return (await ctx.loaders.organisationById.load(invitation.organisationId)) as OrganisationEntity;
  }
}

@Resolver(() => OrganisationType)
export class OrganisationInvitationsResolver {
  @FieldResolver(() => InvitationConnection, { description: 'invitations:read. Newest first; `status` as clients see it (EXPIRED derived)' })
  invitations(
    @Ctx() ctx: RequestContext,
    @Root() organisation: OrganisationEntity,
    @Args() page: PageArgs,
    @Arg('status', () => InvitationStatus, { nullable: true }) status?: InvitationStatus,
  ): Promise<Connection<InvitationEntity>> {
    return ctx.services.invitationDirectory.list(ctx, organisation.id, { ...page, status });
  }
}

@Resolver(() => InvitationPreviewType)
export class InvitationPreviewResolver {
  @Query(() => InvitationPreviewType, {
    nullable: true,
    description: 'What an invitation offers, for whoever holds its token (signed in): null for an unknown or malformed token',
  })
  invitationPreview(@Ctx() ctx: RequestContext, @Arg('token', () => String) token: string): Promise<InvitationPreviewType | null> {
    return ctx.services.invitationDirectory.preview(ctx, token);
  }
}

@Resolver(() => ViewerType)
export class ViewerInvitationsResolver {
  @FieldResolver(() => [InvitationType], {
    description: 'Pending, unexpired invitations to your verified email, in every organisation, newest first (empty while your email is unverified)',
  })
  invitations(@Ctx() ctx: RequestContext): Promise<InvitationEntity[]> {
    return ctx.services.invitationDirectory.ofViewer(ctx);
  }
}
