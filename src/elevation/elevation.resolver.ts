import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { ViewerType } from '../access/viewer.type';
import type { RequestContext } from '../core/context/request-context';
import { PageArgs, type Connection } from '../core/graphql/connection';
import type { MembershipEntity } from '../memberships/membership.entity';
import { MembershipType } from '../memberships/membership.type';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { OrganisationType } from '../organisations/organisation.type';
import type { RoleEntity } from '../roles/role.entity';
import { RoleType } from '../roles/role.type';
import { ElevationStatus } from './elevation.enums';
import { RequestElevationInput } from './elevation.inputs';
import { ElevationRequestConnection, ElevationRequestType } from './elevation.type';

@Resolver(() => ElevationRequestType)
export class ElevationRequestResolver {
  @Mutation(() => ElevationRequestType, { description: "Any active member: ask for a role for 1 to maxElevationHours hours, with a reason. Never Owner; one pending request per role" })
  requestElevation(@Ctx() ctx: RequestContext, @Arg('input', () => RequestElevationInput) input: RequestElevationInput): Promise<ElevationRequestType> {
    return ctx.services.elevation.request(ctx, input);
  }

  @Mutation(() => ElevationRequestType, {
    description: 'members:assign-roles, and you could assign the role yourself; never your own request. Approving grants the role for its hours (time-bound). A decided or expired request is CONFLICT',
  })
  decideElevation(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('approve', () => Boolean) approve: boolean,
    @Arg('comment', () => String, { nullable: true, description: 'At most 1000 characters' }) comment?: string | null,
  ): Promise<ElevationRequestType> {
    return ctx.services.elevation.decide(ctx, id, approve, comment);
  }

  @Mutation(() => ElevationRequestType, { description: 'The requester withdraws a pending request' })
  cancelElevation(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<ElevationRequestType> {
    return ctx.services.elevation.cancel(ctx, id);
  }

  @FieldResolver(() => MembershipType, { nullable: true, description: 'Who asked' })
  requester(@Ctx() ctx: RequestContext, @Root() request: ElevationRequestType): Promise<MembershipEntity | null> {
    return ctx.loaders.membershipById.load(request.requesterMembershipId);
  }

  @FieldResolver(() => RoleType, { nullable: true, description: 'The role asked for' })
  role(@Ctx() ctx: RequestContext, @Root() request: ElevationRequestType): Promise<RoleEntity | null> {
    return ctx.loaders.roleById.load(request.roleId);
  }

  @FieldResolver(() => MembershipType, { nullable: true, description: 'Who approved or denied it' })
  async decidedBy(@Ctx() ctx: RequestContext, @Root() request: ElevationRequestType): Promise<MembershipEntity | null> {
    return request.decidedByMembershipId ? ctx.loaders.membershipById.load(request.decidedByMembershipId) : null;
  }
}

@Resolver(() => OrganisationType)
export class OrganisationElevationRequestsResolver {
  @FieldResolver(() => ElevationRequestConnection, {
    description: 'members:assign-roles. Requests by other members for roles you could grant (status PENDING: those awaiting you); newest first',
  })
  elevationRequests(
    @Ctx() ctx: RequestContext,
    @Root() organisation: OrganisationEntity,
    @Args() page: PageArgs,
    @Arg('status', () => ElevationStatus, { nullable: true }) status?: ElevationStatus | null,
  ): Promise<Connection<ElevationRequestType>> {
    return ctx.services.elevation.forApprover(ctx, organisation.id, status, page);
  }
}

@Resolver(() => ViewerType)
export class ViewerElevationRequestsResolver {
  @FieldResolver(() => ElevationRequestConnection, { description: 'Your own elevation requests in every organisation; newest first' })
  elevationRequests(
    @Ctx() ctx: RequestContext,
    @Args() page: PageArgs,
    @Arg('status', () => ElevationStatus, { nullable: true }) status?: ElevationStatus | null,
  ): Promise<Connection<ElevationRequestType>> {
    return ctx.services.elevation.forRequester(ctx, status, page);
  }
}
