import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import { isId } from '../core/ids';
import type { MembershipEntity } from '../memberships/membership.entity';
import { MembershipType } from '../memberships/membership.type';
import type { UserEntity } from './user.entity';
import { withContactDetails } from '../core/authz/contact-details';
import { UserType, userContact, userView, type Scope, type UserView } from './user.type';

@Resolver(() => UserType)
export class UserResolver {
  @Query(() => UserType, { nullable: true, description: 'Yourself, or a member of an organisation where you may read members' })
  async user(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<UserView | null> {
    if (!isId(id)) return null;
    const user = await ctx.loaders.userById.load(id);
    if (!user) return null;
    const seenThrough = await visibleThrough(ctx, user.id);
    return user.id === ctx.userId || seenThrough.length > 0 ? userView(user, seenThrough) : null;
  }

  /** A name may be an address (the token had no name, or the file said so): then it follows the contact rule. */
  @FieldResolver(() => String)
  displayName(@Ctx() ctx: RequestContext, @Root() user: UserView): string | Promise<string> {
    return user.displayName.includes('@') ? withContactDetails(ctx, userContact(user), user.displayName) : user.displayName;
  }

  @FieldResolver(() => [MembershipType], { description: 'Only those in organisations where you may read members, and your own' })
  async memberships(@Ctx() ctx: RequestContext, @Root() user: UserEntity): Promise<MembershipEntity[]> {
    const memberships = await ctx.loaders.membershipsByUserId.load(user.id);
    if (user.id === ctx.userId) return memberships;
    const readable = new Set((await scopesWithMembersRead(ctx, memberships.map((membership) => membership.organisationId))).map((scope) => scope.organisationId));
    return memberships.filter((membership) => readable.has(membership.organisationId));
  }
}

/** The organisations where the caller may read members and `userId` is a member. */
export async function visibleThrough(ctx: RequestContext, userId: string): Promise<Scope[]> {
  if (!ctx.principal) return [];
  const memberships = await ctx.loaders.membershipsByUserId.load(userId);
  return scopesWithMembersRead(ctx, memberships.map((membership) => membership.organisationId));
}

/** Of these organisations, those where the caller may read members (one statement for all of them). */
export async function scopesWithMembersRead(ctx: RequestContext, organisationIds: string[]): Promise<Scope[]> {
  await ctx.preloadAccess(organisationIds);
  const allowed = await Promise.all(organisationIds.map(async (id) => (await ctx.access(id)).has('members:read')));
  return organisationIds.filter((_id, index) => allowed[index]).map((organisationId) => ({ organisationId }));
}
