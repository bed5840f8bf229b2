import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Verified domains. A domain an organisation claims is PENDING until proven by a DNS TXT record or a
 * platform administrator; a partial unique index lets only one organisation hold a domain VERIFIED.
 *
 * Existing autoJoinDomains were never proven (any org:update holder could claim gmail.com or a rival's
 * domain). They are not grandfathered: each becomes a PENDING request (with a fresh token, audited) and
 * leaves autoJoinDomains until verified. Grandfathering would keep any capture in place and could not
 * even hold when two organisations listed one domain. Down drops the requests and leaves
 * autoJoinDomains as they are then (verified domains only).
 */
export class OrganisationDomains1764200000000 implements MigrationInterface {
  name = 'OrganisationDomains1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE organisation_domains (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        domain text NOT NULL CHECK (domain = lower(domain) AND length(domain) BETWEEN 3 AND 253 AND domain ~ '^[a-z0-9-]+(\\.[a-z0-9-]+)+$'),
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'VERIFIED')),
        verification_token text NOT NULL CHECK (length(verification_token) >= 32),
        verification_method text CHECK (verification_method IN ('DNS_TXT', 'PLATFORM_ADMIN')),
        verified_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT organisation_domains_organisation_domain_key UNIQUE (organisation_id, domain),
        CONSTRAINT organisation_domains_verified_check CHECK (
          (status = 'VERIFIED') = (verified_at IS NOT NULL) AND (status = 'VERIFIED') = (verification_method IS NOT NULL)
        )
      )`,
      // One organisation per verified domain: sign-in auto-join can never have two candidates.
      `CREATE UNIQUE INDEX organisation_domains_verified_domain_key ON organisation_domains (domain) WHERE status = 'VERIFIED'`,
      // Every organisation's claim of one domain (requestDomain's check, sign-in's join).
      `CREATE INDEX organisation_domains_domain_idx ON organisation_domains (domain)`,
      // Existing auto-join domains: pending requests, out of auto-join until proven.
      `WITH claimed AS (
         INSERT INTO organisation_domains (organisation_id, domain, verification_token)
         SELECT DISTINCT o.id, d.domain, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')
         FROM organisations o CROSS JOIN LATERAL unnest(o.auto_join_domains) AS d(domain)
         WHERE d.domain ~ '^[a-z0-9-]+(\\.[a-z0-9-]+)+$' AND length(d.domain) BETWEEN 3 AND 253
         RETURNING id, organisation_id, domain)
       INSERT INTO audit_events (organisation_id, action, target_type, target_id, details)
       SELECT organisation_id, 'domain.requested', 'OrganisationDomain', id::text,
              jsonb_build_object('domain', domain, 'reason', 'an auto-join domain from before verification was required: out of auto-join until verified')
       FROM claimed`,
      `UPDATE organisations SET auto_join_domains = '{}' WHERE auto_join_domains <> '{}'`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE organisation_domains');
  }
}
