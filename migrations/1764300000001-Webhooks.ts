import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook endpoints (an organisation's, or platform-wide with no organisation) and their deliveries:
 * one row per attempt, queued per endpoint in `position` order (a retry keeps its event's place).
 */
export class Webhooks1764300000001 implements MigrationInterface {
  name = 'Webhooks1764300000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organisation_id uuid REFERENCES organisations (id) ON DELETE CASCADE,
        url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
        event_types text[] NOT NULL DEFAULT '{}',
        description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
        enabled boolean NOT NULL DEFAULT true,
        include_emails boolean NOT NULL DEFAULT false CHECK (NOT include_emails OR organisation_id IS NOT NULL),
        disabled_reason text,
        -- Signing secrets, sealed (see webhook-secret.ts); the previous one signs too until it expires.
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX webhook_endpoints_organisation_idx ON webhook_endpoints (organisation_id, created_at)`,
      `CREATE SEQUENCE webhook_delivery_positions`,
      `CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY,
        position bigint NOT NULL DEFAULT nextval('webhook_delivery_positions'),
        -- No foreign key to the endpoint: rows are queued by the event writer after it took its counter
        -- lock, and a key check on an endpoint being deleted would fail the unrelated change that emitted
        -- the event. Deleting an endpoint deletes its rows; a row queued meanwhile is never claimed (the
        -- worker joins enabled endpoints) and goes with its event at retention.
        endpoint_id uuid NOT NULL,
        event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        -- The endpoint's organisation (null: a platform-wide endpoint), for the rules.
        organisation_id uuid,
        attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
        response_status integer,
        duration_ms integer,
        error text,
        next_attempt_at timestamptz DEFAULT now(),
        first_attempted_at timestamptz,
        attempted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhook_deliveries_pending_check CHECK (status <> 'PENDING' OR next_attempt_at IS NOT NULL)
      )`,
      `ALTER SEQUENCE webhook_delivery_positions OWNED BY webhook_deliveries.position`,
      // Each endpoint's queue: its PENDING rows in order; the worker takes the head of each.
      `CREATE INDEX webhook_deliveries_queue_idx ON webhook_deliveries (endpoint_id, position) WHERE status = 'PENDING'`,
      // An endpoint's attempts, newest first (WebhookEndpoint.deliveries).
      `CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, seq)`,
      `CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id)`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE webhook_deliveries');
    await queryRunner.query('DROP TABLE webhook_endpoints');
  }
}
