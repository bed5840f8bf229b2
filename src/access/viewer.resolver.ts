import { Ctx, FieldResolver, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import type { MembershipEntity } from '../memberships/membership.entity';
import { MembershipType } from '../memberships/membership.type';
import { userView } from '../users/user.type';
import { ViewerType } from './viewer.type';

@Resolver(() => ViewerType)
export class ViewerResolver {
  @Query(() => ViewerType, { description: 'Who you are and where you belong' })
  viewer(@Ctx() ctx: RequestContext): ViewerType {
    const principal = ctx.requirePrincipal();
    return { isPlatformAdmin: principal.isPlatformAdmin, user: userView(principal.user, []) };
  }

  @FieldResolver(() => [MembershipType], { description: 'Your memberships in every organisation, any status' })
  async memberships(@Ctx() ctx: RequestContext): Promise<MembershipEntity[]> {
    ctx.requirePrincipal();
    // One statement: the memberships with their access snapshots, organisations and direct roles, primed.
    return ctx.viewerMemberships();
  }
}
