import { verificationRecordName, verificationRecordValue } from './domain-verification-record';
import type { OrganisationDomainEntity } from './organisation-domain.entity';
import type { OrganisationDomainType } from './organisation-domain.type';

/** What clients see of a domain claim: the token only inside the TXT record to publish. */
export function domainView(row: OrganisationDomainEntity): OrganisationDomainType {
  return {
    organisationId: row.organisationId,
    domain: row.domain,
    status: row.status,
    txtRecordName: verificationRecordName(row.domain),
    txtRecordValue: verificationRecordValue(row.verificationToken),
    verificationMethod: row.verificationMethod,
    verifiedAt: row.verifiedAt,
    createdAt: row.createdAt,
  };
}
