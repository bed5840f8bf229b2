import { MigrationInterface, QueryRunner } from 'typeorm';

// Tenant tables whose primary key was `id` alone; the first four also had a UNIQUE (id, organisation_id)
// that the composite foreign keys referenced, which the new primary key replaces.
const KEYED_PAIRS = ['memberships', 'roles', 'teams', 'invitations'];
const KEYED_ALONE = ['organisation_domains', 'email_outbox'];
// Link tables: their primary key gains the organisation, after the columns lookups start from.
const LINKS: Record<string, string> = {
  membership_roles: 'membership_id, role_id',
  team_members: 'team_id, membership_id',
  team_roles: 'team_id, role_id',
  invitation_roles: 'invitation_id, role_id',
  invitation_teams: 'invitation_id, team_id',
};

interface ForeignKey {
  table: string;
  name: string;
  definition: string;
}

/** Foreign keys pointing at any of `tables` (their definitions, to be added back as they were). */
async function foreignKeysInto(queryRunner: QueryRunner, tables: string[]): Promise<ForeignKey[]> {
  return queryRunner.query(
    `SELECT c.conrelid::regclass::text AS table, c.conname AS name, pg_get_constraintdef(c.oid) AS definition
     FROM pg_constraint c
     WHERE c.contype = 'f' AND c.confrelid = ANY (SELECT to_regclass(name) FROM unnest($1::text[]) AS name)
     ORDER BY c.conname`,
    [tables],
  );
}

async function dropForeignKeys(queryRunner: QueryRunner, keys: ForeignKey[]): Promise<void> {
  for (const key of keys) await queryRunner.query(`ALTER TABLE ${key.table} DROP CONSTRAINT ${key.name}`);
}

async function addForeignKeys(queryRunner: QueryRunner, keys: ForeignKey[]): Promise<void> {
  for (const key of keys) await queryRunner.query(`ALTER TABLE ${key.table} ADD CONSTRAINT ${key.name} ${key.definition}`);
}

/**
 * Sharding-ready keys (README "Scaling out"): every tenant table's primary key and unique constraints
 * include `organisation_id`, and every foreign key between tenant tables carries it, so a distributed
 * PostgreSQL (Citus, distributed by organisation) can enforce each of them on one node.
 *
 * - memberships, roles, teams, invitations: PRIMARY KEY (id, organisation_id), replacing both the
 *   primary key on `id` and the UNIQUE (id, organisation_id) the composite foreign keys pointed at (one
 *   index instead of two). An `id` stays unique in practice: it is a random uuid.
 * - organisation_domains, email_outbox: PRIMARY KEY (id, organisation_id).
 * - link tables (membership_roles, team_members, team_roles, invitation_roles, invitation_teams): their
 *   two-column primary key gains organisation_id as its last column, so lookups keep their index.
 * - email_outbox → invitations carries the organisation: (invitation_id, organisation_id), and a deleted
 *   invitation still only clears `invitation_id` (`SET NULL (invitation_id)`, PostgreSQL 15).
 * - invitations_token_hash_key: UNIQUE (token_hash, organisation_id). Tokens are 32 random bytes, so the
 *   hash never repeats anyway; the index still answers the lookup by hash (its first column).
 *
 * The deliberate exceptions (global names, platform-level rows) are listed and justified in
 * test/sharding-ready.test.ts.
 */
export class ShardingReadyKeys1764800000000 implements MigrationInterface {
  name = 'ShardingReadyKeys1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const inbound = await foreignKeysInto(queryRunner, KEYED_PAIRS);
    await dropForeignKeys(queryRunner, inbound);
    for (const table of KEYED_PAIRS) {
      await queryRunner.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_id_organisation_key, DROP CONSTRAINT ${table}_pkey`);
      await queryRunner.query(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_pkey PRIMARY KEY (id, organisation_id)`);
    }
    for (const table of KEYED_ALONE) {
      await queryRunner.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (id, organisation_id)`);
    }
    for (const [table, columns] of Object.entries(LINKS)) {
      await queryRunner.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (${columns}, organisation_id)`);
    }
    // The old single-column key into invitations is replaced by one that carries the organisation.
    await addForeignKeys(queryRunner, inbound.filter((key) => key.name !== 'email_outbox_invitation_id_fkey'));
    await queryRunner.query(
      `ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_invitation_id_fkey FOREIGN KEY (invitation_id, organisation_id)
         REFERENCES invitations (id, organisation_id) ON DELETE SET NULL (invitation_id)`,
    );
    await queryRunner.query(
      `ALTER TABLE invitations DROP CONSTRAINT invitations_token_hash_key, ADD CONSTRAINT invitations_token_hash_key UNIQUE (token_hash, organisation_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE invitations DROP CONSTRAINT invitations_token_hash_key, ADD CONSTRAINT invitations_token_hash_key UNIQUE (token_hash)`);
    for (const [table, columns] of Object.entries(LINKS)) {
      await queryRunner.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (${columns})`);
    }
    const inbound = await foreignKeysInto(queryRunner, KEYED_PAIRS);
    await dropForeignKeys(queryRunner, inbound);
    for (const table of KEYED_ALONE) {
      await queryRunner.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (id)`);
    }
    for (const table of KEYED_PAIRS) {
      await queryRunner.query(
        `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (id), ADD CONSTRAINT ${table}_id_organisation_key UNIQUE (id, organisation_id)`,
      );
    }
    await addForeignKeys(queryRunner, inbound.filter((key) => key.name !== 'email_outbox_invitation_id_fkey'));
    await queryRunner.query(`ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_invitation_id_fkey FOREIGN KEY (invitation_id) REFERENCES invitations (id) ON DELETE SET NULL`);
  }
}
