import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import type { MembershipStatus } from '../memberships/membership-status';
import { rolePermissions } from '../roles/built-in-roles';
import type { TeamMemberRole } from '../teams/team-member-role';
import { AccessSnapshot } from './access-snapshot';
import { evaluatePermissions, type EvaluatedRole } from './permission-evaluator';

interface AccessRow {
  organisation_id: string;
  organisation_status: string;
  require_mfa: boolean;
  permission_boundary: string[] | null;
  membership_id: string | null;
  status: MembershipStatus | null;
  direct_roles: EvaluatedRole[];
  teams: { teamId: string; place: TeamMemberRole; grantedRoles: EvaluatedRole[] }[];
}

const ROLES_OF = (linkTable: string, ownerColumn: string, ownerValue: string) => `(
  SELECT coalesce(json_agg(json_build_object('builtInKey', r.built_in_key, 'permissions', r.permissions)), '[]')
  FROM ${linkTable} l JOIN roles r ON r.id = l.role_id WHERE l.${ownerColumn} = ${ownerValue})`;

// One statement for any number of organisations: membership, direct roles, team places and team grants.
const SELECT_ACCESS = `
  SELECT o.id AS organisation_id, o.status AS organisation_status, o.require_mfa, o.permission_boundary, m.id AS membership_id, m.status,
    ${ROLES_OF('membership_roles', 'membership_id', 'm.id')} AS direct_roles,
    (SELECT coalesce(json_agg(json_build_object('teamId', tm.team_id, 'place', tm.role,
        'grantedRoles', ${ROLES_OF('team_roles', 'team_id', 'tm.team_id')})), '[]')
      FROM team_members tm WHERE tm.membership_id = m.id) AS teams
  FROM organisations o`;

function toSnapshot(row: AccessRow, hasMfa: boolean | null, catalogue: PermissionCatalogue): AccessSnapshot {
  const result = evaluatePermissions(
    {
      membershipStatus: row.status,
      directRoles: row.direct_roles,
      teams: row.teams,
      boundary: row.permission_boundary,
      requireMfa: row.require_mfa,
      hasMfa,
      organisationStatus: row.organisation_status,
    },
    catalogue,
    (role) => rolePermissions(role, catalogue),
  );
  return new AccessSnapshot(row.organisation_id, row.membership_id, result);
}

const NO_ACCESS_ROW = (organisationId: string): AccessRow => ({
  organisation_id: organisationId,
  organisation_status: 'ACTIVE',
  require_mfa: false,
  permission_boundary: null,
  membership_id: null,
  status: null,
  direct_roles: [],
  teams: [],
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Per-request loader of the principal's snapshot per organisation (one SQL statement per batch). */
export function createViewerAccessLoader(dataSource: DataSource, catalogue: PermissionCatalogue, userId: string | null, hasMfa: boolean) {
  return new DataLoader<string, AccessSnapshot>(async (organisationIds) => {
    const valid = organisationIds.filter((id) => UUID.test(id));
    const rows: AccessRow[] = userId && valid.length > 0
      ? await dataSource.query(`${SELECT_ACCESS} LEFT JOIN memberships m ON m.organisation_id = o.id AND m.user_id = $1 WHERE o.id = ANY($2::uuid[])`, [userId, valid])
      : [];
    const byId = new Map(rows.map((row) => [row.organisation_id, row]));
    return organisationIds.map((id) => toSnapshot(byId.get(id) ?? NO_ACCESS_ROW(id), hasMfa, catalogue));
  });
}

/** Per-request loader of any membership's effective permissions (MFA is a property of a request, so not applied). */
export function createMembershipAccessLoader(dataSource: DataSource, catalogue: PermissionCatalogue) {
  return new DataLoader<string, AccessSnapshot | null>(async (membershipIds) => {
    const rows: AccessRow[] = await dataSource.query(
      `${SELECT_ACCESS} JOIN memberships m ON m.organisation_id = o.id WHERE m.id = ANY($1::uuid[])`,
      [membershipIds.filter((id) => UUID.test(id))],
    );
    const byId = new Map(rows.map((row) => [row.membership_id, row]));
    return membershipIds.map((id) => {
      const row = byId.get(id);
      return row ? toSnapshot(row, null, catalogue) : null;
    });
  });
}

/**
 * The effective permissions of every membership a subquery selects (`membershipIdsSql`, over
 * `parameters`), in one statement on `queryable` (e.g. a transaction's manager, to read its own writes).
 * As {@link createMembershipAccessLoader}: MFA, a property of a request, is not applied.
 */
export async function membershipSnapshots(
  queryable: { query(sql: string, parameters?: unknown[]): Promise<any> },
  catalogue: PermissionCatalogue,
  membershipIdsSql: string,
  parameters: readonly unknown[],
): Promise<Map<string, AccessSnapshot>> {
  const rows: AccessRow[] = await queryable.query(`${SELECT_ACCESS} JOIN memberships m ON m.organisation_id = o.id WHERE m.id IN (${membershipIdsSql})`, [...parameters]);
  return new Map(rows.map((row) => [row.membership_id as string, toSnapshot(row, null, catalogue)]));
}
