import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Time-bound access: a direct role (membership_roles) or a team place (team_members) may carry
 * `expires_at`; the evaluator ignores an expired grant at once, the grant-expiry sweeper deletes it
 * afterwards. An invitation may offer its roles until a date (role_expires_at), carried to acceptance.
 * Elevation requests: a member asks for a role for some hours; an approval becomes a time-bound grant.
 */
export class TimeBoundAccess1765500000000 implements MigrationInterface {
  name = 'TimeBoundAccess1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `ALTER TABLE membership_roles ADD COLUMN expires_at timestamptz`,
      `ALTER TABLE team_members ADD COLUMN expires_at timestamptz`,
      // The sweeper's question (expired grants) and accessReview's (grants expiring soon).
      `CREATE INDEX membership_roles_expires_at_idx ON membership_roles (organisation_id, expires_at) WHERE expires_at IS NOT NULL`,
      `CREATE INDEX team_members_expires_at_idx ON team_members (organisation_id, expires_at) WHERE expires_at IS NOT NULL`,
      `CREATE INDEX membership_roles_expired_idx ON membership_roles (expires_at) WHERE expires_at IS NOT NULL`,
      `CREATE INDEX team_members_expired_idx ON team_members (expires_at) WHERE expires_at IS NOT NULL`,
      `ALTER TABLE invitations ADD COLUMN role_expires_at timestamptz`,
      `ALTER TABLE organisations ADD COLUMN max_elevation_hours integer NOT NULL DEFAULT 8 CHECK (max_elevation_hours BETWEEN 1 AND 720)`,
      `CREATE TABLE elevation_requests (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        requester_membership_id uuid NOT NULL,
        role_id uuid NOT NULL,
        hours integer NOT NULL CHECK (hours BETWEEN 1 AND 720),
        reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
        -- EXPIRED is also answered at read time for a PENDING one past pending_until.
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'APPROVED', 'DENIED', 'CANCELLED', 'EXPIRED')),
        pending_until timestamptz NOT NULL,
        decided_by_membership_id uuid,
        decided_at timestamptz,
        comment text CHECK (length(comment) <= 1000),
        -- APPROVED: when the grant it created ends.
        grant_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (id, organisation_id),
        FOREIGN KEY (requester_membership_id, organisation_id) REFERENCES memberships (id, organisation_id) ON DELETE CASCADE,
        FOREIGN KEY (role_id, organisation_id) REFERENCES roles (id, organisation_id) ON DELETE CASCADE,
        FOREIGN KEY (decided_by_membership_id, organisation_id) REFERENCES memberships (id, organisation_id) ON DELETE SET NULL (decided_by_membership_id),
        CHECK ((status = 'APPROVED') = (grant_expires_at IS NOT NULL))
      )`,
      `CREATE INDEX elevation_requests_list_idx ON elevation_requests (organisation_id, created_at, id)`,
      `CREATE INDEX elevation_requests_requester_idx ON elevation_requests (organisation_id, requester_membership_id, created_at, id)`,
      `CREATE INDEX elevation_requests_role_idx ON elevation_requests (organisation_id, role_id)`,
      `CREATE INDEX elevation_requests_decider_idx ON elevation_requests (organisation_id, decided_by_membership_id)`,
      `CREATE INDEX elevation_requests_pending_idx ON elevation_requests (pending_until) WHERE status = 'PENDING'`,
      // One open request per member and role.
      `CREATE UNIQUE INDEX elevation_requests_one_pending_key ON elevation_requests (organisation_id, requester_membership_id, role_id) WHERE status = 'PENDING'`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE elevation_requests');
    await queryRunner.query('ALTER TABLE organisations DROP COLUMN max_elevation_hours');
    await queryRunner.query('ALTER TABLE invitations DROP COLUMN role_expires_at');
    await queryRunner.query('ALTER TABLE team_members DROP COLUMN expires_at');
    await queryRunner.query('ALTER TABLE membership_roles DROP COLUMN expires_at');
  }
}
