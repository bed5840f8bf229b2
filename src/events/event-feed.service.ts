import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { badInput, forbidden } from '../core/errors';
import { pageRequest, toConnection } from '../core/graphql/connection';
import { isId } from '../core/ids';
import { eventFromRow } from './cloud-event';
import { DOMAIN_EVENT_TYPES, isDomainEventType } from './event-types';
import { EVENT_COLUMNS } from './event.queries';
import type { EventPage, EventView } from './event.type';

/** More types than exist is a mistake, not a filter. */
const MAX_TYPES = DOMAIN_EVENT_TYPES.length;
const SEQUENCE_CURSOR = /^(0|[1-9]\d{0,17})$/;
const PLATFORM_CURSOR = /^(\d{1,20})\.(\d{1,19})$/;

export interface FeedArguments {
  after?: string | null;
  first?: number | null;
  types?: string[] | null;
}

/**
 * The pull feeds. An organisation's (events:read): its events in sequence order after a sequence
 * number (the cursor is the sequence itself). The platform's (platform administrators): every
 * organisation's events and the platform-level ones, in commit order.
 */
export class EventFeedService {
  constructor(private readonly dataSource: DataSource) {}

  async organisationFeed(ctx: RequestContext, organisationId: string, args: FeedArguments): Promise<EventPage> {
    const limit = pageRequest({ first: args.first }).size;
    await ctx.requirePermission(organisationId, 'events:read', 'Organisation');
    const types = validTypes(args.types);
    const after = args.after === undefined || args.after === null ? '0' : args.after;
    if (!SEQUENCE_CURSOR.test(after)) throw badInput('"after" must be a sequence number (the cursor of an event)', { argument: 'after' });
    const typeClause = types ? 'AND e.type = ANY($4::text[])' : '';
    const rows: Record<string, any>[] = await this.dataSource.query(
      `SELECT ${EVENT_COLUMNS} FROM events e
       WHERE e.organisation_id = $1 AND e.sequence > $2::bigint ${typeClause}
       ORDER BY e.sequence LIMIT $3`,
      types ? [organisationId, after, limit + 1, types] : [organisationId, after, limit + 1],
    );
    const events = rows.map((row): EventView => ({ ...eventFromRow(row), readVia: 'organisation' }));
    return page(
      events,
      limit,
      (event) => String(event.sequence),
      () => this.count(`e.organisation_id = $1 ${types ? 'AND e.type = ANY($2::text[])' : ''}`, types ? [organisationId, types] : [organisationId]),
      after !== '0',
    );
  }

  /**
   * Every event, for platform administrators. Ordered by the writing transaction's id and, within it,
   * by position; only events of transactions older than every one still running are listed, so an
   * event can never appear behind a cursor already handed out (a transaction that commits late is
   * listed late, never skipped). Cursor: `<transaction>.<position>`.
   */
  async platformFeed(ctx: RequestContext, args: FeedArguments & { organisationId?: string | null }): Promise<EventPage> {
    const principal = ctx.requirePrincipal();
    if (!principal.isPlatformAdmin) throw forbidden('Only platform administrators read the platform feed');
    const limit = pageRequest({ first: args.first }).size;
    const types = validTypes(args.types);
    const cursor = args.after === undefined || args.after === null ? ['0', '0'] : PLATFORM_CURSOR.exec(args.after)?.slice(1);
    if (!cursor) throw badInput('Malformed cursor', { argument: 'after' });
    if (args.organisationId !== undefined && args.organisationId !== null && !isId(args.organisationId)) {
      throw badInput('organisationId is not an id', { argument: 'organisationId' });
    }
    const parameters: unknown[] = [cursor[0], cursor[1], limit + 1];
    const where = ['e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())'];
    if (types) where.push(`e.type = ANY($${parameters.push(types)}::text[])`);
    if (args.organisationId) where.push(`e.organisation_id = $${parameters.push(args.organisationId)}::uuid`);
    const rows: Record<string, any>[] = await this.dataSource.query(
      `SELECT ${EVENT_COLUMNS}, e.transaction_id::text AS transaction_id, e.position::text AS position FROM events e
       WHERE (e.transaction_id, e.position) > ($1::text::xid8, $2::bigint) AND ${where.join(' AND ')}
       ORDER BY e.transaction_id, e.position LIMIT $3`,
      parameters,
    );
    const cursors = new Map<string, string>(rows.map((row) => [row.id, `${row.transaction_id}.${row.position}`]));
    const events = rows.map((row): EventView => ({ ...eventFromRow(row), readVia: 'platform' }));
    const countParameters = parameters.slice(3);
    const countWhere = where.map((clause) => clause.replace(/\$(\d+)/g, (_match, index) => `$${Number(index) - 3}`));
    return page(events, limit, (event) => cursors.get(event.id) as string, () => this.count(countWhere.join(' AND '), countParameters), args.after !== undefined && args.after !== null);
  }

  private async count(where: string, parameters: unknown[]): Promise<number> {
    const [{ count }] = await this.dataSource.query(`SELECT count(*)::int AS count FROM events e WHERE ${where}`, parameters);
    return count;
  }
}

function page(events: EventView[], limit: number, cursorOf: (event: EventView) => string, countTotal: () => Promise<number>, hasPreviousPage: boolean): EventPage {
  const { totalCount: _unused, ...connection } = toConnection(events, limit, 0, cursorOf, hasPreviousPage);
  return { ...connection, countTotal };
}

/** Known event types, or null for every type; anything unknown is BAD_USER_INPUT (a typo would match nothing forever). */
export function validTypes(types: string[] | null | undefined, argument = 'types'): string[] | null {
  if (types === undefined || types === null) return null;
  const unique = [...new Set(types.map((type) => type.trim()))];
  if (unique.length > MAX_TYPES) throw badInput(`At most ${MAX_TYPES} event types`, { argument });
  const unknown = unique.filter((type) => !isDomainEventType(type));
  if (unknown.length > 0) throw badInput(`Unknown event types: ${unknown.join(', ').slice(0, 500)}`, { argument, unknown: unknown.slice(0, 20) });
  return unique.length > 0 ? unique : null;
}
