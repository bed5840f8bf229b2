import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Access-review campaigns (recertification): a campaign per review, and the items it snapshotted at its
 * creation (member × direct role, or member × team place). Items outlive what they name: a membership,
 * role or team deleted later leaves the item with a null reference (ON DELETE SET NULL of that column
 * only, PostgreSQL ≥ 15) and the names it was created with.
 */
export class ReviewCampaigns1765000000000 implements MigrationInterface {
  name = 'ReviewCampaigns1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE review_campaigns (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
        scope_kind text NOT NULL CHECK (scope_kind IN ('ALL', 'PRIVILEGED', 'ROLES', 'TEAMS')),
        -- Kept as chosen (a role or team deleted later simply matches nothing when the campaign recurs).
        scope_role_ids uuid[] NOT NULL DEFAULT '{}',
        scope_team_ids uuid[] NOT NULL DEFAULT '{}',
        due_at timestamptz NOT NULL,
        default_decision text NOT NULL CHECK (default_decision IN ('KEEP', 'REVOKE')),
        -- The campaign's owner (reviewerMembershipId): reviews everything no team manager reviews.
        owner_membership_id uuid,
        recurrence_months integer CHECK (recurrence_months BETWEEN 1 AND 24),
        -- The campaign this one recurs from: unique, so a campaign is followed at most once.
        previous_campaign_id uuid,
        created_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz,
        closed_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
        -- The organisation in every key (sharding-ready: test/sharding-ready.test.ts).
        PRIMARY KEY (id, organisation_id),
        UNIQUE (previous_campaign_id, organisation_id),
        FOREIGN KEY (previous_campaign_id, organisation_id) REFERENCES review_campaigns (id, organisation_id) ON DELETE SET NULL (previous_campaign_id),
        FOREIGN KEY (owner_membership_id, organisation_id) REFERENCES memberships (id, organisation_id) ON DELETE SET NULL (owner_membership_id),
        CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL))
      )`,
      `CREATE INDEX review_campaigns_list_idx ON review_campaigns (organisation_id, created_at, id)`,
      `CREATE INDEX review_campaigns_owner_idx ON review_campaigns (organisation_id, owner_membership_id)`,
      // The sweeper's question: open campaigns past their due date.
      `CREATE INDEX review_campaigns_due_idx ON review_campaigns (due_at) WHERE status = 'OPEN'`,
      `CREATE TABLE review_items (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        campaign_id uuid NOT NULL,
        -- Order of the items in the campaign (member name, then the grant), fixed at the snapshot.
        position integer NOT NULL,
        kind text NOT NULL CHECK (kind IN ('ROLE', 'TEAM_PLACE')),
        membership_id uuid,
        user_id uuid NOT NULL REFERENCES users (id),
        role_id uuid,
        team_id uuid,
        -- The role's or team's name at the snapshot (the report still names a deleted one).
        grant_name text NOT NULL,
        effective_permissions text[] NOT NULL DEFAULT '{}',
        last_sign_in_at timestamptz,
        reviewer_membership_id uuid,
        decision text CHECK (decision IN ('KEEP', 'REVOKE')),
        comment text CHECK (length(comment) <= 1000),
        decided_at timestamptz,
        decided_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
        outcome text NOT NULL DEFAULT 'PENDING' CHECK (outcome IN ('PENDING', 'KEPT', 'REVOKED', 'ALREADY_REMOVED', 'REVOKE_REFUSED')),
        outcome_reason text,
        FOREIGN KEY (campaign_id, organisation_id) REFERENCES review_campaigns (id, organisation_id) ON DELETE CASCADE,
        FOREIGN KEY (membership_id, organisation_id) REFERENCES memberships (id, organisation_id) ON DELETE SET NULL (membership_id),
        FOREIGN KEY (role_id, organisation_id) REFERENCES roles (id, organisation_id) ON DELETE SET NULL (role_id),
        FOREIGN KEY (team_id, organisation_id) REFERENCES teams (id, organisation_id) ON DELETE SET NULL (team_id),
        FOREIGN KEY (reviewer_membership_id, organisation_id) REFERENCES memberships (id, organisation_id) ON DELETE SET NULL (reviewer_membership_id),
        CHECK ((decision IS NULL) = (decided_at IS NULL)),
        PRIMARY KEY (id, organisation_id)
      )`,
      // A campaign's items in order (ReviewItem pages, the CSV report, progress).
      `CREATE UNIQUE INDEX review_items_position_idx ON review_items (campaign_id, organisation_id, position)`,
      // Reviewers' own items, and the foreign keys' ON DELETE actions (no sequential scan per deleted row).
      `CREATE INDEX review_items_reviewer_idx ON review_items (organisation_id, reviewer_membership_id)`,
      `CREATE INDEX review_items_membership_idx ON review_items (organisation_id, membership_id)`,
      `CREATE INDEX review_items_role_idx ON review_items (organisation_id, role_id)`,
      `CREATE INDEX review_items_team_idx ON review_items (organisation_id, team_id)`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE review_items');
    await queryRunner.query('DROP TABLE review_campaigns');
  }
}
