import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Domain events (a transactional outbox): written in the transaction of the change they describe,
 * numbered per organisation without gaps, read as a feed and delivered to webhooks.
 */
export class DomainEvents1764300000000 implements MigrationInterface {
  name = 'DomainEvents1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      // One counter per stream: an organisation's id, or the nil uuid for platform-level (user) events.
      `CREATE TABLE event_sequences (
        stream uuid PRIMARY KEY,
        last_sequence bigint NOT NULL CHECK (last_sequence > 0)
      )`,
      `CREATE TABLE events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- null: platform-level (users). No foreign key: the event writer holds its counter lock when it
        -- inserts, and a key check on organisations (KEY SHARE) could then wait for a transaction that holds
        -- the organisation's row lock and waits for the same counter: a deadlock.
        organisation_id uuid,
        sequence bigint NOT NULL CHECK (sequence > 0),
        type text NOT NULL CHECK (type ~ '^[a-z_]+\\.[a-z_]+$'),
        subject text NOT NULL,
        data jsonb NOT NULL,
        time timestamptz NOT NULL DEFAULT now(),
        -- The platform feed's order: a transaction's id, readable once no older transaction is running.
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        position bigint GENERATED ALWAYS AS IDENTITY,
        -- Also the organisation feed's index (organisation, sequence > cursor).
        CONSTRAINT events_organisation_sequence_key UNIQUE NULLS NOT DISTINCT (organisation_id, sequence)
      )`,
      `CREATE INDEX events_platform_feed_idx ON events (transaction_id, position)`,
      `CREATE INDEX events_time_idx ON events (time)`,
      // invitation.expired is published once per expiry: the sweeper records which expiry it announced
      // (a resend sets a new expires_at, which is announced again when it passes).
      `ALTER TABLE invitations ADD COLUMN expiry_announced_for timestamptz`,
      `CREATE INDEX invitations_pending_expiry_idx ON invitations (expires_at) WHERE status = 'PENDING'`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX invitations_pending_expiry_idx');
    await queryRunner.query('ALTER TABLE invitations DROP COLUMN expiry_announced_for');
    await queryRunner.query('DROP TABLE events');
    await queryRunner.query('DROP TABLE event_sequences');
  }
}
