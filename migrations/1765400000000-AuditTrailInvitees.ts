import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Invitees and the audit trail (issue 12):
 * - `Viewer.invitations` finds the pending invitations of a verified address across organisations: a
 *   partial index on lower(email) of the PENDING rows (the unique one is per organisation).
 * - `auditLog(filter: { requestId })` and `GET /audit/export?requestId=…`: the events of one request in an
 *   organisation, by a partial index (most platform-level writes carry no request id).
 */
export class AuditTrailInvitees1765400000000 implements MigrationInterface {
  name = 'AuditTrailInvitees1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of [
      `CREATE INDEX invitations_pending_invitee_idx ON invitations (lower(email)) WHERE status = 'PENDING'`,
      `CREATE INDEX audit_events_organisation_request_idx ON audit_events (organisation_id, request_id) WHERE request_id IS NOT NULL`,
    ]) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX audit_events_organisation_request_idx');
    await queryRunner.query('DROP INDEX invitations_pending_invitee_idx');
  }
}
