import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { countWhere, escapeLike } from '../core/database/sql';
import { badInput } from '../core/errors';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '../core/graphql/connection';
import { isId } from '../core/ids';
import { USER_COLUMNS_PREFIXED, userFromPrefixedRow } from '../users/user.rows';
import { MemberOrderField, OrderDirection, type MemberFilter, type MemberOrder } from './membership.inputs';
import { MEMBERSHIP_COLUMNS, membershipFromRow } from './membership.rows';
import type { MembershipEntity } from './membership.entity';
import { MembershipStatus } from './membership-status';

// Sort keys never NULL, so keyset comparisons stay simple; every key is backed by an index.
const SORT_KEYS: Record<MemberOrderField, { sql: string; kind: 'text' | 'time' }> = {
  DISPLAY_NAME: { sql: 'lower(u.display_name)', kind: 'text' },
  EMAIL: { sql: "coalesce(lower(u.email), '')", kind: 'text' },
  JOINED_AT: { sql: 'm.joined_at', kind: 'time' },
  LAST_SIGN_IN_AT: { sql: "coalesce(u.last_sign_in_at, '-infinity'::timestamptz)", kind: 'time' },
};

const POSTGRES_TIMESTAMP = /^(-infinity|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?)$/;

/** The members list of an organisation: filtered, ordered, keyset-paginated, in one statement. */
export class MemberDirectoryService {
  constructor(private readonly dataSource: DataSource) {}

  async list(
    ctx: RequestContext,
    organisationId: string,
    args: { first?: number | null; after?: string | null; filter?: MemberFilter | null; orderBy?: MemberOrder | null },
  ): Promise<Connection<MembershipEntity>> {
    const limit = pageSize(args.first);
    const order = args.orderBy ?? { field: MemberOrderField.JOINED_AT, direction: OrderDirection.ASC };
    const key = SORT_KEYS[order.field];
    const parameters: unknown[] = [organisationId];
    const where = ['m.organisation_id = $1', ...this.filterClauses(args.filter ?? {}, parameters)];
    const filterCount = where.length;
    // A cursor names its list (organisation and ordering): one from another list is refused, not misapplied.
    const scope = `members:${organisationId}:${order.field}:${order.direction}`;
    if (args.after) where.push(this.afterClause(args.after, scope, key, order.direction, parameters));
    const direction = order.direction === OrderDirection.DESC ? 'DESC' : 'ASC';
    parameters.push(limit + 1);
    // count(*) OVER () counts the filtered rows before the cursor cut only when there is no cursor.
    const rows: Record<string, any>[] = await this.dataSource.query(
      // Sort keys travel as PostgreSQL text: timestamps keep their microseconds (a JS Date would not).
      `SELECT ${MEMBERSHIP_COLUMNS}, ${USER_COLUMNS_PREFIXED}, (${key.sql})::text AS sort_key,
              ${filterCount === where.length ? 'count(*) OVER ()' : 'NULL'}::int AS total_count
       FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE ${where.join(' AND ')}
       ORDER BY ${key.sql} ${direction}, m.id ${direction}
       LIMIT $${parameters.length}`,
      parameters,
    );
    const totalCount = rows.length > 0 && rows[0].total_count !== null ? rows[0].total_count : await countWhere(this.dataSource, 'memberships m JOIN users u ON u.id = m.user_id', where.slice(0, filterCount), parameters);
    const nodes = rows.map((row) => {
      const user = userFromPrefixedRow(row);
      ctx.loaders.userById.prime(user.id, user);
      return Object.assign(membershipFromRow(row), { sortKey: row.sort_key as string });
    });
    return toConnection(nodes, limit, totalCount, (node) => encodeCursor([scope, node.sortKey, node.id]));
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
      clauses.push(`(lower(u.email) LIKE $${parameters.length} OR lower(u.display_name) LIKE $${parameters.length})`);
    }
    if (filter.roleId !== undefined && filter.roleId !== null) {
      if (!isId(filter.roleId)) throw badInput('roleId is not an id', { field: 'roleId' });
      parameters.push(filter.roleId);
      clauses.push(`EXISTS (SELECT 1 FROM membership_roles mr WHERE mr.membership_id = m.id AND mr.role_id = $${parameters.length})`);
    }
    if (filter.teamId !== undefined && filter.teamId !== null) {
      if (!isId(filter.teamId)) throw badInput('teamId is not an id', { field: 'teamId' });
      parameters.push(filter.teamId);
      clauses.push(`EXISTS (SELECT 1 FROM team_members tm WHERE tm.membership_id = m.id AND tm.team_id = $${parameters.length})`);
    }
    return clauses;
  }

  private afterClause(after: string, scope: string, key: { sql: string; kind: 'text' | 'time' }, direction: OrderDirection, parameters: unknown[]): string {
    const [cursorScope, value, id] = decodeCursor(after, 3);
    if (cursorScope !== scope) throw badInput('This cursor belongs to another list', { argument: 'after' });
    const validValue = typeof value === 'string' && (key.kind === 'text' || POSTGRES_TIMESTAMP.test(value));
    if (!validValue || !isId(id)) throw badInput('Malformed cursor', { argument: 'after' });
    parameters.push(value, id);
    const cast = key.kind === 'time' ? '::timestamptz' : '';
    return `(${key.sql}, m.id) ${direction === OrderDirection.DESC ? '<' : '>'} ($${parameters.length - 1}${cast}, $${parameters.length}::uuid)`;
  }
}
