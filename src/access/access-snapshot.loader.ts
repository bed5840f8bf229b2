import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { MembershipStatus } from '../memberships/membership-status';
import { rolePermissions } from '../roles/built-in-roles';
import type { TeamMemberRole } from '../teams/team-member-role';
import { AccessSnapshot } from './access-snapshot';
import { expiryMillis, isLiveAt } from './grant-expiry';
import { mfaEnrolmentDue, mfaPolicyFromRow, type MfaPolicy } from './mfa-policy';
import { evaluatePermissions, type EvaluatedRole } from './permission-evaluator';

interface AccessRow {
  organisation_id: string;
  organisation_status: string;
  require_mfa: boolean;
  mfa_required_role_ids: string[];
  mfa_grace_until: Date | null;
  /** A token of the member's user has shown a second factor (users.mfa_enrolled_at). */
  mfa_enrolled: boolean | null;
  permission_boundary: string[] | null;
  membership_id: string | null;
  status: MembershipStatus | null;
  direct_roles: (EvaluatedRole & { id?: string })[];
  teams: { teamId: string; place: TeamMemberRole; grantedRoles: EvaluatedRole[]; expiresAt?: number }[];
}

/** `fields` as a JSON object, with `'expiresAt'` only for a time-bound grant (`alias` its row): permanent ones parse as before. */
const WITH_EXPIRY = (alias: string, fields: string) =>
  `CASE WHEN ${alias}.expires_at IS NULL THEN json_build_object(${fields}) ELSE json_build_object(${fields}, 'expiresAt', ${expiryMillis(alias)}) END`;

const ROLES_OF = (linkTable: string, ownerColumn: string, ownerValue: string, withExpiry: boolean) => {
  const fields = `'id', r.id, 'builtInKey', r.built_in_key, 'permissions', r.permissions`;
  return `(
  SELECT coalesce(json_agg(${withExpiry ? WITH_EXPIRY('l', fields) : `json_build_object(${fields})`}), '[]')
  FROM ${linkTable} l JOIN roles r ON r.id = l.role_id WHERE l.${ownerColumn} = ${ownerValue})`;
};

// One statement for any number of organisations: membership, direct roles, team places and team grants,
// with the expiry of each time-bound grant: the evaluator ignores those expired at evaluation time
// (`extra`: more columns of `o` and `m` for a caller that also wants the rows themselves).
const selectAccess = (extra = '') => `
  SELECT o.id AS organisation_id, o.status AS organisation_status, o.require_mfa, o.mfa_required_role_ids, o.mfa_grace_until, o.permission_boundary, m.id AS membership_id, m.status,
    (SELECT u.mfa_enrolled_at IS NOT NULL FROM users u WHERE u.id = m.user_id) AS mfa_enrolled,
    ${ROLES_OF('membership_roles', 'membership_id', 'm.id', true)} AS direct_roles,
    (SELECT coalesce(json_agg(${WITH_EXPIRY('tm', `'teamId', tm.team_id, 'place', tm.role, 'grantedRoles', ${ROLES_OF('team_roles', 'team_id', 'tm.team_id', false)}`)}), '[]')
      FROM team_members tm WHERE tm.membership_id = m.id) AS teams${extra}
  FROM organisations o`;
const SELECT_ACCESS = selectAccess();

function toSnapshot(row: AccessRow, hasMfa: boolean | null, catalogue: PermissionCatalogue): AccessSnapshot {
  // One instant for the whole judgement: time-bound grants and the MFA grace period.
  const at = Date.now();
  const result = evaluatePermissions(
    {
      at,
      now: new Date(at),
      membershipStatus: row.status,
      directRoles: row.direct_roles,
      teams: row.teams,
      boundary: row.permission_boundary,
      requireMfa: row.require_mfa,
      mfaRoleIds: row.mfa_required_role_ids,
      mfaGraceUntil: row.mfa_grace_until,
      hasMfa,
      organisationStatus: row.organisation_status,
    },
    catalogue,
    (role) => rolePermissions(role, catalogue),
  );
  const policy = mfaPolicyFromRow(row);
  const liveRoles = row.direct_roles.filter((role) => isLiveAt(role.expiresAt, at));
  const liveTeams = row.teams.filter((team) => isLiveAt(team.expiresAt, at));
  const roles = [...liveRoles, ...liveTeams.flatMap((team) => team.grantedRoles)];
  const due = row.status === MembershipStatus.ACTIVE && mfaEnrolmentDue(policy, roles, row.mfa_enrolled === true || hasMfa === true);
  // The membership's own data (roles, teams), which visibility rules read: not flags set by resolvers.
  const holdings = {
    roleIds: new Set(liveRoles.flatMap((role) => (role.id ? [role.id] : []))),
    teamIds: new Set(liveTeams.map((team) => team.teamId)),
  };
  return new AccessSnapshot(row.organisation_id, row.membership_id, result, due, holdings);
}

