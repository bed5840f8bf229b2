import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { badInput, forbidden, notFound } from '../core/errors';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { ACCESS_REVIEW_LIST_LIMIT, type RoleChangePreviewType } from './access-review.type';
import { roleHolderChanges } from './role-change-holders';
import { queryPermissions } from '../core/authz/mutation-permissions';

/** More keys than this in one proposal is not a role edit but a mistake (the catalogue is far smaller). */
const MAX_PROPOSED_PERMISSIONS = 500;

/** `previewRoleChange`: who would gain and lose what if a custom role's permissions were replaced. Writes nothing. */
export class RoleChangePreviewService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly catalogue: PermissionCatalogue,
  ) {}

  /**
   * Checked as `updateRole` checks: roles:manage in the role's organisation (NOT_FOUND elsewhere),
   * built-in roles FORBIDDEN, unknown keys or keys outside the boundary BAD_USER_INPUT. It also needs
   * members:read, since it lists members. It does not apply the no-escalation check: a preview grants nothing.
   */
  async preview(ctx: RequestContext, roleId: string, permissions: string[]): Promise<RoleChangePreviewType> {
    const { object: role } = await queryPermissions.previewRoleChange.authorize(ctx, { roleId, permissions });
    if (role.builtInKey) throw forbidden('Built-in roles cannot be changed');
    const organisation = await ctx.loaders.organisationById.load(role.organisationId);
    if (!organisation) throw notFound('Role');
    const proposed = this.validPermissions(permissions, organisation.permissionBoundary);
    const { holderCount, changes } = await roleHolderChanges(this.dataSource, this.catalogue, role, organisation.permissionBoundary, proposed, ACCESS_REVIEW_LIST_LIMIT);
    const affected = changes.map(({ membership, user, gained, lost }) => {
      ctx.loaders.userById.prime(user.id, user);
      return { organisationId: role.organisationId, membership, gained, lost };
    });
    return { organisationId: role.organisationId, role, permissions: proposed, holderCount, affected };
  }

  /** As `updateRole` normalises and validates them: trimmed, unique, sorted, known, inside the boundary. */
  private validPermissions(permissions: string[], boundary: string[] | null): string[] {
    if (permissions.length > MAX_PROPOSED_PERMISSIONS) throw badInput(`At most ${MAX_PROPOSED_PERMISSIONS} permissions`, { argument: 'permissions' });
    const unique = [...new Set(permissions.map((key) => key.trim()))].sort();
    const unknown = unique.filter((key) => !this.catalogue.has(key));
    if (unknown.length > 0) throw badInput(`Unknown permissions: ${unknown.join(', ')}`, { argument: 'permissions', unknown });
    const outside = boundary === null ? [] : unique.filter((key) => !boundary.includes(key));
    if (outside.length > 0) throw badInput(`Outside the organisation's permission boundary: ${outside.join(', ')}`, { argument: 'permissions', outside });
    return unique;
  }
}
