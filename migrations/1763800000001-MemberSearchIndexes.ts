import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Member search (email or display name, prefix and substring, case-insensitive) over large
 * organisations: trigram indexes, plus the sort keys of the members list.
 */
export class MemberSearchIndexes1763800000001 implements MigrationInterface {
  name = 'MemberSearchIndexes1763800000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await queryRunner.query(`CREATE INDEX users_email_trgm_idx ON users USING gin (lower(email) gin_trgm_ops)`);
    await queryRunner.query(`CREATE INDEX users_display_name_trgm_idx ON users USING gin (lower(display_name) gin_trgm_ops)`);
    await queryRunner.query(`CREATE INDEX memberships_organisation_joined_idx ON memberships (organisation_id, joined_at, id)`);
    await queryRunner.query(`CREATE INDEX users_display_name_sort_idx ON users (lower(display_name), id)`);
    await queryRunner.query(`CREATE INDEX users_last_sign_in_idx ON users (last_sign_in_at, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX users_last_sign_in_idx');
    await queryRunner.query('DROP INDEX users_display_name_sort_idx');
    await queryRunner.query('DROP INDEX memberships_organisation_joined_idx');
    await queryRunner.query('DROP INDEX users_display_name_trgm_idx');
    await queryRunner.query('DROP INDEX users_email_trgm_idx');
    // The pg_trgm extension stays: other schemas of the database may use it.
  }
}
