import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { OrganisationType } from '../organisations/organisation.type';
import { rolePermissions } from './built-in-roles';
import type { RoleEntity } from './role.entity';
import { CreateRoleInput, UpdateRoleInput } from './role.inputs';
import { PermissionType, RoleType } from './role.type';

@Resolver(() => RoleType)
export class RoleResolver {
  @Query(() => [PermissionType], { description: 'Every permission the service governs, built-in and extension' })
  permissionCatalogue(@Ctx() ctx: RequestContext): PermissionType[] {
    return ctx.services.catalogue.definitions.map(({ key, description, implies }) => ({ key, description, implies: [...implies] }));
  }

  @Mutation(() => RoleType, { description: 'roles:manage: a custom role within the catalogue, the boundary and your own permissions' })
  createRole(@Ctx() ctx: RequestContext, @Arg('input', () => CreateRoleInput) input: CreateRoleInput): Promise<RoleEntity> {
    return ctx.services.roles.create(ctx, input);
  }

  @Mutation(() => RoleType, { description: 'roles:manage: built-in roles cannot be changed' })
  updateRole(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateRoleInput) input: UpdateRoleInput): Promise<RoleEntity> {
    return ctx.services.roles.update(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: 'roles:manage: members and teams lose the role in the same transaction' })
  deleteRole(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    return ctx.services.roles.delete(ctx, id);
  }

  @FieldResolver(() => Boolean, { description: 'Created with the organisation; permissions fixed' })
  builtIn(@Root() role: RoleEntity): boolean {
    return role.builtInKey !== null;
  }

  @FieldResolver(() => [String], { description: 'The permissions the role grants (before implication and boundary)' })
  permissions(@Ctx() ctx: RequestContext, @Root() role: RoleEntity): string[] {
    return [...rolePermissions(role, ctx.services.catalogue)].sort();
  }

  @FieldResolver(() => Int, { description: 'How many members hold the role directly' })
  assignedCount(@Ctx() ctx: RequestContext, @Root() role: RoleEntity): Promise<number> {
    return ctx.loaders.assignedCountByRoleId.load(role.id);
  }

  @FieldResolver(() => OrganisationType)
  async organisation(@Ctx() ctx: RequestContext, @Root() role: RoleEntity): Promise<OrganisationEntity> {
    return (await ctx.loaders.organisationById.load(role.organisationId)) as OrganisationEntity;
  }
}

@Resolver(() => OrganisationType)
export class OrganisationRolesResolver {
  @FieldResolver(() => [RoleType], { description: 'Built-in roles first, then custom roles by creation' })
  roles(@Ctx() ctx: RequestContext, @Root() organisation: OrganisationEntity): Promise<RoleEntity[]> {
    return ctx.loaders.rolesByOrganisationId.load(organisation.id);
  }
}
