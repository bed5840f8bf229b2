import type { EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { AppError, ErrorCode } from '../core/errors';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { emitEvent } from '../events/event-emitter';
import type { RoleAssignmentService } from '../memberships/role-assignment.service';
import type { TeamMembershipService } from '../teams/team-membership.service';
import { applyDefaultRevocations, type DefaultRevocationCounts } from './review-default-revocations';
import { ReviewCampaignStatus, ReviewDecision } from './review-campaign.enums';
import { INSERT_NEXT_CAMPAIGN, KEEP_UNDECIDED } from './review-campaign.queries';
import { campaignFromRow, type ReviewCampaignView } from './review-campaign.rows';
import type { ReviewItemSnapshotter } from './review-item-snapshot';

/** Why a campaign closed: someone closed it, or its due date passed (the sweeper). */
export type CloseReason = 'closed' | 'due';

/**
 * Closes a campaign inside the caller's transaction, which locked the organisation and then the
 * campaign (OPEN): the default applies to every undecided item, the campaign is CLOSED, and a
 * recurring one is followed by its next campaign (snapshotted now, due N months after this one) at
 * most once (the unique `previous_campaign_id`, and the status checked under the lock).
 */
export class ReviewCampaignCloser {
  constructor(
    private readonly audit: AuditService,
    private readonly snapshotter: ReviewItemSnapshotter,
    private readonly services: { catalogue: PermissionCatalogue; roleAssignment: RoleAssignmentService; teamMembers: TeamMembershipService },
  ) {}

  async close(manager: EntityManager, ctx: RequestContext | null, campaign: ReviewCampaignView, reason: CloseReason): Promise<ReviewCampaignView> {
    let kept = 0;
    let revocations: DefaultRevocationCounts = { revoked: 0, alreadyRemoved: 0, refused: 0, refusedItemIds: [] };
    if (campaign.defaultDecision === ReviewDecision.KEEP) [{ count: kept }] = await manager.query(KEEP_UNDECIDED, [campaign.id]);
    else revocations = await applyDefaultRevocations(manager, ctx, campaign, this.services);
    const [row] = await manager.query(
      // As a CTE: TypeORM answers a bare UPDATE … RETURNING as [rows, count].
      `WITH closed AS (UPDATE review_campaigns SET status = '${ReviewCampaignStatus.CLOSED}', closed_at = now(), closed_by_user_id = $2 WHERE id = $1 RETURNING *)
       SELECT * FROM closed`,
      [campaign.id, ctx?.userId ?? null],
    );
    const closed = campaignFromRow(row);
    const { next, refusal } = await this.recur(manager, ctx, closed);
    const details = {
      campaignId: closed.id,
      reason,
      defaultDecision: closed.defaultDecision,
      keptByDefault: kept,
      revokedByDefault: revocations.revoked,
      alreadyRemoved: revocations.alreadyRemoved,
      refused: revocations.refused,
      refusedItemIds: revocations.refusedItemIds,
      nextCampaignId: next?.id ?? null,
      ...(refusal ? { nextCampaignRefused: refusal } : {}),
    };
    await this.audit.record(manager, ctx, { organisationId: closed.organisationId, action: 'review_campaign.closed', targetType: 'ReviewCampaign', targetId: closed.id, details });
    emitEvent(manager, ctx, { organisationId: closed.organisationId, type: 'review_campaign.closed', objectId: closed.id, data: details });
    return closed;
  }

  /**
   * The next campaign of a recurring one (none when it does not recur, or was followed already). One the
   * organisation outgrew (more items than REVIEW_CAMPAIGN_MAX_ITEMS) is not created, and the close says
   * why: the close itself must not fail, or the sweeper would retry it forever.
   */
  private async recur(manager: EntityManager, ctx: RequestContext | null, closed: ReviewCampaignView): Promise<{ next: ReviewCampaignView | null; refusal?: string }> {
    if (closed.recurrenceMonths === null) return { next: null };
    const [row] = await manager.query(INSERT_NEXT_CAMPAIGN, [closed.id]);
    if (!row) return { next: null };
    const next = campaignFromRow(row);
    try {
      const counts = await this.snapshotter.snapshot(manager, next);
      await this.snapshotter.recordCreated(manager, ctx, next, counts);
      return { next };
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== ErrorCode.BAD_USER_INPUT) throw error;
      // The statements succeeded (the limit is checked on their answer): undo the campaign, items and all.
      await manager.query('DELETE FROM review_campaigns WHERE id = $1', [next.id]);
      return { next: null, refusal: error.message };
    }
  }
}
