import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log is append-only in the database itself: UPDATE was refused already; DELETE (row
 * trigger) and TRUNCATE (statement trigger) are refused too. The foreign keys no longer cascade
 * into it: deleting an organisation or a user that has audit events is refused instead of silently
 * rewriting history (organisations are soft-deleted; a person is erased by pseudonymising their
 * users row while audit rows keep only ids: see the README, "Audit log and erasure").
 */
export class AuditLogImmutable1764100000001 implements MigrationInterface {
  name = 'AuditLogImmutable1764100000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE OR REPLACE FUNCTION audit_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit events are immutable (% refused)', TG_OP USING ERRCODE = 'restrict_violation'; END $$`,
      `CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_immutable()`,
      `CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_immutable()`,
      'ALTER TABLE audit_events DROP CONSTRAINT audit_events_organisation_id_fkey',
      'ALTER TABLE audit_events ADD CONSTRAINT audit_events_organisation_id_fkey FOREIGN KEY (organisation_id) REFERENCES organisations (id)',
      'ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_user_id_fkey',
      'ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_user_id_fkey FOREIGN KEY (actor_user_id) REFERENCES users (id)',
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      'ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_user_id_fkey',
      'ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_user_id_fkey FOREIGN KEY (actor_user_id) REFERENCES users (id) ON DELETE SET NULL',
      'ALTER TABLE audit_events DROP CONSTRAINT audit_events_organisation_id_fkey',
      'ALTER TABLE audit_events ADD CONSTRAINT audit_events_organisation_id_fkey FOREIGN KEY (organisation_id) REFERENCES organisations (id) ON DELETE CASCADE',
      'DROP TRIGGER audit_events_no_truncate ON audit_events',
      'DROP TRIGGER audit_events_no_delete ON audit_events',
      `CREATE OR REPLACE FUNCTION audit_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit events are immutable'; END $$`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }
}
