import type { EntityManager } from 'typeorm';
import { membershipSnapshots } from '../access/access-snapshot.loader';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { badInput } from '../core/errors';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { emitEvent } from '../events/event-emitter';
import { CAMPAIGN_MEMBERSHIP_IDS, INSERT_ITEMS, UPDATE_ITEM_PERMISSIONS } from './review-campaign.queries';
import type { ReviewCampaignView } from './review-campaign.rows';

/** What makes a role privileged: accessReview's own criteria, so both name the same members. */
export interface PrivilegedCriteria {
  privilegedBuiltIns: readonly string[];
  privilegedKeys: readonly string[];
}

export interface SnapshotCounts {
  items: number;
  members: number;
}

/**
 * Takes a campaign's snapshot inside its creating transaction, in three statements whatever the
 * organisation's size: the items (set-based INSERT … SELECT), the effective permissions of their members
 * (the evaluator's own SQL and code), and those permissions written back; nothing per row.
 */
export class ReviewItemSnapshotter {
  constructor(
    private readonly audit: AuditService,
    private readonly catalogue: PermissionCatalogue,
    private readonly privileged: PrivilegedCriteria,
    private readonly maxItems: number,
  ) {}

  async snapshot(manager: EntityManager, campaign: ReviewCampaignView): Promise<SnapshotCounts> {
    const [counts]: SnapshotCounts[] = await manager.query(INSERT_ITEMS, [
      campaign.organisationId,
      campaign.id,
      campaign.scopeKind,
      campaign.scopeRoleIds,
      campaign.scopeTeamIds,
      this.privileged.privilegedBuiltIns,
      this.privileged.privilegedKeys,
      campaign.ownerMembershipId,
    ]);
    // Fails closed: a campaign larger than the limit is refused (and rolled back), never cut short.
    if (counts.items > this.maxItems) {
      throw badInput(`The campaign would hold ${counts.items} items; at most ${this.maxItems} (REVIEW_CAMPAIGN_MAX_ITEMS): narrow its scope`, {
        limit: 'REVIEW_CAMPAIGN_MAX_ITEMS',
        maximum: this.maxItems,
        actual: counts.items,
      });
    }
    if (counts.items === 0) return counts;
    const snapshots = await membershipSnapshots(manager, this.catalogue, CAMPAIGN_MEMBERSHIP_IDS, [campaign.id]);
    // Members share few permission sets: one entry per set keeps the parameter small.
    const bySet = new Map<string, { permissions: string[]; membershipIds: string[] }>();
    for (const [membershipId, snapshot] of snapshots) {
      if (snapshot.permissions.size === 0) continue;
      const permissions = [...snapshot.permissions].sort();
      const key = permissions.join(' ');
      const entry = bySet.get(key) ?? { permissions, membershipIds: [] };
      entry.membershipIds.push(membershipId);
      bySet.set(key, entry);
    }
    if (bySet.size > 0) await manager.query(UPDATE_ITEM_PERMISSIONS, [campaign.id, JSON.stringify([...bySet.values()])]);
    return counts;
  }

  /** The audit record and domain event of a new campaign (created by a person, or recurring). */
  async recordCreated(manager: EntityManager, ctx: RequestContext | null, campaign: ReviewCampaignView, counts: SnapshotCounts): Promise<void> {
    const details = {
      campaignId: campaign.id,
      name: campaign.name,
      scope: { kind: campaign.scopeKind, roleIds: campaign.scopeRoleIds, teamIds: campaign.scopeTeamIds },
      dueAt: campaign.dueAt.toISOString(),
      defaultDecision: campaign.defaultDecision,
      reviewerMembershipId: campaign.ownerMembershipId,
      recurrenceMonths: campaign.recurrenceMonths,
      previousCampaignId: campaign.previousCampaignId,
      items: counts.items,
      members: counts.members,
    };
    await this.audit.record(manager, ctx, { organisationId: campaign.organisationId, action: 'review_campaign.created', targetType: 'ReviewCampaign', targetId: campaign.id, details });
    emitEvent(manager, ctx, { organisationId: campaign.organisationId, type: 'review_campaign.created', objectId: campaign.id, data: details });
  }
}
