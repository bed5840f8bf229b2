import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType('Role', { description: 'A named set of permissions in one organisation' })
@Directive('@key(fields: "id")')
export class RoleType {
  @Field(() => ID) id!: string;
  organisationId!: string;
  builtInKey!: string | null;
  @Field(() => String) name!: string;
  @Field(() => String) description!: string;
}

/** A role as the rules read it. */
export type RoleView = RoleType;

@ObjectType('Permission', { description: 'A permission of the catalogue' })
export class PermissionType {
  @Field(() => String) key!: string;
  @Field(() => String) description!: string;
  @Field(() => [String], { description: 'Permissions this one implies (directly)' }) implies!: string[];
}
