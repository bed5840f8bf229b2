import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organisation lifecycle (suspend, soft delete, purge after a grace period) and user erasure:
 * `organisations.status` with the times of its changes, `users.erased_at`.
 */
export class OrganisationLifecycle1765300000000 implements MigrationInterface {
  name = 'OrganisationLifecycle1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `ALTER TABLE organisations
        ADD COLUMN status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED', 'DELETED', 'PURGED')),
        ADD COLUMN suspended_at timestamptz,
        ADD COLUMN deleted_at timestamptz,
        ADD COLUMN purged_at timestamptz,
        ADD CONSTRAINT organisations_deleted_at_check CHECK ((status IN ('DELETED', 'PURGED')) = (deleted_at IS NOT NULL)),
        ADD CONSTRAINT organisations_suspended_at_check CHECK ((status = 'SUSPENDED') = (suspended_at IS NOT NULL)),
        ADD CONSTRAINT organisations_purged_at_check CHECK ((status = 'PURGED') = (purged_at IS NOT NULL))`,
      // The purge sweeper's scan: deleted organisations, oldest deletion first.
      `CREATE INDEX organisations_deleted_idx ON organisations (deleted_at, id) WHERE status = 'DELETED'`,
      // organisations(search:): substring of the name or the slug, case-insensitive.
      `CREATE INDEX organisations_name_trgm_idx ON organisations USING gin (lower(name) gin_trgm_ops)`,
      `CREATE INDEX organisations_slug_trgm_idx ON organisations USING gin (slug gin_trgm_ops)`,
      `ALTER TABLE users ADD COLUMN erased_at timestamptz`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE users DROP COLUMN erased_at');
    await queryRunner.query('DROP INDEX organisations_slug_trgm_idx');
    await queryRunner.query('DROP INDEX organisations_name_trgm_idx');
    await queryRunner.query('DROP INDEX organisations_deleted_idx');
    await queryRunner.query(
      `ALTER TABLE organisations DROP CONSTRAINT organisations_purged_at_check, DROP CONSTRAINT organisations_suspended_at_check,
        DROP CONSTRAINT organisations_deleted_at_check, DROP COLUMN purged_at, DROP COLUMN deleted_at, DROP COLUMN suspended_at, DROP COLUMN status`,
    );
  }
}
