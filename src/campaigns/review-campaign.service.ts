import type { DataSource } from 'typeorm';
import type { AccessSnapshot } from '../access/access-snapshot';
import type { RequestContext } from '../core/context/request-context';
import { runTransaction } from '../core/database/transaction';
import { countWhere } from '../core/database/sql';
import { badInput, notFound } from '../core/errors';
import type { Connection, PageArgs } from '../core/graphql/connection';
import { isId } from '../core/ids';
import type { KeysetPaginator } from '../core/pagination/keyset-paginator';
import { lockOrganisation } from '../memberships/last-owner-guard';
import type { ReviewCampaignCloser } from './review-campaign-closer';
import { campaignDraft, type CampaignDraft } from './review-campaign-input';
import { ReviewCampaignStatus } from './review-campaign.enums';
import type { CreateReviewCampaignInput } from './review-campaign.inputs';
import type { ReviewProgressCounts } from './review-campaign.loaders';
import { CAMPAIGN_COLUMNS, campaignFromRow, ITEM_COLUMNS, itemFromRow, type ReviewCampaignView, type ReviewItemView } from './review-campaign.rows';
import type { ReviewItemSnapshotter } from './review-item-snapshot';
import { mutationPermissions } from '../core/authz/mutation-permissions';

/**
 * Access-review campaigns: create (snapshotting the items), list, page through items, close. Deciding
 * items is {@link ReviewDecisionService}'s; the due date is {@link ReviewCampaignSweeper}'s.
 */
