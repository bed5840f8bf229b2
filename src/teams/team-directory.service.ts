import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { countWhere, escapeLike } from '../core/database/sql';
import { badInput } from '../core/errors';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '../core/graphql/connection';
import { isId } from '../core/ids';
import { membershipFromRow, MEMBERSHIP_COLUMNS } from '../memberships/membership.rows';
import type { TeamMemberEntity } from './team-member.entity';
import { TEAM_COLUMNS, teamFromRow, teamPlaceFromRow } from './team.rows';
import type { TeamEntity } from './team.entity';

/** Reading teams: one team, an organisation's teams, a team's members; each page in one statement. */
export class TeamDirectoryService {
  constructor(private readonly dataSource: DataSource) {}

  /** The team if the caller may read it (teams:read, or managing it), else null. */
  async findVisible(ctx: RequestContext, id: string): Promise<TeamEntity | null> {
    if (!ctx.principal || !isId(id)) return null;
    const team = await ctx.loaders.teamById.load(id);
    if (!team) return null;
    return (await ctx.access(team.organisationId)).hasInTeam(team.id, 'teams:read') ? team : null;
  }

  async list(ctx: RequestContext, organisationId: string, args: { first?: number | null; after?: string | null; search?: string | null }): Promise<Connection<TeamEntity>> {
    const limit = pageSize(args.first);
    const snapshot = await ctx.access(organisationId);
    const parameters: unknown[] = [organisationId];
    const where = ['t.organisation_id = $1'];
    // With teams:read every team; a team MANAGER without it sees the teams they manage.
    if (!snapshot.has('teams:read')) {
      parameters.push(snapshot.teamsWith('teams:read'));
      where.push(`t.id = ANY($${parameters.length}::uuid[])`);
    }
    const search = args.search?.trim().toLowerCase();
    if (search) {
      parameters.push(`%${escapeLike(search)}%`);
      where.push(`lower(t.name) LIKE $${parameters.length}`);
    }
    const filters = where.length;
    const scope = `teams:${organisationId}`;
    if (args.after) {
      const [cursorScope, name, id] = decodeCursor(args.after, 3);
      if (cursorScope !== scope || typeof name !== 'string' || !isId(id)) throw badInput('Malformed cursor', { argument: 'after' });
      parameters.push(name, id);
      where.push(`(lower(t.name), t.id) > ($${parameters.length - 1}, $${parameters.length}::uuid)`);
    }
    parameters.push(limit + 1);
    const rows: Record<string, any>[] = await this.dataSource.query(
      // The sort key travels as PostgreSQL computed it: JavaScript's toLowerCase differs for some letters.
      `SELECT ${TEAM_COLUMNS}, lower(t.name) AS sort_key, ${filters === where.length ? 'count(*) OVER ()' : 'NULL'}::int AS total_count
       FROM teams t WHERE ${where.join(' AND ')} ORDER BY lower(t.name), t.id LIMIT $${parameters.length}`,
      parameters,
    );
    const totalCount = rows[0]?.total_count ?? (await countWhere(this.dataSource, 'teams t', where.slice(0, filters), parameters));
    const sortKeys = new Map<string, string>(rows.map((row) => [row.id, row.sort_key]));
    const teams = rows.map((row) => teamFromRow(row));
    for (const team of teams) ctx.loaders.teamById.prime(team.id, team);
    return toConnection(teams, limit, totalCount, (team) => encodeCursor([scope, sortKeys.get(team.id) as string, team.id]));
  }

  /** A team's members, managers first, then by when they were added. */
  async members(ctx: RequestContext, team: TeamEntity, first?: number | null, after?: string | null): Promise<Connection<TeamMemberEntity>> {
    const limit = pageSize(first);
    const parameters: unknown[] = [team.id];
    const where = ['tm.team_id = $1'];
    const scope = `team-members:${team.id}`;
    if (after) {
      const [cursorScope, rank, addedAt, id] = decodeCursor(after, 4);
      if (cursorScope !== scope || typeof rank !== 'number' || typeof addedAt !== 'string' || Number.isNaN(Date.parse(addedAt)) || !isId(id)) {
        throw badInput('Malformed cursor', { argument: 'after' });
      }
      parameters.push(rank, addedAt, id);
      where.push(`(CASE tm.role WHEN 'MANAGER' THEN 0 ELSE 1 END, tm.added_at, tm.membership_id) > ($2, $3::timestamptz, $4::uuid)`);
    }
    parameters.push(limit + 1);
    const rows: Record<string, any>[] = await this.dataSource.query(
      // added_at travels as text with its microseconds: a JS Date keeps milliseconds only, and a cursor
      // rounded down would show its own row again on the next page.
      `SELECT tm.team_id, tm.membership_id, tm.organisation_id, tm.role, tm.added_at,
              to_char(tm.added_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS added_at_key,
              ${MEMBERSHIP_COLUMNS}, ${after ? 'NULL' : 'count(*) OVER ()'}::int AS total_count
       FROM team_members tm JOIN memberships m ON m.id = tm.membership_id
       WHERE ${where.join(' AND ')}
       ORDER BY CASE tm.role WHEN 'MANAGER' THEN 0 ELSE 1 END, tm.added_at, tm.membership_id
       LIMIT $${parameters.length}`,
      parameters,
    );
    const totalCount = rows[0]?.total_count ?? (await ctx.loaders.memberCountByTeamId.load(team.id));
    const addedAtKeys = new Map<string, string>(rows.map((row) => [row.membership_id, row.added_at_key]));
    const places = rows.map((row) => {
      ctx.loaders.membershipById.prime(row.id, membershipFromRow(row));
      return teamPlaceFromRow(row);
    });
    return toConnection(places, limit, totalCount, (place) =>
      encodeCursor([scope, place.role === 'MANAGER' ? 0 : 1, addedAtKeys.get(place.membershipId) as string, place.membershipId]),
    );
  }
}
