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
export async function scopesWithMembersRead(ctx: RequestContext, organisationIds: readonly string[]): Promise<Scope[]> {
  const known = scopesWithMembersReadIfKnown(ctx, organisationIds);
  if (known) return known;
  await ctx.preloadAccess(organisationIds);
  return scopesWithMembersReadIfKnown(ctx, organisationIds) as Scope[];
}

// One frozen Scope per organisation per request: a page of 1,000 users of one organisation shares it.
const scopesOf = new WeakMap<RequestContext, Map<string, Scope>>();
const NO_SCOPES: Scope[] = Object.freeze([]) as unknown as Scope[];

/**
 * {@link scopesWithMembersRead} without a promise when every snapshot is already known in this request
 * (the common case in a batch: `_entities` of 1,000 users); null when one is not.
 */
export function scopesWithMembersReadIfKnown(ctx: RequestContext, organisationIds: readonly string[]): Scope[] | null {
  let scopes: Scope[] | null = null;
  for (const organisationId of organisationIds) {
    const snapshot = ctx.peekAccess(organisationId);
    if (!snapshot) return null;
    if (!snapshot.has('members:read')) continue;
    let cache = scopesOf.get(ctx);
    if (!cache) scopesOf.set(ctx, (cache = new Map()));
    let scope = cache.get(organisationId);
    if (!scope) cache.set(organisationId, (scope = Object.freeze({ organisationId })));
    (scopes ??= []).push(scope);
  }
  return scopes ?? NO_SCOPES;
}
