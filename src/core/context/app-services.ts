import type { DataSource } from 'typeorm';
import { AccessExplanationService } from '../../access/access-explanation.service';
import { AccessReviewService } from '../../access/access-review.service';
import { RoleChangePreviewService } from '../../access/role-change-preview.service';
import { AuditLogService } from '../../audit/audit-log.service';
import { AuditService } from '../../audit/audit.service';
import { OrganisationDomainService } from '../../domains/organisation-domain.service';
import { TxtRecordResolver } from '../../domains/txt-record-resolver';
import { InvitationAcceptanceService } from '../../invitations/invitation-acceptance.service';
import { InvitationDirectoryService } from '../../invitations/invitation-directory.service';
import { InvitationService } from '../../invitations/invitation.service';
import { MemberDirectoryService } from '../../memberships/member-directory.service';
import { MembershipLifecycleService } from '../../memberships/membership-lifecycle.service';
import { MembershipWriter } from '../../memberships/membership-writer';
import { RoleAssignmentService } from '../../memberships/role-assignment.service';
import { MemberImportService } from '../../memberships/import/member-import.service';
import { RoleService } from '../../roles/role.service';
import { TeamDirectoryService } from '../../teams/team-directory.service';
import { TeamMembershipService } from '../../teams/team-membership.service';
import { TeamService } from '../../teams/team.service';
import { OrganisationService } from '../../organisations/organisation.service';
import { OrganisationLifecycleService } from '../../organisations/organisation-lifecycle.service';
import { OwnerAppointmentService } from '../../memberships/owner-appointment.service';
import { OwnershipTransferService } from '../../memberships/ownership-transfer.service';
import { UserErasureService } from '../../users/user-erasure.service';
import { UserProvisioningService } from '../../users/user-provisioning.service';
import { EventFeedService } from '../../events/event-feed.service';
import { webhookSecretSealer, webhookUrlPolicy } from '../../webhooks/create-webhook-worker';
import { WebhookDeliveryService } from '../../webhooks/webhook-delivery.service';
import { WebhookEndpointService } from '../../webhooks/webhook-endpoint.service';
import { createReviewCampaignServices } from '../../campaigns/create-review-campaign-services';
import { ElevationService } from '../../elevation/elevation.service';
import type { AppConfig } from '../config';
import { CursorCodec } from '../pagination/cursor-codec';
import { KeysetPaginator } from '../pagination/keyset-paginator';
import type { PermissionCatalogue } from '../permissions/permission-catalogue';

/** The long-lived services of one process, built once at start. */
export function createAppServices(config: AppConfig, dataSource: DataSource, catalogue: PermissionCatalogue) {
  const audit = new AuditService();
  const membershipWriter = new MembershipWriter(audit);
  const cursors = new CursorCodec(dataSource);
  cursors.preload();
  const paginator = new KeysetPaginator(dataSource, cursors);
  const domains = new OrganisationDomainService(dataSource, audit, new TxtRecordResolver({ servers: config.DNS_SERVERS, timeoutMs: config.DNS_TIMEOUT_MS, tries: config.DNS_TRIES }));
  const organisations = new OrganisationService(dataSource, audit, membershipWriter, catalogue, paginator, domains);
  const roleAssignment = new RoleAssignmentService(dataSource, audit, catalogue);
  const services = {
    config,
    dataSource,
    catalogue,
    cursors,
    paginator,
    audit,
    membershipWriter,
    organisations,
    organisationLifecycle: new OrganisationLifecycleService(dataSource, audit, { purgeDays: config.ORGANISATION_PURGE_DAYS }),
    ownerAppointments: new OwnerAppointmentService(dataSource, audit, organisations, membershipWriter),
    ownershipTransfer: new OwnershipTransferService(dataSource, audit),
    userErasure: new UserErasureService(dataSource, audit),
    domains,
    roles: new RoleService(dataSource, audit, catalogue),
    memberDirectory: new MemberDirectoryService(dataSource, paginator),
    lifecycle: new MembershipLifecycleService(dataSource, audit),
    roleAssignment,
    elevation: new ElevationService(dataSource, audit, catalogue, paginator, roleAssignment, { pendingHours: config.ELEVATION_REQUEST_PENDING_HOURS }),
    memberImport: new MemberImportService(dataSource, audit, catalogue),
    teamDirectory: new TeamDirectoryService(dataSource, paginator),
    teams: new TeamService(dataSource, audit, catalogue),
    teamMembers: new TeamMembershipService(dataSource, audit, catalogue),
    invitations: new InvitationService(dataSource, audit, catalogue, organisations, { acceptUrlBase: config.INVITATION_ACCEPT_URL_BASE }),
    invitationDirectory: new InvitationDirectoryService(dataSource, paginator),
    invitationAcceptance: new InvitationAcceptanceService(dataSource, audit, membershipWriter),
    auditLog: new AuditLogService(dataSource, paginator),
    accessReview: new AccessReviewService(dataSource, catalogue),
    accessExplanation: new AccessExplanationService(dataSource, catalogue),
    roleChangePreview: new RoleChangePreviewService(dataSource, catalogue),
    eventFeed: new EventFeedService(dataSource),
    webhookEndpoints: new WebhookEndpointService(dataSource, audit, webhookUrlPolicy(config), webhookSecretSealer(config)),
    webhookDeliveries: new WebhookDeliveryService(dataSource, audit, cursors),
    provisioning: new UserProvisioningService(dataSource, audit, membershipWriter, {
      lastSignInIntervalSeconds: config.LAST_SIGN_IN_INTERVAL_SECONDS,
      defaultOrganisationSlug: config.DEFAULT_ORGANISATION,
      mfaAmrValues: config.AUTH_MFA_AMR_VALUES,
    }),
  };
  return { ...services, ...createReviewCampaignServices(services, paginator) };
}

export type AppServices = ReturnType<typeof createAppServices>;
