import { Directive, Field, ID, ObjectType } from 'type-graphql';
import type { ContactContext } from '../core/authz/contact-details';

@ObjectType('User', { description: 'One accountable person, global across organisations' })
@Directive('@key(fields: "id")')
export class UserType {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true, description: 'Contact detail: yourself, or members:read-contact in an organisation (or managed team) through which you reached the user. Hidden, not refused: null with no error when you may see the user but not this' })
  email!: string | null;
  @Field(() => String, { description: 'Email addresses in it are hidden as for `email`' }) displayName!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true, description: 'Yourself, or access:review in an organisation through which you reached the user. Hidden, not refused: null with no error when you may see the user but not this' })
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

/** Whose contact details a user's are, and where the caller reached them (the contact rule's input). */
export function userContact(user: UserType & { seenThrough?: readonly Scope[] }): ContactContext {
  return { scopes: user.seenThrough ?? [], ownerUserId: user.id };
}
