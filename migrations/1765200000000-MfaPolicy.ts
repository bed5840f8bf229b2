import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * MFA policy per role with a grace period (issue 13). `require_mfa` stays the policy's `requiredForAll`
 * (one source of truth); `mfa_required_role_ids` lists the organisation's roles whose permissions need a
 * second factor (a deleted role is removed from it by the role service); `mfa_grace_until` is the end of
 * the grace period (null: none). `users.mfa_enrolled_at` is when a token of the user first showed a second
 * factor: what `Membership.mfaEnrolmentDue` reads as "has enrolled".
 */
export class MfaPolicy1765200000000 implements MigrationInterface {
  name = 'MfaPolicy1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE organisations
      ADD COLUMN mfa_required_role_ids uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(mfa_required_role_ids) <= 100),
      ADD COLUMN mfa_grace_until timestamptz`);
    await queryRunner.query('ALTER TABLE users ADD COLUMN mfa_enrolled_at timestamptz');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE users DROP COLUMN mfa_enrolled_at');
    await queryRunner.query('ALTER TABLE organisations DROP COLUMN mfa_grace_until, DROP COLUMN mfa_required_role_ids');
  }
}
