import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, Info, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import { connectionTypes, PageArgs, type Connection } from '../core/graphql/connection';
import { selectsField } from '../core/graphql/selection';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { OrganisationType } from '../organisations/organisation.type';
import type { MembershipEntity } from './membership.entity';
import { MemberFilter, MemberOrder } from './membership.inputs';
import { MembershipType } from './membership.type';

export const { ConnectionType: MembershipConnection } = connectionTypes(MembershipType, 'Membership');

@Resolver(() => OrganisationType)
export class OrganisationMembersResolver {
  @FieldResolver(() => MembershipConnection, { description: 'members:read. Default order: joined date' })
  members(
    @Ctx() ctx: RequestContext,
    @Root() organisation: OrganisationEntity,
    @Args() page: PageArgs,
    @Arg('filter', () => MemberFilter, { nullable: true }) filter?: MemberFilter,
    @Arg('orderBy', () => MemberOrder, { nullable: true }) orderBy?: MemberOrder,
    @Info() info?: GraphQLResolveInfo,
  ): Promise<Connection<MembershipEntity>> {
    // totalCount costs a count of the filtered members: only when the operation asks for it.
    const totalCount = info ? selectsField(info, 'totalCount') : true;
    return ctx.services.memberDirectory.list(ctx, organisation.id, { ...page, filter, orderBy }, { totalCount });
  }
}
