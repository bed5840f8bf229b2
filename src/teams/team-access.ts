import type { EntityManager } from 'typeorm';
import type { AccessSnapshot } from '../access/access-snapshot';
import type { RequestContext } from '../core/context/request-context';
import { AppError, ErrorCode, forbidden, notFound, organisationRefused } from '../core/errors';
import { isId } from '../core/ids';
import { ROLE_COLUMNS, roleFromRow, type RoleRow } from '../roles/role.rows';
import type { RoleEntity } from '../roles/role.entity';
import { TEAM_COLUMNS, teamFromRow } from './team.rows';
import type { TeamEntity } from './team.entity';

/**
 * The team named by `teamId` once the caller holds `permission` for it: in the team's scope (its
 * MANAGER) when `teamScope`, else organisation-wide. A team the caller cannot even read (another
 * organisation's, or no teams:read) is NOT_FOUND, exactly like one that does not exist.
 */
export async function requireTeam(ctx: RequestContext, teamId: string, permission: string, teamScope: boolean): Promise<{ team: TeamEntity; snapshot: AccessSnapshot }> {
  ctx.requirePrincipal();
  const team = isId(teamId) ? await ctx.loaders.teamById.load(teamId) : null;
  if (!team) throw notFound('Team');
  const snapshot = await ctx.access(team.organisationId);
  if (!snapshot.hasInTeam(team.id, 'teams:read')) {
    if (snapshot.refusal) throw organisationRefused(snapshot.refusal);
    if (snapshot.withheldByMfa('teams:read')) throw new AppError(ErrorCode.MFA_REQUIRED);
    throw notFound('Team');
  }
  await ctx.requirePermission(team.organisationId, permission, 'Team', teamScope ? team.id : undefined);
  return { team, snapshot };
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
