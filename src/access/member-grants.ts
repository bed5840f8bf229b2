import { expiryDate, liveGrant } from './grant-expiry';
import type { RoleEntity } from '../roles/role.entity';
import { roleFromRow, type RoleRow } from '../roles/role.rows';
import type { TeamMemberRole } from '../teams/team-member-role';
import type { TeamEntity } from '../teams/team.entity';
import { teamFromRow } from '../teams/team.rows';

/** A member's roles with their identities: direct ones, and per team place the roles the team grants. */
export interface MemberGrants {
  /** Direct roles in force, each with its grant's expiry (`grantExpiresAt`, null: permanent). */
  directRoles: (RoleEntity & { grantExpiresAt: Date | null })[];
  /** Team places in force, with the place's expiry (null: permanent). */
  teams: { teamId: string; team: TeamEntity; place: TeamMemberRole; grantedRoles: RoleEntity[]; expiresAt: Date | null }[];
}

const ROLES_JSON = (linkTable: string, ownerColumn: string, ownerValue: string, direct: boolean) => `(
  SELECT coalesce(json_agg(${direct ? `(row_to_json(r)::jsonb || jsonb_build_object('grant_expires_at', l.expires_at))` : 'row_to_json(r)'} ORDER BY lower(r.name), r.id), '[]')
  FROM ${linkTable} l JOIN roles r ON r.id = l.role_id WHERE l.${ownerColumn} = ${ownerValue}${direct ? ` AND ${liveGrant('l')}` : ''})`;

/**
 * Columns giving, for the membership aliased `m`, its direct roles and its team places with each
 * team's granted roles, as JSON (one row per membership, so a list of members stays one statement).
 * Only grants in force now (grant-expiry.ts), each with its expiry.
 */
export const GRANTS_COLUMNS = `
  ${ROLES_JSON('membership_roles', 'membership_id', 'm.id', true)} AS direct_roles,
  (SELECT coalesce(json_agg(json_build_object('team', row_to_json(t), 'place', tm.role, 'expiresAt', tm.expires_at,
      'grantedRoles', ${ROLES_JSON('team_roles', 'team_id', 'tm.team_id', false)}) ORDER BY lower(t.name), t.id), '[]')
    FROM team_members tm JOIN teams t ON t.id = tm.team_id WHERE tm.membership_id = m.id AND ${liveGrant('tm')}) AS team_grants`;

// row_to_json writes timestamps as text.
const withDates = <T extends Record<string, any>>(row: T): T => ({ ...row, created_at: new Date(row.created_at), updated_at: new Date(row.updated_at) });

/** The grants of a row selected with {@link GRANTS_COLUMNS} (empty for a missing membership). */
export function grantsFromRow(row: Record<string, any>): MemberGrants {
  const teamGrants: { team: Record<string, any>; place: TeamMemberRole; grantedRoles: RoleRow[]; expiresAt?: string | null }[] = row.team_grants ?? [];
  const roles = (rows: RoleRow[]) => rows.map((role) => roleFromRow(withDates(role)));
  const direct: (RoleRow & { grant_expires_at?: string | null })[] = row.direct_roles ?? [];
  return {
    directRoles: direct.map((role) => Object.assign(roleFromRow(withDates(role)), { grantExpiresAt: expiryDate(role.grant_expires_at) })),
    teams: teamGrants.map(({ team, place, grantedRoles, expiresAt }) => {
      const entity = teamFromRow(withDates(team));
      return { teamId: entity.id, team: entity, place, grantedRoles: roles(grantedRoles), expiresAt: expiryDate(expiresAt) };
    }),
  };
}
