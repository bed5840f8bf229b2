import { liveGrant } from './grant-expiry';
import type { EntityManager } from 'typeorm';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import type { MembershipEntity } from '../memberships/membership.entity';
import { MEMBERSHIP_COLUMNS, membershipFromRow } from '../memberships/membership.rows';
import { rolePermissions } from '../roles/built-in-roles';
import type { UserEntity } from '../users/user.entity';
import { USER_COLUMNS_PREFIXED, userFromPrefixedRow } from '../users/user.rows';
import { GRANTS_COLUMNS, grantsFromRow } from './member-grants';
import { roleChangeEffect, type PermissionChange } from './role-change-preview';

// One statement: every member holding the role directly or through a team, with all their grants.
const SELECT_HOLDERS = `
  SELECT ${MEMBERSHIP_COLUMNS}, ${USER_COLUMNS_PREFIXED}, ${GRANTS_COLUMNS}, count(*) OVER ()::int AS holder_count
  FROM memberships m JOIN users u ON u.id = m.user_id
  WHERE m.organisation_id = $1 AND (
    EXISTS (SELECT 1 FROM membership_roles l WHERE l.membership_id = m.id AND l.role_id = $2 AND ${liveGrant('l')})
    OR EXISTS (SELECT 1 FROM team_members tm JOIN team_roles l ON l.team_id = tm.team_id WHERE tm.membership_id = m.id AND l.role_id = $2 AND ${liveGrant('tm')}))
  ORDER BY lower(u.display_name), m.id
  LIMIT $3`;

/** A member holding the role, and what they would gain and lose. */
export interface HolderChange extends PermissionChange {
  membership: MembershipEntity;
  user: UserEntity;
}

/**
 * Who holds role `roleId` (directly or through a team) and how each one's P(u, o) changes if its
 * permissions become `permissions` (deleting a role is `[]`): `previewRoleChange` before an edit, and
 * the role events' per-member delta inside the edit's transaction. `limit` null: every holder.
 */
export async function roleHolderChanges(
  queryable: Pick<EntityManager, 'query'>,
  catalogue: PermissionCatalogue,
  role: { id: string; organisationId: string },
  boundary: readonly string[] | null,
  permissions: readonly string[],
  limit: number | null,
): Promise<{ holderCount: number; changes: HolderChange[] }> {
  const rows: Record<string, any>[] = await queryable.query(SELECT_HOLDERS, [role.organisationId, role.id, limit]);
  const changes = rows.map((row) => {
    const membership = membershipFromRow(row);
    const grants = grantsFromRow(row);
    const change = roleChangeEffect(
      { membershipStatus: membership.status, directRoles: grants.directRoles, teams: grants.teams, boundary },
      role.id,
      permissions,
      catalogue,
      (evaluated) => rolePermissions(evaluated, catalogue),
    );
    return { membership, user: userFromPrefixedRow(row), ...change };
  });
  return { holderCount: rows[0]?.holder_count ?? 0, changes };
}