const NO_ACCESS_ROW = (organisationId: string): AccessRow => ({
  organisation_id: organisationId,
  organisation_status: 'ACTIVE',
  require_mfa: false,
  mfa_required_role_ids: [],
  mfa_grace_until: null,
  mfa_enrolled: null,
  permission_boundary: null,
  membership_id: null,
  status: null,
  direct_roles: [],
  teams: [],
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Per-request loader of the principal's snapshot per organisation (one SQL statement per batch). The same
 * statement brings each organisation's row (`row_to_json`), handed to `onOrganisation` (the request primes
 * its organisation loader: checking access first then costs no second statement for the object).
 */
export function createViewerAccessLoader(
  dataSource: DataSource,
  catalogue: PermissionCatalogue,
  userId: string | null,
  hasMfa: boolean,
  onOrganisation?: (organisation: Record<string, unknown>) => void,
) {
  return new DataLoader<string, AccessSnapshot>(async (organisationIds) => {
    const valid = organisationIds.filter((id) => UUID.test(id));
    const rows: (AccessRow & { organisation_row?: Record<string, unknown> })[] = userId && valid.length > 0
      ? await dataSource.query(
          `${onOrganisation ? selectAccess(', row_to_json(o) AS organisation_row') : SELECT_ACCESS} LEFT JOIN memberships m ON m.organisation_id = o.id AND m.user_id = $1 WHERE o.id = ANY($2::uuid[])`,
          [userId, valid],
        )
      : [];
    if (onOrganisation) for (const row of rows) if (row.organisation_row) onOrganisation(row.organisation_row);
    const byId = new Map(rows.map((row) => [row.organisation_id, row]));
    return organisationIds.map((id) => toSnapshot(byId.get(id) ?? NO_ACCESS_ROW(id), hasMfa, catalogue));
  });
}

/**
 * The principal's memberships (joined date order) with, in the same statement, each one's access snapshot
 * (as {@link createViewerAccessLoader} computes it), its row, its organisation's row and its direct roles
 * (`directRolesSql`, a column expression over `m`): the Viewer page in one statement.
 */
export async function viewerMembershipsWithAccess(
  dataSource: DataSource,
  catalogue: PermissionCatalogue,
  userId: string,
  hasMfa: boolean,
  directRolesSql: string,
): Promise<{ snapshot: AccessSnapshot; membership: Record<string, unknown>; organisation: Record<string, unknown>; directRoles: any[] }[]> {
  const rows: (AccessRow & { organisation_row: Record<string, unknown>; membership_row: Record<string, unknown>; direct_roles_json: any[] })[] = await dataSource.query(
    `${selectAccess(`, row_to_json(o) AS organisation_row, row_to_json(m) AS membership_row, ${directRolesSql} AS direct_roles_json`)}
     JOIN memberships m ON m.organisation_id = o.id AND m.user_id = $1 ORDER BY m.joined_at, m.id`,
    [userId],
  );
  return rows.map((row) => ({
    snapshot: toSnapshot(row, hasMfa, catalogue),
    membership: row.membership_row,
    organisation: row.organisation_row,
    directRoles: row.direct_roles_json,
  }));
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

/**
 * The user's snapshot in the organisation were `policy` its MFA policy, for a request with(out) a second
 * factor (`hasMfa`), read on `queryable` (a transaction holding the organisation's lock): what the MFA
 * lock-out guard of `updateOrganisation` judges. A user who is not a member gets the empty snapshot.
 */
export async function snapshotUnderMfaPolicy(
  queryable: { query(sql: string, parameters?: unknown[]): Promise<any> },
  catalogue: PermissionCatalogue,
  organisationId: string,
  userId: string,
  policy: MfaPolicy,
  hasMfa: boolean,
): Promise<AccessSnapshot> {
  const rows: AccessRow[] = await queryable.query(`${SELECT_ACCESS} JOIN memberships m ON m.organisation_id = o.id AND m.user_id = $1 WHERE o.id = $2`, [userId, organisationId]);
  const row = rows[0] ?? NO_ACCESS_ROW(organisationId);
  return toSnapshot(
    { ...row, require_mfa: policy.requiredForAll, mfa_required_role_ids: [...policy.requiredForRoleIds], mfa_grace_until: policy.graceUntil },
    hasMfa,
    catalogue,
  );
}
