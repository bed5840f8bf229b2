import type { DataSource } from 'typeorm';
import { AuditService } from '../../audit/audit.service';
import { MembershipWriter } from '../../memberships/membership-writer';
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
    provisioning: new UserProvisioningService(dataSource, audit, membershipWriter, {
      lastSignInIntervalSeconds: config.LAST_SIGN_IN_INTERVAL_SECONDS,
      defaultOrganisationSlug: config.DEFAULT_ORGANISATION,
    }),
  };
}

export type AppServices = ReturnType<typeof createAppServices>;
