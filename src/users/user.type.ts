import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType('User', { description: 'One accountable person, global across organisations' })
@Directive('@key(fields: "id")')
export class UserType {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true, description: 'Needs members:read-contact in an organisation you share, or yourself' })
  email!: string | null;
  @Field(() => String) displayName!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true, description: 'Needs access:review in an organisation you share, or yourself' })
  lastSignInAt!: Date | null;
}

/** Where the caller reached a user: an organisation, or a team of it (team-scoped permissions apply). */
export interface Scope {
  organisationId: string;
  teamId?: string;
}

/**
 * A user as seen by this request: the organisations (or teams) through which the caller reached them
 * decide which fields the caller may read (a user is global, permissions are per organisation).
 */
export type UserView = UserType & { seenThrough: readonly Scope[] };

export function userView<T extends UserType>(user: T, seenThrough: readonly Scope[]): T & { seenThrough: readonly Scope[] } {
  return Object.assign(Object.create(Object.getPrototypeOf(user)), user, { seenThrough });
}
