import { liveGrant } from '../access/grant-expiry';
import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { countWhere, escapeLike } from '../core/database/sql';
import { badInput } from '../core/errors';
import type { Connection, PageArgs } from '../core/graphql/connection';
import type { KeyColumn, KeysetPaginator } from '../core/pagination/keyset-paginator';
import { isId } from '../core/ids';
import { USER_COLUMNS_PREFIXED, userFromPrefixedRow } from '../users/user.rows';
import { MemberOrderField, OrderDirection, type MemberFilter, type MemberOrder } from './membership.inputs';
import { TEAM_PLACES_JSON, teamPlacesFromJson } from '../teams/team.rows';
import { DIRECT_ROLES_JSON, directRolesFromJson, MEMBERSHIP_COLUMNS, membershipFromRow } from './membership.rows';
import type { MembershipEntity } from './membership.entity';
import { MembershipStatus } from './membership-status';

// Sort keys never NULL, so keyset comparisons stay simple; every key is backed by an index.
const SORT_KEYS: Record<MemberOrderField, KeyColumn> = {
  DISPLAY_NAME: { sql: 'lower(u.display_name)', kind: 'text' },
  EMAIL: { sql: "coalesce(lower(u.email), '')", kind: 'text' },
  JOINED_AT: { sql: 'm.joined_at', kind: 'timestamptz' },
  LAST_SIGN_IN_AT: { sql: "coalesce(u.last_sign_in_at, '-infinity'::timestamptz)", kind: 'timestamptz' },
};

const FROM = 'memberships m JOIN users u ON u.id = m.user_id';
// What the count needs when no filter clause reads the user (every filter but a search shorter than three
// characters): the organisation's memberships alone, without joining 100,000 users.
const COUNT_FROM = 'memberships m';

/**
 * The members list of an organisation: filtered, ordered, keyset-paginated, in one statement that also
 * brings each member's user, direct roles and team places (primed into the request's loaders) and, only when
 * asked for, the filtered count (a separate `count(*)` subquery: the page itself stops after `first + 1` rows).
 */
export class MemberDirectoryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly paginator: KeysetPaginator,
  ) {}

  async list(
    ctx: RequestContext,
    organisationId: string,
    args: PageArgs & { filter?: MemberFilter | null; orderBy?: MemberOrder | null },
    options: { totalCount: boolean } = { totalCount: true },
  ): Promise<Connection<MembershipEntity>> {
    const order = args.orderBy ?? { field: MemberOrderField.JOINED_AT, direction: OrderDirection.ASC };
    const filter = args.filter ?? {};
    const parameters: unknown[] = [organisationId];
    const where = ['m.organisation_id = $1', ...this.filterClauses(filter, parameters)];
    const countFrom = where.some((clause) => /\bu\./.test(clause)) ? FROM : COUNT_FROM;
    const page = await this.paginator.page<Record<string, any>>(args, {
      // A cursor names its list (organisation, ordering, filter): one from another list is refused, not misapplied.
      scope: JSON.stringify(['members', organisationId, order.field, order.direction, filter.search ?? null, filter.status ?? null, filter.roleId ?? null, filter.teamId ?? null]),
      select: `${MEMBERSHIP_COLUMNS}, ${USER_COLUMNS_PREFIXED}, ${DIRECT_ROLES_JSON} AS direct_roles_json, ${TEAM_PLACES_JSON} AS team_places_json`,
      from: FROM,
      where,
      parameters,
      key: [SORT_KEYS[order.field], { sql: 'm.id', kind: 'uuid' }],
      descending: order.direction === OrderDirection.DESC,
      countInStatement: options.totalCount,
      countFrom,
    });
    // Not selected: never resolved. Selected: the page's statement counted, unless the page came back empty.
    const totalCount = !options.totalCount ? 0 : (page.windowTotal ?? (page.rows.length > 0 ? 0 : await countWhere(this.dataSource, countFrom, where, parameters)));
    const { userById, rolesByMembershipId, teamPlacesByMembershipId, teamById } = ctx.loaders;
    const nodes = page.rows.map((row) => {
      const user = userFromPrefixedRow(row);
      userById.prime(user.id, user);
      rolesByMembershipId.prime(row.id, directRolesFromJson(row.direct_roles_json));
      const places = teamPlacesFromJson(row.team_places_json);
      for (const { team } of places) teamById.prime(team.id, team);
      teamPlacesByMembershipId.prime(row.id, places.map(({ place }) => place));
      return membershipFromRow(row);
    });
    return page.connection(nodes, totalCount);
  }

  private filterClauses(filter: MemberFilter, parameters: unknown[]): string[] {
    const clauses: string[] = [];
    if (filter.status) {
      if (!Object.values(MembershipStatus).includes(filter.status)) throw badInput('Unknown status', { field: 'status' });
      parameters.push(filter.status);
      clauses.push(`m.status = $${parameters.length}`);
    }
    const search = filter.search?.trim().toLowerCase();
    if (search) {
      parameters.push(`%${escapeLike(search)}%`);
      const pattern = `$${parameters.length}`;
      // Three characters or more: trigram first. The matching users come from the trigram indexes once (an
      // InitPlan), then their memberships by (organisation_id, user_id), so the planner never walks the whole
      // organisation in page order hoping for early matches (at 100,000 members that walk took 750 ms).
      // Shorter text has no trigram to look up: it filters the joined rows.
      clauses.push(
        search.length >= 3
          ? `m.user_id = ANY (ARRAY(SELECT s.id FROM users s WHERE lower(s.email) LIKE ${pattern} OR lower(s.display_name) LIKE ${pattern}))`
          : `(lower(u.email) LIKE ${pattern} OR lower(u.display_name) LIKE ${pattern})`,
      );
    }
    if (filter.roleId !== undefined && filter.roleId !== null) {
      if (!isId(filter.roleId)) throw badInput('roleId is not an id', { field: 'roleId' });
      parameters.push(filter.roleId);
      clauses.push(`EXISTS (SELECT 1 FROM membership_roles mr WHERE mr.membership_id = m.id AND mr.role_id = $${parameters.length} AND ${liveGrant('mr')})`);
    }
    if (filter.teamId !== undefined && filter.teamId !== null) {
      if (!isId(filter.teamId)) throw badInput('teamId is not an id', { field: 'teamId' });
      parameters.push(filter.teamId);
      clauses.push(`EXISTS (SELECT 1 FROM team_members tm WHERE tm.membership_id = m.id AND tm.team_id = $${parameters.length} AND ${liveGrant('tm')})`);
    }
    return clauses;
  }
}
