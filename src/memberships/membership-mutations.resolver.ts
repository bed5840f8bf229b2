import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import type { MembershipEntity } from './membership.entity';
import { AssignRolesInput } from './membership.inputs';
import { MembershipType } from './membership.type';

@Resolver(() => MembershipType)
export class MembershipMutationsResolver {
  @Mutation(() => MembershipType, { description: 'members:manage: PENDING_APPROVAL → ACTIVE (again: no change)' })
  approveMember(@Ctx() ctx: RequestContext, @Arg('membershipId', () => ID) membershipId: string): Promise<MembershipEntity> {
    return ctx.services.lifecycle.approve(ctx, membershipId);
  }

  @Mutation(() => MembershipType, { description: 'members:manage: access ends at once; roles and teams stay' })
  deactivateMember(@Ctx() ctx: RequestContext, @Arg('membershipId', () => ID) membershipId: string): Promise<MembershipEntity> {
    return ctx.services.lifecycle.deactivate(ctx, membershipId);
  }

  @Mutation(() => MembershipType, { description: 'members:manage: DEACTIVATED → ACTIVE, with everything back' })
  reactivateMember(@Ctx() ctx: RequestContext, @Arg('membershipId', () => ID) membershipId: string): Promise<MembershipEntity> {
    return ctx.services.lifecycle.reactivate(ctx, membershipId);
  }

  @Mutation(() => Boolean, { description: 'members:manage: the membership and its team places go; the user stays' })
  removeMember(@Ctx() ctx: RequestContext, @Arg('membershipId', () => ID) membershipId: string): Promise<boolean> {
    return ctx.services.lifecycle.remove(ctx, membershipId);
  }

  @Mutation(() => [MembershipType], { description: 'members:assign-roles: ADD, REMOVE or REPLACE roles of many members at once' })
  assignRoles(@Ctx() ctx: RequestContext, @Arg('input', () => AssignRolesInput) input: AssignRolesInput): Promise<MembershipEntity[]> {
    return ctx.services.roleAssignment.assign(ctx, input);
  }
}
