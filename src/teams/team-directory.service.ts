import { liveGrant } from '../access/grant-expiry';
import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { countWhere, escapeLike } from '../core/database/sql';
import type { Connection, PageArgs } from '../core/graphql/connection';
import type { KeysetPaginator } from '../core/pagination/keyset-paginator';
import { isId } from '../core/ids';
import { membershipFromRow, MEMBERSHIP_COLUMNS } from '../memberships/membership.rows';
import { USER_COLUMNS_PREFIXED, userFromPrefixedRow } from '../users/user.rows';
import type { TeamMemberEntity } from './team-member.entity';
import { TEAM_COLUMNS, teamFromRow, teamPlaceFromRow } from './team.rows';
import type { TeamEntity } from './team.entity';

/** Reading teams: one team, an organisation's teams, a team's members; each page in one statement. */
export class TeamDirectoryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly paginator: KeysetPaginator,
  ) {}

  /** The team if the caller may read it (teams:read, or managing it), else null. */
  async findVisible(ctx: RequestContext, id: string): Promise<TeamEntity | null> {
    if (!ctx.principal || !isId(id)) return null;
    const team = await ctx.loaders.teamById.load(id);
    if (!team) return null;
    return (await ctx.access(team.organisationId)).hasInTeam(team.id, 'teams:read') ? team : null;
  }

  async list(ctx: RequestContext, organisationId: string, args: PageArgs & { search?: string | null }): Promise<Connection<TeamEntity>> {
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
    const page = await this.paginator.page<Record<string, any>>(args, {
      scope: JSON.stringify(['teams', organisationId, search ?? null]),
      select: TEAM_COLUMNS,
      from: 'teams t',
      where,
      parameters,
      // The sort key is compared as PostgreSQL computes it: JavaScript's toLowerCase differs for some letters.
      key: [
        { sql: 'lower(t.name)', kind: 'text' },
        { sql: 't.id', kind: 'uuid' },
      ],
      windowCount: true,
    });
    const totalCount = page.windowTotal ?? (await countWhere(this.dataSource, 'teams t', where, parameters));
    const teams = page.rows.map((row) => teamFromRow(row));
    for (const team of teams) ctx.loaders.teamById.prime(team.id, team);
    return page.connection(teams, totalCount);
  }

  /**
   * A team's members, managers first, then by when they were added; each with its membership and user
   * (primed: the page is one statement, its count a subquery of it).
   */
  async members(ctx: RequestContext, team: TeamEntity, args: PageArgs): Promise<Connection<TeamMemberEntity>> {
    const page = await this.paginator.page<Record<string, any>>(args, {
      scope: JSON.stringify(['team-members', team.id]),
      select: `tm.team_id, tm.membership_id, tm.organisation_id, tm.role, tm.added_at, tm.expires_at, ${MEMBERSHIP_COLUMNS}, ${USER_COLUMNS_PREFIXED}`,
      from: 'team_members tm JOIN memberships m ON m.id = tm.membership_id JOIN users u ON u.id = m.user_id',
      where: ['tm.team_id = $1', liveGrant('tm')],
      parameters: [team.id],
      key: [
        { sql: "CASE tm.role WHEN 'MANAGER' THEN 0 ELSE 1 END", kind: 'int' },
        { sql: 'tm.added_at', kind: 'timestamptz' },
        { sql: 'tm.membership_id', kind: 'uuid' },
      ],
      countInStatement: true,
    });
    const totalCount = page.windowTotal ?? (await ctx.loaders.memberCountByTeamId.load(team.id));
    const places = page.rows.map((row) => {
      ctx.loaders.membershipById.prime(row.id, membershipFromRow(row));
      const user = userFromPrefixedRow(row);
      ctx.loaders.userById.prime(user.id, user);
      return teamPlaceFromRow(row);
    });
    return page.connection(places, totalCount);
  }
}
