import type { DataSource } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { MemberDirectoryService } from '../../memberships/member-directory.service';
import { MembershipLifecycleService } from '../../memberships/membership-lifecycle.service';
import { MembershipWriter } from '../../memberships/membership-writer';
import { RoleAssignmentService } from '../../memberships/role-assignment.service';
import { RoleService } from '../../roles/role.service';
import { TeamDirectoryService } from '../../teams/team-directory.service';
import { OrganisationService } from '../../organisations/organisation.service';
import { UserProvisioningService } from '../../users/user-provisioning.service';
import type { AppConfig } from '../config';
import type { PermissionCatalogue } from '../permissions/permission-catalogue';

/** The long-lived services of one process, built once at start. */
export function createAppServices(config: AppConfig, dataSource: DataSource, catalogue: PermissionCatalogue) {
  const audit = new AuditService();
  const membershipWriter = new MembershipWriter(audit);
  return {
    config,
    dataSource,
    catalogue,
    audit,
    membershipWriter,
    organisations: new OrganisationService(dataSource, audit, membershipWriter, catalogue),
    roles: new RoleService(dataSource, audit, catalogue),
    memberDirectory: new MemberDirectoryService(dataSource),
    lifecycle: new MembershipLifecycleService(dataSource, audit),
    roleAssignment: new RoleAssignmentService(dataSource, audit, catalogue),
    teamDirectory: new TeamDirectoryService(dataSource),
    provisioning: new UserProvisioningService(dataSource, audit, membershipWriter, {
      lastSignInIntervalSeconds: config.LAST_SIGN_IN_INTERVAL_SECONDS,
      defaultOrganisationSlug: config.DEFAULT_ORGANISATION,
    }),
  };
}

export type AppServices = ReturnType<typeof createAppServices>;
