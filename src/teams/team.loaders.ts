import { liveGrant } from '../access/grant-expiry';
import DataLoader from 'dataloader';
import { In, type DataSource } from 'typeorm';
import { isId } from '../core/ids';
import type { RoleEntity } from '../roles/role.entity';
import { ROLE_COLUMNS, roleFromRow, type RoleRow } from '../roles/role.rows';
import type { TeamMemberEntity } from './team-member.entity';
import { teamFromRow, teamPlaceFromRow } from './team.rows';
import { TeamEntity } from './team.entity';

function groupBy<T>(rows: T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** Teams by id, a membership's team places (teams primed), team grants and sizes; one statement per batch. */
export function createTeamLoaders(dataSource: DataSource) {
  const teamById = new DataLoader<string, TeamEntity | null>(async (ids) => {
    const rows = await dataSource.getRepository(TeamEntity).findBy({ id: In(ids.filter(isId)) });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  return {
    teamById,
    teamPlacesByMembershipId: new DataLoader<string, TeamMemberEntity[]>(async (membershipIds) => {
      const rows: Record<string, any>[] = await dataSource.query(
        `SELECT tm.team_id, tm.membership_id, tm.organisation_id, tm.role, tm.added_at, tm.expires_at,
                t.id AS t_id, t.organisation_id AS t_organisation_id, t.name AS t_name, t.description AS t_description,
                t.created_at AS t_created_at, t.updated_at AS t_updated_at
         FROM team_members tm JOIN teams t ON t.id = tm.team_id
         WHERE tm.membership_id = ANY($1::uuid[]) AND ${liveGrant('tm')} ORDER BY lower(t.name), t.id`,
        [membershipIds.filter(isId)],
      );
      for (const row of rows) teamById.prime(row.t_id, teamFromRow(row, 't_'));
      const groups = groupBy(rows.map(teamPlaceFromRow), (place) => place.membershipId);
      return membershipIds.map((id) => groups.get(id) ?? []);
    }),
    grantedRolesByTeamId: new DataLoader<string, RoleEntity[]>(async (teamIds) => {
      const rows: (RoleRow & { team_id: string })[] = await dataSource.query(
        `SELECT ${ROLE_COLUMNS}, l.team_id FROM team_roles l JOIN roles r ON r.id = l.role_id
         WHERE l.team_id = ANY($1::uuid[]) ORDER BY r.name, r.id`,
        [teamIds.filter(isId)],
      );
      const groups = groupBy(rows, (row) => row.team_id);
      return teamIds.map((id) => (groups.get(id) ?? []).map(roleFromRow));
    }),
    memberCountByTeamId: new DataLoader<string, number>(async (teamIds) => {
      const rows: { team_id: string; count: number }[] = await dataSource.query(
        `SELECT team_id, count(*)::int AS count FROM team_members tm WHERE team_id = ANY($1::uuid[]) AND ${liveGrant('tm')} GROUP BY team_id`,
        [teamIds.filter(isId)],
      );
      const byId = new Map(rows.map((row) => [row.team_id, row.count]));
      return teamIds.map((id) => byId.get(id) ?? 0);
    }),
  };
}
