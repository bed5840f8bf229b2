import type { DataSource, EntityManager } from 'typeorm';
import type { AccessSnapshot } from '../access/access-snapshot';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { runTransaction } from '../core/database/transaction';
import { conflict, notFound } from '../core/errors';
import { emitEvent } from '../events/event-emitter';
import { lockOrganisation } from '../memberships/last-owner-guard';
import type { RoleAssignmentService } from '../memberships/role-assignment.service';
import type { TeamMembershipService } from '../teams/team-membership.service';
import { reviewComment } from './review-campaign-input';
import { ReviewCampaignStatus, ReviewDecision, ReviewItemKind, ReviewItemOutcome } from './review-campaign.enums';
import { ITEM_COLUMNS, itemFromRow, type ReviewItemView } from './review-campaign.rows';
import { mutationPermissions } from '../core/authz/mutation-permissions';

/**
 * A reviewer's KEEP or REVOKE on one item. A REVOKE takes effect in the same transaction through the
 * role-assignment or team-membership service, with the decider's own permissions (escalation rules)
 * and the last-Owner rule: a refusal rolls everything back and the item stays undecided.
 */
export class ReviewDecisionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly roleAssignment: RoleAssignmentService,
    private readonly teamMembers: TeamMembershipService,
  ) {}

  async decide(ctx: RequestContext, id: string, decision: ReviewDecision, comment: string | null | undefined): Promise<ReviewItemView> {
    const { object: item, snapshot: known } = await mutationPermissions.decideReviewItem.authorize(ctx, { id });
    const snapshot = known as AccessSnapshot;
    const text = reviewComment(comment);
    const decided = await runTransaction(this.dataSource, async (manager) => {
      // Lock order of every change to grants: the organisation, then the campaign, then the item.
      if (decision === ReviewDecision.REVOKE) await lockOrganisation(manager, item.organisationId);
      const current = await this.lockOpenItem(manager, item);
      const outcome = decision === ReviewDecision.KEEP ? ReviewItemOutcome.KEPT : await this.revoke(manager, ctx, current, snapshot);
      const [row] = await manager.query(
        // As a CTE: TypeORM answers a bare UPDATE … RETURNING as [rows, count].
        `WITH i AS (UPDATE review_items SET decision = $2, comment = $3, decided_at = now(), decided_by_user_id = $4, outcome = $5 WHERE id = $1 RETURNING *)
         SELECT ${ITEM_COLUMNS} FROM i JOIN review_campaigns c ON c.id = i.campaign_id`,
        [current.id, decision, text, ctx.userId, outcome],
      );
      const saved = itemFromRow(row);
      const details = { campaignId: saved.campaignId, itemId: saved.id, membershipId: saved.membershipId, userId: saved.userId, roleId: saved.roleId, teamId: saved.teamId, decision, outcome };
      await this.audit.record(manager, ctx, { organisationId: saved.organisationId, action: 'review_item.decided', targetType: 'ReviewItem', targetId: saved.id, details: { ...details, comment: text } });
      emitEvent(manager, ctx, { organisationId: saved.organisationId, type: 'review_item.decided', objectId: saved.id, data: details });
      return saved;
    });
    if (decision === ReviewDecision.REVOKE) this.forget(ctx, decided);
    ctx.loaders.reviewItemById.clear(id).prime(id, decided);
    ctx.loaders.reviewProgressByCampaignId.clear(decided.campaignId);
    return decided;
  }

  /** The item as it is now, locked, while its campaign is open and not past due; a decided one is CONFLICT. */
  private async lockOpenItem(manager: EntityManager, item: ReviewItemView): Promise<ReviewItemView> {
    const [campaign]: { status: ReviewCampaignStatus; due: boolean }[] = await manager.query(
      'SELECT status, due_at <= now() AS due FROM review_campaigns WHERE id = $1 FOR SHARE',
      [item.campaignId],
    );
    if (!campaign) throw notFound('ReviewItem');
    if (campaign.status === ReviewCampaignStatus.CLOSED) throw conflict('The campaign is closed');
    if (campaign.due) throw conflict('The campaign is past its due date: its default decision applies');
    const [row] = await manager.query(`SELECT ${ITEM_COLUMNS} FROM review_items i JOIN review_campaigns c ON c.id = i.campaign_id WHERE i.id = $1 FOR UPDATE OF i`, [item.id]);
    const current = itemFromRow(row);
    // Two reviewers at once: the second waited for the first's lock and finds it decided.
    if (current.decision !== null) throw conflict('The item was already decided', { decision: current.decision });
    return current;
  }

  /** Takes the grant away through its service, as the decider; answers what became of it. */
  private async revoke(manager: EntityManager, ctx: RequestContext, item: ReviewItemView, authority: AccessSnapshot): Promise<ReviewItemOutcome> {
    const details = { via: 'access-review', campaignId: item.campaignId, reviewItemId: item.id };
    if (item.membershipId === null) return ReviewItemOutcome.ALREADY_REMOVED;
    if (item.kind === ReviewItemKind.ROLE) {
      if (item.roleId === null) return ReviewItemOutcome.ALREADY_REMOVED;
      const removed = await this.roleAssignment.revokeGrants(manager, ctx, item.organisationId, [{ membershipId: item.membershipId, roleId: item.roleId, authority }], details);
      return removed.length > 0 ? ReviewItemOutcome.REVOKED : ReviewItemOutcome.ALREADY_REMOVED;
    }
    if (item.teamId === null) return ReviewItemOutcome.ALREADY_REMOVED;
    const removed = await this.teamMembers.removePlaces(manager, ctx, item.organisationId, [{ teamId: item.teamId, membershipId: item.membershipId, authority }], details);
    return removed.length > 0 ? ReviewItemOutcome.REVOKED : ReviewItemOutcome.ALREADY_REMOVED;
  }

  /** Access, and the loaders that cached the member's roles or places, are stale now. */
  private forget(ctx: RequestContext, item: ReviewItemView): void {
    ctx.invalidateAccess();
    if (item.membershipId) {
      ctx.loaders.rolesByMembershipId.clear(item.membershipId);
      ctx.loaders.teamPlacesByMembershipId.clear(item.membershipId);
    }
    if (item.teamId) ctx.loaders.memberCountByTeamId.clear(item.teamId);
  }
}
