import type { TestService } from './test-service';

/**
 * Marks `domain` verified for the organisation, directly in the database (as a platform administrator's
 * approval would), so suites about other things can use it in autoJoinDomains.
 */
export async function verifiedDomain(service: TestService, organisationId: string, domain: string): Promise<void> {
  await service.database.dataSource.query(
    `INSERT INTO organisation_domains (organisation_id, domain, status, verification_token, verification_method, verified_at)
     VALUES ($1, $2, 'VERIFIED', encode(gen_random_uuid()::text::bytea, 'hex'), 'PLATFORM_ADMIN', now())`,
    [organisationId, domain],
  );
}
