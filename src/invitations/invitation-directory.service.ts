import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { countWhere } from '../core/database/sql';
import type { Connection, PageArgs } from '../core/graphql/connection';
import type { KeysetPaginator } from '../core/pagination/keyset-paginator';
import { isId } from '../core/ids';
import { InvitationStatus } from './invitation-status';
import type { InvitationEntity } from './invitation.entity';
import { INVITATION_COLUMNS, invitationFromRow } from './invitation.rows';

/** The SQL condition for a status as clients see it (EXPIRED is a PENDING row past its expiry). */
const STATUS_CONDITION: Record<InvitationStatus, string> = {
  [InvitationStatus.PENDING]: `i.status = 'PENDING' AND i.expires_at > now()`,
  [InvitationStatus.EXPIRED]: `i.status = 'PENDING' AND i.expires_at <= now()`,
  [InvitationStatus.ACCEPTED]: `i.status = 'ACCEPTED'`,
  [InvitationStatus.CANCELLED]: `i.status = 'CANCELLED'`,
};

/** Reading invitations: one, or an organisation's, newest first, each page in one statement. */
export class InvitationDirectoryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly paginator: KeysetPaginator,
  ) {}

  /** The invitation if the caller holds invitations:read in its organisation, else null. */
  async findVisible(ctx: RequestContext, id: string): Promise<InvitationEntity | null> {
    if (!ctx.principal || !isId(id)) return null;
    const invitation = await ctx.loaders.invitationById.load(id);
    if (!invitation) return null;
    return (await ctx.access(invitation.organisationId)).has('invitations:read') ? invitation : null;
  }

  async list(ctx: RequestContext, organisationId: string, args: PageArgs & { status?: InvitationStatus | null }): Promise<Connection<InvitationEntity>> {
    // The field's rule checked this already; a service never lists without it.
    await ctx.requirePermission(organisationId, 'invitations:read', 'Organisation');
    const where = ['i.organisation_id = $1'];
    if (args.status) where.push(STATUS_CONDITION[args.status]);
    const page = await this.paginator.page<Record<string, any>>(args, {
      scope: JSON.stringify(['invitations', organisationId, args.status ?? null]),
      select: INVITATION_COLUMNS,
      from: 'invitations i',
      where,
      parameters: [organisationId],
      key: [
        { sql: 'i.created_at', kind: 'timestamptz' },
        { sql: 'i.id', kind: 'uuid' },
      ],
      descending: true,
      windowCount: true,
    });
    const totalCount = page.windowTotal ?? (await countWhere(this.dataSource, 'invitations i', where, [organisationId]));
    const invitations = page.rows.map((row) => {
      const invitation = invitationFromRow(row);
      ctx.loaders.invitationById.prime(invitation.id, invitation);
      return invitation;
    });
    return page.connection(invitations, totalCount);
  }
}
