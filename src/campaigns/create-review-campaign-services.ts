import type { DataSource } from 'typeorm';
import type { AccessReviewService } from '../access/access-review.service';
import type { AuditService } from '../audit/audit.service';
import type { KeysetPaginator } from '../core/pagination/keyset-paginator';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import type { RoleAssignmentService } from '../memberships/role-assignment.service';
import type { TeamMembershipService } from '../teams/team-membership.service';
import { ReviewCampaignCloser } from './review-campaign-closer';
import { ReviewCampaignService } from './review-campaign.service';
import { ReviewDecisionService } from './review-decision.service';
import { ReviewItemSnapshotter } from './review-item-snapshot';

/** What the review-campaign services are built from: the process's other services. */
export interface ReviewCampaignDependencies {
  config: { REVIEW_CAMPAIGN_MAX_ITEMS: number };
  dataSource: DataSource;
  catalogue: PermissionCatalogue;
  audit: AuditService;
  accessReview: AccessReviewService;
  roleAssignment: RoleAssignmentService;
  teamMembers: TeamMembershipService;
}

/** The access-review campaign services (revokes go through `roleAssignment` and `teamMembers`). */
export function createReviewCampaignServices(dependencies: ReviewCampaignDependencies, paginator: KeysetPaginator) {
  const { config, dataSource, catalogue, audit, accessReview, roleAssignment, teamMembers } = dependencies;
  const snapshotter = new ReviewItemSnapshotter(audit, catalogue, accessReview, config.REVIEW_CAMPAIGN_MAX_ITEMS);
  const reviewCampaignCloser = new ReviewCampaignCloser(audit, snapshotter, { catalogue, roleAssignment, teamMembers });
  return {
    reviewCampaignCloser,
    reviewCampaigns: new ReviewCampaignService(dataSource, paginator, snapshotter, reviewCampaignCloser),
    reviewDecisions: new ReviewDecisionService(dataSource, audit, roleAssignment, teamMembers),
  };
}
