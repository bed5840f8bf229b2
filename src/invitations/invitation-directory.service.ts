import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { countWhere } from '../core/database/sql';
import type { Connection, PageArgs } from '../core/graphql/connection';
import type { KeysetPaginator } from '../core/pagination/keyset-paginator';
import { isId } from '../core/ids';
import { effectiveStatus, InvitationStatus } from './invitation-status';
import { hashInvitationToken, isWellFormedToken } from './invitation-token';
import type { InvitationPreviewType } from './invitation.type';
import type { InvitationEntity } from './invitation.entity';
import { INVITATION_COLUMNS, invitationFromRow } from './invitation.rows';
import { isInviteeOf, openInvitationsOfViewer } from './invitee';

/** The SQL condition for a status as clients see it (EXPIRED is a PENDING row past its expiry). */
const STATUS_CONDITION: Record<InvitationStatus, string> = {
  [InvitationStatus.PENDING]: `i.status = 'PENDING' AND i.expires_at > now()`,
  [InvitationStatus.EXPIRED]: `i.status = 'PENDING' AND i.expires_at <= now()`,
  [InvitationStatus.ACCEPTED]: `i.status = 'ACCEPTED'`,
  [InvitationStatus.CANCELLED]: `i.status = 'CANCELLED'`,
};

/** Everything a preview shows, in one statement by the token's hash (unique index invitations_token_hash_key). */
const PREVIEW = `
  SELECT i.status, i.expires_at, o.name AS organisation_name, u.display_name AS inviter_name,
    ARRAY(SELECT r.name FROM invitation_roles l JOIN roles r ON r.id = l.role_id WHERE l.invitation_id = i.id ORDER BY r.name, r.id) AS role_names,
    ARRAY(SELECT t.name FROM invitation_teams l JOIN teams t ON t.id = l.team_id WHERE l.invitation_id = i.id ORDER BY lower(t.name), t.id) AS team_names
  FROM invitations i
  JOIN organisations o ON o.id = i.organisation_id
  LEFT JOIN users u ON u.id = i.invited_by_id
  WHERE i.token_hash = $1 AND o.status = 'ACTIVE'`;

/** Reading invitations: one, or an organisation's, newest first, each page in one statement. */
export class InvitationDirectoryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly paginator: KeysetPaginator,
  ) {}

  /** The invitation if the caller holds invitations:read in its organisation, or is its invitee while it is open; else null. */
  async findVisible(ctx: RequestContext, id: string): Promise<InvitationEntity | null> {
    if (!ctx.principal || !isId(id)) return null;
    const invitation = await ctx.loaders.invitationById.load(id);
    if (!invitation) return null;
    if (await isInviteeOf(ctx, invitation)) return invitation;
    return (await ctx.access(invitation.organisationId)).has('invitations:read') ? invitation : null;
  }

  /** `Viewer.invitations`: pending, unexpired invitations to the caller's verified email, newest first. */
  async ofViewer(ctx: RequestContext): Promise<InvitationEntity[]> {
    ctx.requirePrincipal();
    return openInvitationsOfViewer(ctx);
  }

  /**
   * `invitationPreview(token)`: the token is the secret, so whoever holds it (signed in) sees what it offers,
   * whatever their email and status. A token we could not have issued is null without a lookup; any other
   * is one lookup of its SHA-256 hash by a unique index (the database never sees the token), null when unknown
   * (never issued, or replaced by a resend) or when its organisation is suspended or deleted (it admits nobody). Null, not NOT_FOUND: an accept page shows "no such invitation".
   */
  async preview(ctx: RequestContext, token: string): Promise<InvitationPreviewType | null> {
    ctx.requirePrincipal();
    if (!isWellFormedToken(token)) return null;
    const [row] = await this.dataSource.query(PREVIEW, [hashInvitationToken(token)]);
    if (!row) return null;
    return {
      organisationName: row.organisation_name,
      inviterName: row.inviter_name ?? null,
      roles: (row.role_names as string[]).map((name) => ({ name })),
      teams: (row.team_names as string[]).map((name) => ({ name })),
      expiresAt: row.expires_at,
      status: effectiveStatus({ status: row.status, expiresAt: row.expires_at }),
    };
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
