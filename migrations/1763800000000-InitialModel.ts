import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole data model of DESIGN.md §2. Tenant consistency is enforced by the database:
 * every tenant-owned table carries organisation_id, and link tables reference (id, organisation_id)
 * pairs so a row can never join objects of two organisations.
 */
export class InitialModel1763800000000 implements MigrationInterface {
  name = 'InitialModel1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE organisations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
        slug text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 63),
        invitation_expiry_days integer NOT NULL DEFAULT 7 CHECK (invitation_expiry_days BETWEEN 1 AND 30),
        require_mfa boolean NOT NULL DEFAULT false,
        require_approval boolean NOT NULL DEFAULT false,
        allowed_email_domains text[] NOT NULL DEFAULT '{}',
        auto_join_domains text[] NOT NULL DEFAULT '{}',
        permission_boundary text[],
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT organisations_slug_key UNIQUE (slug)
      )`,
      `CREATE INDEX organisations_created_at_idx ON organisations (created_at, id)`,
      `CREATE INDEX organisations_auto_join_domains_idx ON organisations USING gin (auto_join_domains)`,
      `CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        issuer text,
        subject text,
        email text CHECK (email IS NULL OR email = lower(btrim(email))),
        email_verified boolean NOT NULL DEFAULT false,
        display_name text NOT NULL DEFAULT '',
        last_sign_in_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_identity_complete CHECK ((issuer IS NULL) = (subject IS NULL))
      )`,
      `CREATE UNIQUE INDEX users_issuer_subject_key ON users (issuer, subject) WHERE issuer IS NOT NULL`,
      `CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL`,
      `CREATE TABLE memberships (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('PENDING_APPROVAL', 'ACTIVE', 'DEACTIVATED')),
        joined_at timestamptz NOT NULL DEFAULT now(),
        deactivated_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT memberships_user_organisation_key UNIQUE (organisation_id, user_id),
        CONSTRAINT memberships_id_organisation_key UNIQUE (id, organisation_id)
      )`,
      `CREATE INDEX memberships_user_id_idx ON memberships (user_id)`,
      `CREATE INDEX memberships_organisation_status_idx ON memberships (organisation_id, status)`,
      `CREATE TABLE roles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
        description text NOT NULL DEFAULT '',
        built_in_key text CHECK (built_in_key IN ('owner', 'admin', 'manager', 'member', 'viewer')),
        permissions text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT roles_id_organisation_key UNIQUE (id, organisation_id)
      )`,
      `CREATE INDEX roles_organisation_id_idx ON roles (organisation_id)`,
      `CREATE UNIQUE INDEX roles_organisation_name_key ON roles (organisation_id, lower(name))`,
      `CREATE UNIQUE INDEX roles_organisation_built_in_key ON roles (organisation_id, built_in_key) WHERE built_in_key IS NOT NULL`,
      `CREATE TABLE membership_roles (
        membership_id uuid NOT NULL,
        role_id uuid NOT NULL,
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (membership_id, role_id),
        FOREIGN KEY (membership_id, organisation_id) REFERENCES memberships (id, organisation_id) ON DELETE CASCADE,
        FOREIGN KEY (role_id, organisation_id) REFERENCES roles (id, organisation_id) ON DELETE CASCADE
      )`,
      `CREATE INDEX membership_roles_organisation_id_idx ON membership_roles (organisation_id)`,
      `CREATE INDEX membership_roles_role_id_idx ON membership_roles (role_id)`,
      `CREATE TABLE teams (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
        description text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT teams_id_organisation_key UNIQUE (id, organisation_id)
      )`,
      `CREATE INDEX teams_organisation_id_idx ON teams (organisation_id)`,
      `CREATE UNIQUE INDEX teams_organisation_name_key ON teams (organisation_id, lower(name))`,
      `CREATE TABLE team_members (
        team_id uuid NOT NULL,
        membership_id uuid NOT NULL,
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        role text NOT NULL DEFAULT 'MEMBER' CHECK (role IN ('MANAGER', 'MEMBER')),
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (team_id, membership_id),
        FOREIGN KEY (team_id, organisation_id) REFERENCES teams (id, organisation_id) ON DELETE CASCADE,
        FOREIGN KEY (membership_id, organisation_id) REFERENCES memberships (id, organisation_id) ON DELETE CASCADE
      )`,
      `CREATE INDEX team_members_organisation_id_idx ON team_members (organisation_id)`,
      `CREATE INDEX team_members_membership_id_idx ON team_members (membership_id)`,
      `CREATE TABLE team_roles (
        team_id uuid NOT NULL,
        role_id uuid NOT NULL,
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (team_id, role_id),
        FOREIGN KEY (team_id, organisation_id) REFERENCES teams (id, organisation_id) ON DELETE CASCADE,
        FOREIGN KEY (role_id, organisation_id) REFERENCES roles (id, organisation_id) ON DELETE CASCADE
      )`,
      `CREATE INDEX team_roles_organisation_id_idx ON team_roles (organisation_id)`,
      `CREATE INDEX team_roles_role_id_idx ON team_roles (role_id)`,
      `CREATE TABLE invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        email text NOT NULL CHECK (email = lower(btrim(email))),
        token_hash text NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'ACCEPTED', 'CANCELLED')),
        expires_at timestamptz NOT NULL,
        invited_by_id uuid REFERENCES users (id) ON DELETE SET NULL,
        accepted_at timestamptz,
        accepted_by_id uuid REFERENCES users (id) ON DELETE SET NULL,
        cancelled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT invitations_token_hash_key UNIQUE (token_hash),
        CONSTRAINT invitations_id_organisation_key UNIQUE (id, organisation_id)
      )`,
      `CREATE INDEX invitations_organisation_created_idx ON invitations (organisation_id, created_at, id)`,
      `CREATE UNIQUE INDEX invitations_pending_email_key ON invitations (organisation_id, email) WHERE status = 'PENDING'`,
      `CREATE TABLE invitation_roles (
        invitation_id uuid NOT NULL,
        role_id uuid NOT NULL,
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        PRIMARY KEY (invitation_id, role_id),
        FOREIGN KEY (invitation_id, organisation_id) REFERENCES invitations (id, organisation_id) ON DELETE CASCADE,
        FOREIGN KEY (role_id, organisation_id) REFERENCES roles (id, organisation_id) ON DELETE CASCADE
      )`,
      `CREATE INDEX invitation_roles_organisation_id_idx ON invitation_roles (organisation_id)`,
      `CREATE TABLE invitation_teams (
        invitation_id uuid NOT NULL,
        team_id uuid NOT NULL,
        organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
        PRIMARY KEY (invitation_id, team_id),
        FOREIGN KEY (invitation_id, organisation_id) REFERENCES invitations (id, organisation_id) ON DELETE CASCADE,
        FOREIGN KEY (team_id, organisation_id) REFERENCES teams (id, organisation_id) ON DELETE CASCADE
      )`,
      `CREATE INDEX invitation_teams_organisation_id_idx ON invitation_teams (organisation_id)`,
      `CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organisation_id uuid REFERENCES organisations (id) ON DELETE CASCADE,
        actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
        action text NOT NULL,
        target_type text NOT NULL,
        target_id text,
        details jsonb NOT NULL DEFAULT '{}',
        request_id text,
        occurred_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX audit_events_organisation_occurred_idx ON audit_events (organisation_id, occurred_at DESC, id DESC)`,
      `CREATE INDEX audit_events_actor_idx ON audit_events (actor_user_id)`,
      // Audit rows are immutable: the database refuses to edit them (deleting an organisation may still cascade).
      `CREATE FUNCTION audit_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit events are immutable'; END $$`,
      `CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_immutable()`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      'DROP TABLE audit_events',
      'DROP FUNCTION audit_events_immutable()',
      'DROP TABLE invitation_teams',
      'DROP TABLE invitation_roles',
      'DROP TABLE invitations',
      'DROP TABLE team_roles',
      'DROP TABLE team_members',
      'DROP TABLE teams',
      'DROP TABLE membership_roles',
      'DROP TABLE roles',
      'DROP TABLE memberships',
      'DROP TABLE users',
      'DROP TABLE organisations',
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }
}
