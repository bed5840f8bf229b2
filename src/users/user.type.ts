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

/**
 * A user as seen by this request: the organisations through which the caller reached them decide which
 * fields the caller may read (a user is global, permissions are per organisation).
 */
export type UserView = UserType & { seenThrough: readonly string[] };

export function userView<T extends UserType>(user: T, seenThrough: readonly string[]): T & { seenThrough: readonly string[] } {
  return Object.assign(Object.create(Object.getPrototypeOf(user)), user, { seenThrough });
}
