import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The email outbox: messages written in the same transaction as the change that causes them (an
 * invitation), delivered later by the outbox worker, which polls the due PENDING rows.
 */
export class EmailOutbox1763800000002 implements MigrationInterface {
  name = 'EmailOutbox1763800000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE email_outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        invitation_id uuid REFERENCES invitations (id) ON DELETE SET NULL,
        to_address text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 320),
        subject text NOT NULL,
        body text NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'FAILED', 'SUPERSEDED')),
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        CONSTRAINT email_outbox_sent_at_check CHECK ((status = 'SENT') = (sent_at IS NOT NULL))
      )`,
      `CREATE INDEX email_outbox_organisation_created_idx ON email_outbox (organisation_id, created_at)`,
      // Resending or cancelling an invitation withdraws its unsent emails (their link no longer works).
      `CREATE INDEX email_outbox_invitation_idx ON email_outbox (invitation_id) WHERE status = 'PENDING'`,
      // The worker's poll: due PENDING rows, oldest due first. Small, since sent and failed rows leave it.
      `CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at, id) WHERE status = 'PENDING'`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE email_outbox');
  }
}
