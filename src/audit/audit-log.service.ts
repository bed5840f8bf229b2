import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { countWhere, escapeLike } from '../core/database/sql';
import { badInput } from '../core/errors';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '../core/graphql/connection';
import { isId } from '../core/ids';
import { USER_COLUMNS_PREFIXED, userFromPrefixedRow } from '../users/user.rows';
import type { AuditEventView } from './audit-event.type';
import { AuditEventType } from './audit-event.type';
import type { AuditFilter } from './audit.inputs';

// occurred_at to the microsecond, in UTC (a JavaScript Date keeps milliseconds; a rounded cursor would repeat rows).
const PRECISE_OCCURRED_AT = `to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const CURSOR_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

// The actor comes with the event (primed into the user loader) and whether they are still a member here.
const FROM = `audit_events e
  LEFT JOIN users u ON u.id = e.actor_user_id
  LEFT JOIN memberships am ON am.organisation_id = e.organisation_id AND am.user_id = e.actor_user_id`;

/** An organisation's audit log: newest first, filtered, keyset-paginated, one statement per page. */
export class AuditLogService {
  constructor(private readonly dataSource: DataSource) {}

  async list(
    ctx: RequestContext,
    organisationId: string,
    args: { first?: number | null; after?: string | null; filter?: AuditFilter | null },
  ): Promise<Connection<AuditEventView>> {
    const limit = pageSize(args.first);
    // The field's rule checked this already; a service never lists without it.
    await ctx.requirePermission(organisationId, 'audit:read', 'Organisation');
    const parameters: unknown[] = [organisationId];
    const where = ['e.organisation_id = $1', ...filterClauses(args.filter ?? {}, parameters)];
    const filters = where.length;
    // A cursor names its list (the organisation's log): one from another list is refused, not misapplied.
    const scope = `audit:${organisationId}`;
    if (args.after) where.push(afterClause(args.after, scope, parameters));
    parameters.push(limit + 1);
    // count(*) OVER () counts the filtered rows before the cursor cut only when there is no cursor.
    const rows: Record<string, any>[] = await this.dataSource.query(
      `SELECT e.id, e.organisation_id, e.actor_user_id, e.action, e.target_type, e.target_id, e.details, e.occurred_at,
              ${PRECISE_OCCURRED_AT} AS cursor_occurred_at, ${USER_COLUMNS_PREFIXED}, am.id IS NOT NULL AS actor_is_member,
              ${filters === where.length ? 'count(*) OVER ()' : 'NULL'}::int AS total_count
       FROM ${FROM}
       WHERE ${where.join(' AND ')}
       ORDER BY e.occurred_at DESC, e.id DESC
       LIMIT $${parameters.length}`,
      parameters,
    );
    const totalCount = filters === where.length ? (rows[0]?.total_count ?? 0) : await countWhere(this.dataSource, 'audit_events e', where.slice(0, filters), parameters);
    const cursors = new Map<string, string>();
    const events = rows.map((row) => {
      if (row.u_id) {
        const user = userFromPrefixedRow(row);
        ctx.loaders.userById.prime(user.id, user);
      }
      cursors.set(row.id, row.cursor_occurred_at);
      return eventFromRow(row);
    });
    return toConnection(events, limit, totalCount, (event) => encodeCursor([scope, cursors.get(event.id) as string, event.id]));
  }
}

function eventFromRow(row: Record<string, any>): AuditEventView {
  return Object.assign(new AuditEventType(), {
    id: row.id,
    organisationId: row.organisation_id,
    actorUserId: row.actor_user_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    details: row.details ?? {},
    occurredAt: row.occurred_at,
    actorIsMember: row.actor_is_member === true,
  });
}

function filterClauses(filter: AuditFilter, parameters: unknown[]): string[] {
  const clauses: string[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown) => {
    parameters.push(value);
    clauses.push(sql(`$${parameters.length}`));
  };
  if (filter.action !== undefined && filter.action !== null) {
    const action = filter.action.trim();
    if (action === '' || action === '.') throw badInput('"action" must name an action or a prefix ending in "."', { field: 'action' });
    if (action.endsWith('.')) add((p) => `e.action LIKE ${p}`, `${escapeLike(action)}%`);
    else add((p) => `e.action = ${p}`, action);
  }
  if (filter.actorId !== undefined && filter.actorId !== null) {
    if (!isId(filter.actorId)) throw badInput('actorId is not an id', { field: 'actorId' });
    add((p) => `e.actor_user_id = ${p}::uuid`, filter.actorId);
  }
  if (filter.targetType !== undefined && filter.targetType !== null) add((p) => `e.target_type = ${p}`, filter.targetType);
  if (filter.targetId !== undefined && filter.targetId !== null) add((p) => `e.target_id = ${p}`, filter.targetId);
  const { since, until } = filter;
  if (since && until && since.getTime() > until.getTime()) throw badInput('"since" must not be after "until"', { field: 'since' });
  if (since) add((p) => `e.occurred_at >= ${p}::timestamptz`, since.toISOString());
  if (until) add((p) => `e.occurred_at < ${p}::timestamptz`, until.toISOString());
  return clauses;
}

function afterClause(after: string, scope: string, parameters: unknown[]): string {
  const [cursorScope, occurredAt, id] = decodeCursor(after, 3);
  if (cursorScope !== scope) throw badInput('This cursor belongs to another list', { argument: 'after' });
  if (typeof occurredAt !== 'string' || !CURSOR_TIMESTAMP.test(occurredAt) || !isId(id)) throw badInput('Malformed cursor', { argument: 'after' });
  parameters.push(occurredAt, id);
  return `(e.occurred_at, e.id) < ($${parameters.length - 1}::timestamptz, $${parameters.length}::uuid)`;
}