export class ReviewCampaignService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly paginator: KeysetPaginator,
    private readonly snapshotter: ReviewItemSnapshotter,
    private readonly closer: ReviewCampaignCloser,
  ) {}

  /** access:review in the organisation; the items are snapshotted in the same transaction. */
  async create(ctx: RequestContext, input: CreateReviewCampaignInput): Promise<ReviewCampaignView> {
    const snapshot = (await mutationPermissions.createReviewCampaign.authorize(ctx, { input })).snapshot as AccessSnapshot;
    const draft = campaignDraft(input);
    await this.assertScopeIds(draft);
    const ownerMembershipId = await this.campaignOwner(ctx, draft.organisationId, snapshot, input.reviewerMembershipId);
    const campaign = await runTransaction(this.dataSource, async (manager) => {
      // Grants change under this lock only: the snapshot is of one moment.
      await lockOrganisation(manager, draft.organisationId);
      const [row] = await manager.query(
        `INSERT INTO review_campaigns (organisation_id, name, scope_kind, scope_role_ids, scope_team_ids, due_at, default_decision, owner_membership_id, recurrence_months, created_by_user_id)
         VALUES ($1, $2, $3, $4::uuid[], $5::uuid[], $6, $7, $8, $9, $10) RETURNING *`,
        [draft.organisationId, draft.name, draft.scopeKind, draft.roleIds, draft.teamIds, draft.dueAt, draft.defaultDecision, ownerMembershipId, draft.recurrenceMonths, ctx.userId],
      );
      const created = campaignFromRow(row);
      await this.snapshotter.recordCreated(manager, ctx, created, await this.snapshotter.snapshot(manager, created));
      return created;
    });
    ctx.loaders.reviewCampaignById.prime(campaign.id, campaign);
    return campaign;
  }

  /** Closes it now (access:review): the default applies to undecided items; a recurring one recurs. Idempotent. */
  async close(ctx: RequestContext, id: string): Promise<ReviewCampaignView> {
    const { object: campaign } = await mutationPermissions.closeReviewCampaign.authorize(ctx, { id });
    const closed = await runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, campaign.organisationId);
      const [row] = await manager.query(`SELECT * FROM review_campaigns WHERE id = $1 FOR UPDATE`, [campaign.id]);
      if (!row) throw notFound('ReviewCampaign');
      const current = campaignFromRow(row);
      return current.status === ReviewCampaignStatus.CLOSED ? current : this.closer.close(manager, ctx, current, 'closed');
    });
    // Revokes may have changed anyone's access, the caller's included.
    ctx.invalidateAccess();
    ctx.loaders.reviewCampaignById.clear(id).prime(id, closed);
    ctx.loaders.reviewProgressByCampaignId.clear(id);
    return closed;
  }

  /**
   * An organisation's campaigns, newest first. With access:review, all of them; any other active member
   * sees those where they review something (as owner, assigned reviewer, or manager of a reviewed team).
   */
  async list(ctx: RequestContext, organisationId: string, args: PageArgs): Promise<Connection<ReviewCampaignView>> {
    const snapshot = await ctx.access(organisationId);
    const everything = snapshot.has('access:review');
    const parameters: unknown[] = [organisationId];
    const where = ['c.organisation_id = $1'];
    if (!everything) {
      parameters.push(snapshot.membershipId, snapshot.teamsWith('teams:manage-members'));
      where.push(`(c.owner_membership_id = $2 OR EXISTS (SELECT 1 FROM review_items i WHERE i.campaign_id = c.id
        AND (i.reviewer_membership_id = $2 OR i.team_id = ANY($3::uuid[]))))`);
    }
    const page = await this.paginator.page<Record<string, any>>(args, {
      scope: JSON.stringify(['review-campaigns', organisationId, everything ? null : snapshot.membershipId]),
      select: CAMPAIGN_COLUMNS,
      from: 'review_campaigns c',
      where,
      parameters,
      key: [
        { sql: 'c.created_at', kind: 'timestamptz' },
        { sql: 'c.id', kind: 'uuid' },
      ],
      descending: true,
      windowCount: true,
    });
    const totalCount = page.windowTotal ?? (await countWhere(this.dataSource, 'review_campaigns c', where, parameters));
    const campaigns = page.rows.map((row) => ({ ...campaignFromRow(row), viewerReviews: !everything }));
    return page.connection(campaigns, totalCount);
  }

  /** A campaign's items in order; `decided` filters. Without access:review, the caller's own review work only. */
  async items(ctx: RequestContext, campaign: ReviewCampaignView, args: PageArgs & { decided?: boolean | null }): Promise<Connection<ReviewItemView>> {
    const snapshot = await ctx.access(campaign.organisationId);
    const everything = snapshot.has('access:review');
    const parameters: unknown[] = [campaign.id];
    const where = ['i.campaign_id = $1'];
    if (args.decided === true || args.decided === false) where.push(`i.decision IS ${args.decided ? 'NOT ' : ''}NULL`);
    if (!everything) {
      parameters.push(snapshot.membershipId, snapshot.teamsWith('teams:manage-members'));
      where.push('(c.owner_membership_id = $2 OR i.reviewer_membership_id = $2 OR i.team_id = ANY($3::uuid[]))');
    }
    const from = 'review_items i JOIN review_campaigns c ON c.id = i.campaign_id';
    const page = await this.paginator.page<Record<string, any>>(args, {
      scope: JSON.stringify(['review-items', campaign.id, args.decided ?? null, everything ? null : snapshot.membershipId]),
      select: ITEM_COLUMNS,
      from,
      where,
      parameters,
      key: [{ sql: 'i.position', kind: 'int' }],
      windowCount: true,
    });
    const totalCount = page.windowTotal ?? (everything ? this.filteredTotal(await this.progress(ctx, campaign), args.decided) : await countWhere(this.dataSource, from, where, parameters));
    return page.connection(page.rows.map(itemFromRow), totalCount);
  }

  progress(ctx: RequestContext, campaign: ReviewCampaignView): Promise<ReviewProgressCounts> {
    return ctx.loaders.reviewProgressByCampaignId.load(campaign.id);
  }

  /** A campaign by id for a caller holding access:review in its organisation (federation), else null. */
  async findVisible(ctx: RequestContext, id: string): Promise<ReviewCampaignView | null> {
    if (!ctx.principal || !isId(id)) return null;
    const campaign = await ctx.loaders.reviewCampaignById.load(id);
    if (!campaign) return null;
    return (await ctx.access(campaign.organisationId)).has('access:review') ? campaign : null;
  }

  private filteredTotal(progress: ReviewProgressCounts, decided: boolean | null | undefined): number {
    if (decided === true) return progress.decided;
    return decided === false ? progress.total - progress.decided : progress.total;
  }

  /** Every role and team id of the scope names one of the organisation's (one statement for both). */
  private async assertScopeIds(draft: CampaignDraft): Promise<void> {
    if (draft.roleIds.length === 0 && draft.teamIds.length === 0) return;
    const [known]: { roles: string[]; teams: string[] }[] = await this.dataSource.query(
      `SELECT ARRAY(SELECT id::text FROM roles WHERE organisation_id = $1 AND id = ANY($2::uuid[])) AS roles,
              ARRAY(SELECT id::text FROM teams WHERE organisation_id = $1 AND id = ANY($3::uuid[])) AS teams`,
      [draft.organisationId, draft.roleIds.filter(isId), draft.teamIds.filter(isId)],
    );
    const unknownRoles = draft.roleIds.filter((id) => !known.roles.includes(id.toLowerCase()));
    if (unknownRoles.length > 0) throw badInput(`Unknown roles: ${unknownRoles.join(', ')}`, { field: 'scope.roleIds', unknown: unknownRoles });
    const unknownTeams = draft.teamIds.filter((id) => !known.teams.includes(id.toLowerCase()));
    if (unknownTeams.length > 0) throw badInput(`Unknown teams: ${unknownTeams.join(', ')}`, { field: 'scope.teamIds', unknown: unknownTeams });
  }

  /** The campaign's owner: an ACTIVE member of the organisation holding access:review (the caller, by default). */
  private async campaignOwner(ctx: RequestContext, organisationId: string, caller: AccessSnapshot, membershipId: string | null | undefined): Promise<string> {
    if (membershipId === undefined || membershipId === null || membershipId === caller.membershipId) return caller.membershipId as string;
    const owner = isId(membershipId) ? await ctx.membershipAccess(membershipId) : null;
    if (!owner || owner.organisationId !== organisationId) throw badInput('Unknown membership', { field: 'reviewerMembershipId' });
    // Only an ACTIVE member holds any permission.
    if (!owner.has('access:review')) throw badInput("The campaign's reviewer must be an active member holding access:review", { field: 'reviewerMembershipId' });
    return membershipId;
  }
}
