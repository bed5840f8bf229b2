import type { EntityManager } from 'typeorm';
import type { AccessSnapshot } from '../access/access-snapshot';
import type { RequestContext } from '../core/context/request-context';
import type { Declaration } from '../core/authz/object-rules';
import { forbidden, notFound } from '../core/errors';
import { ROLE_COLUMNS, roleFromRow, type RoleRow } from '../roles/role.rows';
import type { RoleEntity } from '../roles/role.entity';
import { TEAM_COLUMNS, teamFromRow } from './team.rows';
import type { TeamEntity } from './team.entity';

/**
 * The team a team mutation acts on, authorized by its declaration (src/core/authz/mutation-permissions.ts):
 * the permission in the team's scope (its MANAGER) or organisation-wide as declared; a team the caller
 * cannot even read (another organisation's, or no teams:read) is NOT_FOUND, like one that does not exist.
 */
export async function requireTeam(declaration: Declaration<TeamEntity>, ctx: RequestContext, args: Record<string, unknown>): Promise<{ object: TeamEntity; snapshot: AccessSnapshot }> {
  const { object, snapshot } = await declaration.authorize(ctx, args);
  return { object, snapshot: snapshot as AccessSnapshot };
}

/** The team as it is now, inside a transaction (it may have been deleted since it was loaded). */
export async function reloadTeam(manager: EntityManager, team: TeamEntity): Promise<TeamEntity> {
  const rows: Record<string, unknown>[] = await manager.query(`SELECT ${TEAM_COLUMNS} FROM teams t WHERE t.id = $1 AND t.organisation_id = $2`, [team.id, team.organisationId]);
  if (rows.length === 0) throw notFound('Team');
  return teamFromRow(rows[0]);
}

/** The roles a team grants, as they are now inside a transaction. */
export async function grantedRoles(manager: EntityManager, teamId: string): Promise<RoleEntity[]> {
  const rows: RoleRow[] = await manager.query(`SELECT ${ROLE_COLUMNS} FROM team_roles l JOIN roles r ON r.id = l.role_id WHERE l.team_id = $1`, [teamId]);
  return rows.map(roleFromRow);
}

/** Taking Owner away from anyone (a team's Owner grant, or a place in a team granting it) is for Owners only. */
export function assertMayTakeOwner(snapshot: AccessSnapshot, roles: readonly RoleEntity[], what: string): void {
  if (roles.some((role) => role.builtInKey === 'owner') && !snapshot.owner) throw forbidden(`Only an Owner may ${what}`);
}
