import type { ReviewCampaignStatus, ReviewDecision, ReviewItemKind, ReviewItemOutcome, ReviewScopeKind } from './review-campaign.enums';

/** A campaign as services and resolvers pass it around. */
export interface ReviewCampaignView {
  id: string;
  organisationId: string;
  name: string;
  status: ReviewCampaignStatus;
  scopeKind: ReviewScopeKind;
  scopeRoleIds: string[];
  scopeTeamIds: string[];
  dueAt: Date;
  defaultDecision: ReviewDecision;
  /** The campaign's owner (reviewerMembershipId); null once that membership was removed. */
  ownerMembershipId: string | null;
  recurrenceMonths: number | null;
  previousCampaignId: string | null;
  createdByUserId: string | null;
  createdAt: Date;
  closedAt: Date | null;
  closedByUserId: string | null;
  /**
   * Set only by a list filtered to the caller's own review work (a reviewer without access:review):
   * the rules then let them read it.
   */
  viewerReviews?: boolean;
}

/** One snapshotted grant to review. */
export interface ReviewItemView {
  id: string;
  organisationId: string;
  campaignId: string;
  /** The campaign's owner, for the rules (they may decide any item but their own). */
  campaignOwnerMembershipId: string | null;
  position: number;
  kind: ReviewItemKind;
  membershipId: string | null;
  userId: string;
  roleId: string | null;
  teamId: string | null;
  grantName: string;
  effectivePermissions: string[];
  lastSignInAt: Date | null;
  reviewerMembershipId: string | null;
  decision: ReviewDecision | null;
  comment: string | null;
  decidedAt: Date | null;
  decidedByUserId: string | null;
  outcome: ReviewItemOutcome;
  outcomeReason: string | null;
}

export const CAMPAIGN_COLUMNS = `c.id, c.organisation_id, c.name, c.status, c.scope_kind, c.scope_role_ids, c.scope_team_ids, c.due_at,
  c.default_decision, c.owner_membership_id, c.recurrence_months, c.previous_campaign_id, c.created_by_user_id, c.created_at,
  c.closed_at, c.closed_by_user_id`;

export function campaignFromRow(row: Record<string, any>): ReviewCampaignView {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    name: row.name,
    status: row.status,
    scopeKind: row.scope_kind,
    scopeRoleIds: row.scope_role_ids ?? [],
    scopeTeamIds: row.scope_team_ids ?? [],
    dueAt: row.due_at,
    defaultDecision: row.default_decision,
    ownerMembershipId: row.owner_membership_id,
    recurrenceMonths: row.recurrence_months,
    previousCampaignId: row.previous_campaign_id,
    createdByUserId: row.created_by_user_id,
    createdAt: row.created_at,
    closedAt: row.closed_at,
    closedByUserId: row.closed_by_user_id,
  };
}

/** Item columns; the query joins the campaign as `c` (for its owner). */
export const ITEM_COLUMNS = `i.id, i.organisation_id, i.campaign_id, c.owner_membership_id AS campaign_owner_membership_id, i.position, i.kind,
  i.membership_id, i.user_id, i.role_id, i.team_id, i.grant_name, i.effective_permissions, i.last_sign_in_at, i.reviewer_membership_id,
  i.decision, i.comment, i.decided_at, i.decided_by_user_id, i.outcome, i.outcome_reason`;

export function itemFromRow(row: Record<string, any>): ReviewItemView {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    campaignId: row.campaign_id,
    campaignOwnerMembershipId: row.campaign_owner_membership_id,
    position: row.position,
    kind: row.kind,
    membershipId: row.membership_id,
    userId: row.user_id,
    roleId: row.role_id,
    teamId: row.team_id,
    grantName: row.grant_name,
    effectivePermissions: row.effective_permissions ?? [],
    lastSignInAt: row.last_sign_in_at,
    reviewerMembershipId: row.reviewer_membership_id,
    decision: row.decision,
    comment: row.comment,
    decidedAt: row.decided_at,
    decidedByUserId: row.decided_by_user_id,
    outcome: row.outcome,
    outcomeReason: row.outcome_reason,
  };
}
