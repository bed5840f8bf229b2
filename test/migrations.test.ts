import { QueryFailedError, type DataSource } from 'typeorm';
import { migrations } from '../src/core/database/migrations';
import { createSuiteDatabase, type SuiteDatabase } from './support/test-database';

/** Everything a migration shapes in the public schema, in a stable order. */
async function snapshot(dataSource: DataSource) {
  const query = (sql: string) => dataSource.query(sql);
  return {
    tables: await query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`),
    columns: await query(`
      SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default, character_maximum_length
      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`),
    constraints: await query(`
      SELECT c.conrelid::regclass::text AS table_name, c.conname, c.contype, pg_get_constraintdef(c.oid) AS definition
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = 'public' ORDER BY 1, 2`),
    indexes: await query(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname`),
    triggers: await query(`
      SELECT c.relname AS table_name, t.tgname, pg_get_triggerdef(t.oid) AS definition
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND NOT t.tgisinternal ORDER BY 1, 2`),
    // Our own functions (extension functions, e.g. pg_trgm's, belong to the extension, not to us).
    functions: await query(`
      SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS arguments, md5(p.prosrc) AS body
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
      ORDER BY 1, 2`),
  };
}

/** The PostgreSQL error a statement fails with (code, constraint, message); fails the test if it succeeds. */
async function refusal(work: Promise<unknown>): Promise<{ code?: string; constraint?: string; message: string }> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(QueryFailedError);
    const driverError = (error as QueryFailedError).driverError as { code?: string; constraint?: string; message: string };
    return { code: driverError.code, constraint: driverError.constraint, message: driverError.message };
  }
  throw new Error('the database accepted a statement it must refuse');
}

describe('migrations', () => {
  let database: SuiteDatabase;
  beforeAll(async () => {
    database = await createSuiteDatabase({ migrated: false });
  });
  afterAll(() => database.drop());

  it('go up, down to nothing and up again, leaving the same schema', async () => {
    const { dataSource } = database;
    expect(await dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)).toEqual([]);

    const applied = await dataSource.runMigrations({ transaction: 'each' });
    expect(applied.map((migration) => migration.name)).toEqual(migrations.map((migration) => migration.name));
    expect(await dataSource.showMigrations()).toBe(false);
    const first = await snapshot(dataSource);
    expect(first.tables.map((row: { table_name: string }) => row.table_name)).toEqual(
      expect.arrayContaining(['organisations', 'users', 'memberships', 'membership_roles', 'roles', 'teams', 'team_members', 'team_roles', 'invitations', 'audit_events']),
    );
    expect(first.triggers.map((row: { tgname: string }) => row.tgname)).toContain('audit_events_no_update');

    for (let index = 0; index < migrations.length; index += 1) await dataSource.undoLastMigration({ transaction: 'each' });
    const emptied = await snapshot(dataSource);
    expect(emptied.tables.map((row: { table_name: string }) => row.table_name)).toEqual(['typeorm_migrations']);
    expect(await dataSource.query('SELECT * FROM typeorm_migrations')).toEqual([]);
    for (const kind of ['columns', 'indexes'] as const) {
      expect(emptied[kind].filter((row: { table_name?: string; tablename?: string }) => (row.table_name ?? row.tablename) !== 'typeorm_migrations')).toEqual([]);
    }
    expect(emptied.constraints.filter((row: { table_name: string }) => row.table_name !== 'typeorm_migrations')).toEqual([]);
    expect(emptied.triggers).toEqual([]);
    expect(emptied.functions).toEqual([]);
    expect(await dataSource.showMigrations()).toBe(true);

    await dataSource.runMigrations({ transaction: 'each' });
    expect(await snapshot(dataSource)).toEqual(first);
  });

  it('every tenant-owned table carries organisation_id: not null, a foreign key to organisations, and indexed', async () => {
    const { dataSource } = database;
    const tables: { table_name: string; is_nullable: string }[] = await dataSource.query(`
      SELECT table_name, is_nullable FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'organisation_id' ORDER BY table_name`);
    expect(tables.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(['memberships', 'membership_roles', 'roles', 'teams', 'team_members', 'team_roles', 'invitations', 'invitation_roles', 'invitation_teams', 'audit_events']),
    );
    // Platform-level rows belong to no organisation: audit events and domain events of users' sign-ins,
    // platform-wide webhook endpoints and their deliveries.
    const platformLevel = ['audit_events', 'events', 'webhook_endpoints', 'webhook_deliveries'];
    // The event writer inserts these after taking its per-organisation counter lock; a key check on
    // organisations or endpoints there could deadlock or fail the change (see the DomainEvents migration).
    const withoutForeignKey = ['events', 'webhook_deliveries'];
    for (const { table_name: table, is_nullable: nullable } of tables) {
      if (!platformLevel.includes(table)) expect([table, nullable]).toEqual([table, 'NO']);
      if (withoutForeignKey.includes(table)) continue;
      const foreignKeys = await dataSource.query(
        `SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f' AND confrelid = 'organisations'::regclass
           AND pg_get_constraintdef(oid) LIKE 'FOREIGN KEY (organisation_id)%'`,
        [table],
      );
      expect([table, foreignKeys.length]).toEqual([table, 1]);
      const leadingIndexes = await dataSource.query(
        `SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = $1::regclass AND a.attname = 'organisation_id'`,
        [table],
      );
      expect([table, leadingIndexes.length > 0]).toEqual([table, true]);
    }
  });
});

