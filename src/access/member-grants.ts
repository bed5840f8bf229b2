import type { RoleEntity } from '../roles/role.entity';
import { roleFromRow, type RoleRow } from '../roles/role.rows';
import type { TeamMemberRole } from '../teams/team-member-role';
import type { TeamEntity } from '../teams/team.entity';
import { teamFromRow } from '../teams/team.rows';

/** A member's roles with their identities: direct ones, and per team place the roles the team grants. */
export interface MemberGrants {
  directRoles: RoleEntity[];
  teams: { teamId: string; team: TeamEntity; place: TeamMemberRole; grantedRoles: RoleEntity[] }[];
}

const ROLES_JSON = (linkTable: string, ownerColumn: string, ownerValue: string) => `(
  SELECT coalesce(json_agg(row_to_json(r) ORDER BY lower(r.name), r.id), '[]')
  FROM ${linkTable} l JOIN roles r ON r.id = l.role_id WHERE l.${ownerColumn} = ${ownerValue})`;

/**
 * Columns giving, for the membership aliased `m`, its direct roles and its team places with each
 * team's granted roles, as JSON (one row per membership, so a list of members stays one statement).
 */
export const GRANTS_COLUMNS = `
  ${ROLES_JSON('membership_roles', 'membership_id', 'm.id')} AS direct_roles,
  (SELECT coalesce(json_agg(json_build_object('team', row_to_json(t), 'place', tm.role,
      'grantedRoles', ${ROLES_JSON('team_roles', 'team_id', 'tm.team_id')}) ORDER BY lower(t.name), t.id), '[]')
    FROM team_members tm JOIN teams t ON t.id = tm.team_id WHERE tm.membership_id = m.id) AS team_grants`;

// row_to_json writes timestamps as text.
const withDates = <T extends Record<string, any>>(row: T): T => ({ ...row, created_at: new Date(row.created_at), updated_at: new Date(row.updated_at) });

/** The grants of a row selected with {@link GRANTS_COLUMNS} (empty for a missing membership). */
export function grantsFromRow(row: Record<string, any>): MemberGrants {
  const teamGrants: { team: Record<string, any>; place: TeamMemberRole; grantedRoles: RoleRow[] }[] = row.team_grants ?? [];
  const roles = (rows: RoleRow[]) => rows.map((role) => roleFromRow(withDates(role)));
  return {
    directRoles: roles(row.direct_roles ?? []),
    teams: teamGrants.map(({ team, place, grantedRoles }) => {
      const entity = teamFromRow(withDates(team));
      return { teamId: entity.id, team: entity, place, grantedRoles: roles(grantedRoles) };
    }),
  };
}
