import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { countWhere, escapeLike } from '../core/database/sql';
import { badInput } from '../core/errors';
import type { Connection, PageArgs } from '../core/graphql/connection';
import type { KeysetPaginator } from '../core/pagination/keyset-paginator';
import { isId } from '../core/ids';
import { USER_COLUMNS_PREFIXED, userFromPrefixedRow } from '../users/user.rows';
import type { AuditEventView } from './audit-event.type';
import { AuditEventType } from './audit-event.type';
import type { AuditFilter } from './audit.inputs';

// The actor comes with the event (primed into the user loader) and whether they are still a member here.
const FROM = `audit_events e
  LEFT JOIN users u ON u.id = e.actor_user_id
  LEFT JOIN memberships am ON am.organisation_id = e.organisation_id AND am.user_id = e.actor_user_id`;

export const EVENT_COLUMNS = 'e.id, e.organisation_id, e.actor_user_id, e.action, e.target_type, e.target_id, e.details, e.request_id, e.occurred_at';

/** Newest first: the order of the log, its pages and its export (index audit_events_organisation_occurred_idx). */
export const AUDIT_KEY = [
  { sql: 'e.occurred_at', kind: 'timestamptz' },
  { sql: 'e.id', kind: 'uuid' },
] as const;

/** The WHERE clauses of an organisation's log under a filter ($1 is the organisation); BAD_USER_INPUT for a bad filter. */
export function auditLogWhere(organisationId: string, filter: AuditFilter): { where: string[]; parameters: unknown[] } {
  const parameters: unknown[] = [organisationId];
  return { where: ['e.organisation_id = $1', ...filterClauses(filter, parameters)], parameters };
}

/** An organisation's audit log: newest first, filtered, keyset-paginated, one statement per page. */
export class AuditLogService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly paginator: KeysetPaginator,
  ) {}

  async list(ctx: RequestContext, organisationId: string, args: PageArgs & { filter?: AuditFilter | null }): Promise<Connection<AuditEventView>> {
    // The field's rule checked this already; a service never lists without it.
    await ctx.requirePermission(organisationId, 'audit:read', 'Organisation');
    const filter = args.filter ?? {};
    const { where, parameters } = auditLogWhere(organisationId, filter);
    const page = await this.paginator.page<Record<string, any>>(args, {
      // A cursor names its list (the organisation's log, this filter): one from another list is refused, not misapplied.
      scope: JSON.stringify(['audit', organisationId, parameters.slice(1)]),
      select: `${EVENT_COLUMNS}, ${USER_COLUMNS_PREFIXED}, am.id IS NOT NULL AS actor_is_member`,
      from: FROM,
      where,
      parameters,
      key: AUDIT_KEY,
      descending: true,
      windowCount: true,
    });
    // count(*) OVER () counts the filtered rows only on a page without a cursor.
    const totalCount = page.hasCursor ? await countWhere(this.dataSource, 'audit_events e', where, parameters) : (page.windowTotal ?? 0);
    const events = page.rows.map((row) => {
      if (row.u_id) {
        const user = userFromPrefixedRow(row);
        ctx.loaders.userById.prime(user.id, user);
      }
      return eventFromRow(row);
    });
    return page.connection(events, totalCount);
  }
}

export function eventFromRow(row: Record<string, any>): AuditEventView {
  return Object.assign(new AuditEventType(), {
    id: row.id,
    organisationId: row.organisation_id,
    actorUserId: row.actor_user_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    details: row.details ?? {},
    requestId: row.request_id ?? null,
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
  if (filter.requestId !== undefined && filter.requestId !== null) add((p) => `e.request_id = ${p}`, filter.requestId);
  const { since, until } = filter;
  // PostgreSQL's timestamps (and ISO strings) end at year 9999 here: a later or earlier instant is refused, not a 500.
  for (const [field, instant] of [['since', since], ['until', until]] as const) {
    if (instant && !(instant.getUTCFullYear() >= 1 && instant.getUTCFullYear() <= 9999)) throw badInput(`"${field}" must be between years 1 and 9999`, { field });
  }
  if (since && until && since.getTime() > until.getTime()) throw badInput('"since" must not be after "until"', { field: 'since' });
  if (since) add((p) => `e.occurred_at >= ${p}::timestamptz`, since.toISOString());
  if (until) add((p) => `e.occurred_at < ${p}::timestamptz`, until.toISOString());
  return clauses;
}
