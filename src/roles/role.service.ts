import { IsNull, type DataSource } from 'typeorm';
import { assertHoldsAll } from '../access/escalation-guard';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { uniqueViolation } from '../core/database/postgres-errors';
import { badInput, conflict, forbidden, notFound } from '../core/errors';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { lockOrganisation } from '../memberships/last-owner-guard';
import { OrganisationEntity } from '../organisations/organisation.entity';
import type { CreateRoleInput, UpdateRoleInput } from './role.inputs';
import { RoleEntity } from './role.entity';
import { runTransaction } from '../core/database/transaction';
import { roleHolderChanges } from '../access/role-change-holders';
import { emitEvent } from '../events/event-emitter';
import { memberPermissionDeltas } from '../events/event-payloads';
import { mutationPermissions } from '../core/authz/mutation-permissions';
import type { AccessSnapshot } from '../access/access-snapshot';

/** Custom roles: created, edited and deleted within the catalogue, the boundary and the caller's own permissions. */
export class RoleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly catalogue: PermissionCatalogue,
  ) {}

  async create(ctx: RequestContext, input: CreateRoleInput): Promise<RoleEntity> {
    const snapshot = (await mutationPermissions.createRole.authorize(ctx, { input })).snapshot as AccessSnapshot;
    const organisation = await ctx.loaders.organisationById.load(input.organisationId);
    if (!organisation) throw notFound('Organisation');
    const permissions = this.validPermissions(input.permissions, organisation);
    assertHoldsAll(snapshot, permissions, this.catalogue, organisation.permissionBoundary, 'these permissions');
    return this.writing(input.name, () =>
      runTransaction(this.dataSource, async (manager) => {
        const role = await manager.save(
          manager.create(RoleEntity, { organisationId: organisation.id, name: input.name.trim(), description: input.description?.trim() ?? '', builtInKey: null, permissions }),
        );
        await this.audit.record(manager, ctx, { organisationId: organisation.id, action: 'role.created', targetType: 'Role', targetId: role.id, details: { name: role.name, permissions } });
        emitEvent(manager, ctx, { organisationId: organisation.id, type: 'role.created', objectId: role.id, data: { roleId: role.id, name: role.name, description: role.description, permissions } });
        return role;
      }),
    );
  }

  async update(ctx: RequestContext, id: string, input: UpdateRoleInput): Promise<RoleEntity> {
    const role = await this.findManageable(ctx, id, 'updateRole');
    const snapshot = await ctx.access(role.organisationId);
    const organisation = (await ctx.loaders.organisationById.load(role.organisationId)) as OrganisationEntity;
    const changes: Partial<RoleEntity> = {};
    if (input.name !== undefined && input.name !== null) changes.name = input.name.trim();
    if (input.description !== undefined && input.description !== null) changes.description = input.description.trim();
    if (input.permissions !== undefined && input.permissions !== null) {
      changes.permissions = this.validPermissions(input.permissions, organisation);
      // Only what is added can escalate; keeping or removing what the role had is not a grant.
      const added = changes.permissions.filter((key) => !role.permissions.includes(key));
      assertHoldsAll(snapshot, added, this.catalogue, organisation.permissionBoundary, 'these permissions');
    }
    return this.writing(changes.name ?? role.name, () =>
      runTransaction(this.dataSource, async (manager) => {
        const locked = await manager.findOne(RoleEntity, { where: { id: role.id }, lock: { mode: 'pessimistic_write' } });
        if (!locked) throw notFound('Role');
        const before = { name: locked.name, description: locked.description, permissions: locked.permissions };
        // Who gains and loses what: previewRoleChange's computation, on the role as it is before the change.
        const affectedMembers = changes.permissions ? memberPermissionDeltas(await roleHolderChanges(manager, this.catalogue, locked, organisation.permissionBoundary, changes.permissions, null)) : [];
        Object.assign(locked, changes);
        const saved = await manager.save(locked);
        await this.audit.record(manager, ctx, { organisationId: role.organisationId, action: 'role.updated', targetType: 'Role', targetId: role.id, details: { before, after: changes } });
        emitEvent(manager, ctx, { organisationId: role.organisationId, type: 'role.updated', objectId: role.id, data: { roleId: role.id, before, after: changes, affectedMembers } });
        ctx.invalidateAccess();
        return saved;
      }),
    );
  }

  /** Deletes a custom role; memberships, teams and invitations lose it in the same transaction. */
  async delete(ctx: RequestContext, id: string): Promise<boolean> {
    const role = await this.findManageable(ctx, id, 'deleteRole');
    const boundary = (await ctx.loaders.organisationById.load(role.organisationId))?.permissionBoundary ?? null;
    await runTransaction(this.dataSource, async (manager) => {
      // The organisation first, like every transaction that grants roles: one lock order, no deadlock.
      await lockOrganisation(manager, role.organisationId);
      // Deleting a role takes what it gave: the delta of replacing its permissions with none.
      const affectedMembers = memberPermissionDeltas(await roleHolderChanges(manager, this.catalogue, role, boundary, [], null));
      const [{ members, teams }] = await manager.query(
        `SELECT (SELECT count(*) FROM membership_roles WHERE role_id = $1)::int AS members,
                (SELECT count(*) FROM team_roles WHERE role_id = $1)::int AS teams`,
        [role.id],
      );
      const deleted = await manager.delete(RoleEntity, { id: role.id, organisationId: role.organisationId, builtInKey: IsNull() });
      if (!deleted.affected) throw notFound('Role');
      // The MFA policy names only existing roles (under the organisation's lock, as updateOrganisation checks them).
      const [, policyRows] = await manager.query(
        'UPDATE organisations SET mfa_required_role_ids = array_remove(mfa_required_role_ids, $1::uuid) WHERE id = $2 AND $1::uuid = ANY(mfa_required_role_ids)',
        [role.id, role.organisationId],
      );
      await this.audit.record(manager, ctx, {
        organisationId: role.organisationId,
        action: 'role.deleted',
        targetType: 'Role',
        targetId: role.id,
        details: { name: role.name, permissions: role.permissions, removedFromMembers: members, removedFromTeams: teams, ...(policyRows > 0 ? { removedFromMfaPolicy: true } : {}) },
      });
      emitEvent(manager, ctx, { organisationId: role.organisationId, type: 'role.deleted', objectId: role.id, data: { roleId: role.id, name: role.name, permissions: role.permissions, affectedMembers } });
    });
    ctx.invalidateAccess();
    ctx.loaders.organisationById.clear(role.organisationId);
    return true;
  }

  /** A custom role the caller may manage; another organisation's role looks like none at all. */
  private async findManageable(ctx: RequestContext, id: string, mutation: 'updateRole' | 'deleteRole'): Promise<RoleEntity> {
    const { object: role } = await mutationPermissions[mutation].authorize(ctx, { id });
    if (role.builtInKey) throw forbidden('Built-in roles cannot be changed or deleted');
    return role;
  }

  private validPermissions(permissions: string[], organisation: OrganisationEntity): string[] {
    const unique = [...new Set(permissions.map((key) => key.trim()))].sort();
    const unknown = unique.filter((key) => !this.catalogue.has(key));
    if (unknown.length > 0) throw badInput(`Unknown permissions: ${unknown.join(', ')}`, { field: 'permissions', unknown });
    const boundary = organisation.permissionBoundary;
    // What a listed key implies beyond the boundary is cut when evaluated; the listed keys themselves must lie inside.
    const outsideListed = boundary === null ? [] : unique.filter((key) => !boundary.includes(key));
    if (outsideListed.length > 0) {
      throw badInput(`Outside the organisation's permission boundary: ${outsideListed.join(', ')}`, { field: 'permissions', outside: outsideListed });
    }
    return unique;
  }

  private async writing<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (uniqueViolation(error) === 'roles_organisation_name_key') throw conflict(`A role named "${name.trim()}" already exists`);
      throw error;
    }
  }
}
