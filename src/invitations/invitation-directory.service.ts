import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { countWhere } from '../core/database/sql';
import { badInput } from '../core/errors';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection } from '../core/graphql/connection';
import { isId } from '../core/ids';
import { InvitationStatus } from './invitation-status';
import type { InvitationEntity } from './invitation.entity';
import { INVITATION_COLUMNS, invitationFromRow } from './invitation.rows';

// created_at to the microsecond (a JavaScript Date keeps milliseconds; a rounded cursor would repeat rows).
const PRECISE_CREATED_AT = `to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const CURSOR_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** The SQL condition for a status as clients see it (EXPIRED is a PENDING row past its expiry). */
const STATUS_CONDITION: Record<InvitationStatus, string> = {
  [InvitationStatus.PENDING]: `i.status = 'PENDING' AND i.expires_at > now()`,
  [InvitationStatus.EXPIRED]: `i.status = 'PENDING' AND i.expires_at <= now()`,
  [InvitationStatus.ACCEPTED]: `i.status = 'ACCEPTED'`,
  [InvitationStatus.CANCELLED]: `i.status = 'CANCELLED'`,
};

/** Reading invitations: one, or an organisation's, newest first, each page in one statement. */
export class InvitationDirectoryService {
  constructor(private readonly dataSource: DataSource) {}

  /** The invitation if the caller holds invitations:read in its organisation, else null. */
  async findVisible(ctx: RequestContext, id: string): Promise<InvitationEntity | null> {
    if (!ctx.principal || !isId(id)) return null;
    const invitation = await ctx.loaders.invitationById.load(id);
    if (!invitation) return null;
    return (await ctx.access(invitation.organisationId)).has('invitations:read') ? invitation : null;
  }

  async list(
    ctx: RequestContext,
    organisationId: string,
    args: { first?: number | null; after?: string | null; status?: InvitationStatus | null },
  ): Promise<Connection<InvitationEntity>> {
    const limit = pageSize(args.first);
    // The field's rule checked this already; a service never lists without it.
    await ctx.requirePermission(organisationId, 'invitations:read', 'Organisation');
    const parameters: unknown[] = [organisationId];
    const where = ['i.organisation_id = $1'];
    if (args.status) where.push(STATUS_CONDITION[args.status]);
    const filters = where.length;
    const scope = `invitations:${organisationId}`;
    if (args.after) {
      const [cursorScope, createdAt, id] = decodeCursor(args.after, 3);
      if (cursorScope !== scope || typeof createdAt !== 'string' || !CURSOR_TIMESTAMP.test(createdAt) || !isId(id)) {
        throw badInput('Malformed cursor', { argument: 'after' });
      }
      parameters.push(createdAt, id);
      where.push(`(i.created_at, i.id) < ($${parameters.length - 1}::timestamptz, $${parameters.length}::uuid)`);
    }
    parameters.push(limit + 1);
    const rows: Record<string, any>[] = await this.dataSource.query(
      `SELECT ${INVITATION_COLUMNS}, ${PRECISE_CREATED_AT} AS cursor_created_at,
              ${filters === where.length ? 'count(*) OVER ()' : 'NULL'}::int AS total_count
       FROM invitations i WHERE ${where.join(' AND ')}
       ORDER BY i.created_at DESC, i.id DESC LIMIT $${parameters.length}`,
      parameters,
    );
    const totalCount = rows[0]?.total_count ?? (await countWhere(this.dataSource, 'invitations i', where.slice(0, filters), parameters));
    const cursors = new Map<string, string>();
    const invitations = rows.map((row) => {
      const invitation = invitationFromRow(row);
      cursors.set(invitation.id, row.cursor_created_at);
      ctx.loaders.invitationById.prime(invitation.id, invitation);
      return invitation;
    });
    return toConnection(invitations, limit, totalCount, (invitation) => encodeCursor([scope, cursors.get(invitation.id) as string, invitation.id]));
  }
}