describe('database constraints', () => {
  let database: SuiteDatabase;
  let sql: (statement: string, parameters?: unknown[]) => Promise<any[]>;
  beforeAll(async () => {
    database = await createSuiteDatabase();
    sql = (statement, parameters) => database.dataSource.query(statement, parameters);
  });
  afterAll(() => database.drop());

  let counter = 0;
  const next = () => `${Date.now().toString(36)}-${(counter += 1)}`;
  const organisation = async () => (await sql(`INSERT INTO organisations (name, slug) VALUES ('Org', $1) RETURNING id`, [`org-${next()}`]))[0].id as string;
  const user = async (email: string | null = `u-${next()}@example.com`) => (await sql(`INSERT INTO users (email) VALUES ($1) RETURNING id`, [email]))[0].id as string;
  const role = async (organisationId: string) =>
    (await sql(`INSERT INTO roles (organisation_id, name) VALUES ($1, $2) RETURNING id`, [organisationId, `Role ${next()}`]))[0].id as string;
  const membership = async (organisationId: string, userId: string) =>
    (await sql(`INSERT INTO memberships (organisation_id, user_id) VALUES ($1, $2) RETURNING id`, [organisationId, userId]))[0].id as string;

  it('refuses a second user with the same email, whatever its case', async () => {
    const email = `ada-${next()}@example.com`;
    await user(email);
    expect(await refusal(user(email))).toMatchObject({ code: '23505', constraint: 'users_email_key' });
    // Upper case is refused as such (emails are stored normalised), so no case variant can slip past the unique index.
    expect((await refusal(user(email.toUpperCase()))).code).toMatch(/^23(505|514)$/);
    expect((await refusal(user(` ${email}`))).code).toBe('23514');
    expect(await sql('SELECT count(*)::int AS n FROM users WHERE lower(btrim(email)) = $1', [email])).toEqual([{ n: 1 }]);
  });

  it('allows many users without an email', async () => {
    await user(null);
    await user(null);
  });

  it('refuses a second user with the same (issuer, subject)', async () => {
    const subject = `sub-${next()}`;
    await sql(`INSERT INTO users (issuer, subject) VALUES ('https://idp.example.com', $1)`, [subject]);
    expect(await refusal(sql(`INSERT INTO users (issuer, subject) VALUES ('https://idp.example.com', $1)`, [subject]))).toMatchObject({
      code: '23505',
      constraint: 'users_issuer_subject_key',
    });
    // The same subject at another issuer is another person.
    await sql(`INSERT INTO users (issuer, subject) VALUES ('https://other.example.com', $1)`, [subject]);
    // Half an identity is refused.
    expect((await refusal(sql(`INSERT INTO users (issuer) VALUES ('https://idp.example.com')`))).code).toBe('23514');
  });

  it('refuses a second membership of one user in one organisation', async () => {
    const organisationId = await organisation();
    const userId = await user();
    await membership(organisationId, userId);
    expect(await refusal(membership(organisationId, userId))).toMatchObject({ code: '23505', constraint: 'memberships_user_organisation_key' });
    // In another organisation it is fine.
    await membership(await organisation(), userId);
  });

  it('refuses a duplicate or malformed slug', async () => {
    const slug = `org-${next()}`;
    await sql(`INSERT INTO organisations (name, slug) VALUES ('A', $1)`, [slug]);
    expect(await refusal(sql(`INSERT INTO organisations (name, slug) VALUES ('B', $1)`, [slug]))).toMatchObject({ code: '23505', constraint: 'organisations_slug_key' });
    for (const bad of ['Upper', 'with space', '-leading', 'a'.repeat(64)]) {
      expect((await refusal(sql(`INSERT INTO organisations (name, slug) VALUES ('C', $1)`, [bad]))).code).toBe('23514');
    }
  });

  it('refuses linking a membership to a role of another organisation (composite foreign key)', async () => {
    const organisationA = await organisation();
    const organisationB = await organisation();
    const membershipInA = await membership(organisationA, await user());
    const roleOfB = await role(organisationB);
    // Claiming either organisation is refused: the pair (role, organisation) or (membership, organisation) does not exist.
    for (const claimed of [organisationA, organisationB]) {
      expect(
        (await refusal(sql('INSERT INTO membership_roles (membership_id, role_id, organisation_id) VALUES ($1, $2, $3)', [membershipInA, roleOfB, claimed]))).code,
      ).toBe('23503');
    }
    await sql('INSERT INTO membership_roles (membership_id, role_id, organisation_id) VALUES ($1, $2, $3)', [membershipInA, await role(organisationA), organisationA]);
    expect(await sql('SELECT count(*)::int AS n FROM membership_roles WHERE membership_id = $1', [membershipInA])).toEqual([{ n: 1 }]);
  });

  it('refuses putting a member into a team of another organisation, and granting a team a role of another organisation', async () => {
    const organisationA = await organisation();
    const organisationB = await organisation();
    const teamOfB = (await sql(`INSERT INTO teams (organisation_id, name) VALUES ($1, 'Team B') RETURNING id`, [organisationB]))[0].id;
    const teamOfA = (await sql(`INSERT INTO teams (organisation_id, name) VALUES ($1, 'Team A') RETURNING id`, [organisationA]))[0].id;
    const membershipInA = await membership(organisationA, await user());
    expect((await refusal(sql('INSERT INTO team_members (team_id, membership_id, organisation_id) VALUES ($1, $2, $3)', [teamOfB, membershipInA, organisationA]))).code).toBe('23503');
    expect((await refusal(sql('INSERT INTO team_roles (team_id, role_id, organisation_id) VALUES ($1, $2, $3)', [teamOfA, await role(organisationB), organisationA]))).code).toBe('23503');
  });

  it('refuses changing an audit event (trigger), and keeps it unchanged', async () => {
    const organisationId = await organisation();
    const [event] = await sql(`INSERT INTO audit_events (organisation_id, action, target_type) VALUES ($1, 'test.done', 'Organisation') RETURNING id`, [organisationId]);
    const failure = await refusal(sql(`UPDATE audit_events SET action = 'test.forged' WHERE id = $1`, [event.id]));
    expect(failure.message).toContain('audit events are immutable');
    expect(await sql('SELECT action FROM audit_events WHERE id = $1', [event.id])).toEqual([{ action: 'test.done' }]);
  });
});
