import type { DataSource } from 'typeorm';
import { createDomainLoaders } from '../../domains/organisation-domain.loaders';
import { createInvitationLoaders } from '../../invitations/invitation.loaders';
import { createMembershipLoaders } from '../../memberships/membership.loaders';
import { createOrganisationLoaders } from '../../organisations/organisation.loaders';
import { createRoleLoaders } from '../../roles/role.loaders';
import { createTeamLoaders } from '../../teams/team.loaders';
import { createUserLoaders } from '../../users/user.loaders';
import { createEventLoaders } from '../../events/event.loaders';
import { createWebhookLoaders } from '../../webhooks/webhook.loaders';
import { createReviewCampaignLoaders } from '../../campaigns/review-campaign.loaders';
import type { PermissionCatalogue } from '../permissions/permission-catalogue';

/** Every per-request DataLoader, from the feature folders. */
export function createLoaders(dataSource: DataSource, _catalogue: PermissionCatalogue) {
  return {
    ...createOrganisationLoaders(dataSource),
    ...createUserLoaders(dataSource),
    ...createMembershipLoaders(dataSource),
    ...createRoleLoaders(dataSource),
    ...createTeamLoaders(dataSource),
    ...createInvitationLoaders(dataSource),
    ...createDomainLoaders(dataSource),
    ...createEventLoaders(dataSource),
    ...createWebhookLoaders(dataSource),
    ...createReviewCampaignLoaders(dataSource),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
