import { Client } from 'pg';
import { createDataSource } from '../../src/core/database/data-source';
import { BUILT_IN_ROLES } from '../../src/roles/built-in-roles';

/** One seeded organisation, with what the scenarios need to address it. */
export interface SeededOrganisation {
  id: string;
  slug: string;
  /** Seeded members, the Owner (and the Viewer) not counted. */
  size: number;
  /** Every membership, Owner and Viewer included: the expected `totalCount`. */
  totalMembers: number;
  /** User ids of the first seeded members (at most 1,000), for `_entities`. */
  userIds: string[];
  /** The team with the most members, and its size. */
  biggestTeamId: string;
  biggestTeamSize: number;
}

export interface SeededData {
  /** By size. */
  organisations: Map<number, SeededOrganisation>;
  owner: { subject: string; email: string; userId: string };
  viewer: { subject: string; email: string; userId: string };
  /** Users per substring "smith" in the largest organisation: the search scenario's expected hits. */
  smithHits: number;
  seconds: number;
}

const FIRST_NAMES = [
  'Ada', 'Alan', 'Alice', 'Amara', 'Anders', 'Ana', 'Bea', 'Ben', 'Carla', 'Chen', 'Dara', 'David', 'Elena', 'Emil', 'Eva', 'Farah', 'Felix', 'Grace',
  'Hana', 'Hugo', 'Ines', 'Ivan', 'Jade', 'Jonas', 'Kai', 'Kira', 'Lars', 'Lena', 'Leo', 'Lina', 'Mara', 'Marco', 'Mia', 'Nadia', 'Nils', 'Noor', 'Olga',
  'Omar', 'Paula', 'Pedro', 'Quinn', 'Rosa', 'Ravi', 'Sara', 'Sven', 'Tara', 'Theo', 'Uma', 'Vera', 'Yusuf',
];
// 59 surnames, one of them containing "smith": every 59th member (n·7 mod 59 = 0) matches the search.
const LAST_NAMES = [
  'Smith', 'Johansson', 'Garcia', 'Nakamura', 'Okafor', 'Novak', 'Rossi', 'Dubois', 'Kowalski', 'Silva', 'Haddad', 'Petrov', 'Moreau', 'Jensen', 'Lopez',
  'Tanaka', 'Mensah', 'Horvat', 'Bianchi', 'Laurent', 'Nowak', 'Costa', 'Farouk', 'Ivanova', 'Lefebvre', 'Larsen', 'Martinez', 'Suzuki', 'Adeyemi', 'Kovac',
  'Ferrari', 'Girard', 'Wisniewski', 'Pereira', 'Nasser', 'Volkov', 'Roux', 'Nielsen', 'Hernandez', 'Watanabe', 'Boateng', 'Babic', 'Romano', 'Fontaine',
  'Lewandowski', 'Santos', 'Khalil', 'Sokolov', 'Bonnet', 'Hansen', 'Gonzalez', 'Kobayashi', 'Owusu', 'Juric', 'Colombo', 'Mercier', 'Zielinski', 'Oliveira', 'Aziz',
];
const CUSTOM_ROLES: [string, string[]][] = [
  ['Billing', ['org:read', 'members:read']],
  ['Support', ['members:read', 'members:read-contact']],
  ['Recruiter', ['members:invite']],
  ['Auditor', ['audit:read', 'access:review']],
  ['Team lead', ['teams:read', 'teams:manage-members']],
  ['Security', ['members:read', 'roles:read', 'audit:read']],
  ['Onboarding', ['invitations:manage']],
];
const TEAMS = 200;
const BASE_TIME = '2024-01-01T00:00:00Z';

// Each member: 1–3 roles out of 10 (built-in Manager, Member, Viewer and the 7 custom roles), 0–3 teams out
// of 200, spread by coprime strides so every organisation size gets the same mix. Times carry microseconds.
// The statements share a temporary table of the new members' numbers and ids (dropped at COMMIT).
const SEED_MEMBERS: [string, (seed: MemberSeed) => unknown[]][] = [
  [
    `CREATE TEMP TABLE seed ON COMMIT DROP AS
       SELECT n, gen_random_uuid() AS user_id, gen_random_uuid() AS membership_id,
              $1::timestamptz + n * interval '37 seconds' + ((n * 7919) % 1000000) * interval '1 microsecond' AS joined_at,
              ($3::text[])[1 + n % 50] AS first_name, ($4::text[])[1 + (n * 7) % 59] AS last_name
       FROM generate_series(1, $2::int) n`,
    (seed) => [BASE_TIME, seed.size, FIRST_NAMES, LAST_NAMES],
  ],
  [
    `INSERT INTO users (id, email, display_name, email_verified, last_sign_in_at)
       SELECT user_id, lower(first_name || '.' || last_name || '.' || $2 || '-' || n || '@bench.example'), first_name || ' ' || last_name, true,
              CASE WHEN n % 5 = 0 THEN NULL ELSE $1::timestamptz + interval '300 days' + n * interval '1 minute' END
       FROM seed`,
    (seed) => [BASE_TIME, seed.slug],
  ],
  [
    `INSERT INTO memberships (id, organisation_id, user_id, status, joined_at, deactivated_at)
       SELECT membership_id, $1, user_id, CASE WHEN n % 50 = 0 THEN 'DEACTIVATED' ELSE 'ACTIVE' END, joined_at,
              CASE WHEN n % 50 = 0 THEN joined_at + interval '90 days' END
       FROM seed`,
    (seed) => [seed.organisationId],
  ],
  [
    `INSERT INTO membership_roles (membership_id, role_id, organisation_id)
       SELECT s.membership_id, ($2::uuid[])[1 + (s.n * 7 + k * 3) % 10], $1
       FROM seed s CROSS JOIN LATERAL generate_series(0, s.n % 3) k`,
    (seed) => [seed.organisationId, seed.rolePool],
  ],
  [
    `INSERT INTO team_members (team_id, membership_id, organisation_id, role, added_at)
       SELECT ($2::uuid[])[1 + (s.n * 17 + k * 67) % ${TEAMS}], s.membership_id, $1,
              CASE WHEN (s.n + k) % 25 = 0 THEN 'MANAGER' ELSE 'MEMBER' END, s.joined_at + k * interval '1 day'
       FROM seed s CROSS JOIN LATERAL generate_series(1, (s.n * 13) % 4) k`,
    (seed) => [seed.organisationId, seed.teamIds],
  ],
];

interface MemberSeed {
  organisationId: string;
  slug: string;
  size: number;
  rolePool: string[];
  teamIds: string[];
}

async function ids(client: Client, sql: string, parameters: unknown[]): Promise<string[]> {
  return (await client.query<{ id: string }>(sql, parameters)).rows.map((row) => row.id);
}

/** One organisation: built-in and custom roles, 200 teams (every 20th granting a role), `size` members. */
async function seedOrganisation(client: Client, slug: string, size: number): Promise<{ id: string; userIds: string[]; roleIds: Map<string, string> }> {
  await client.query('BEGIN');
  try {
    const [organisationId] = await ids(client, 'INSERT INTO organisations (name, slug) VALUES ($1, $2) RETURNING id', [`Bench ${slug}`, slug]);
    const roleIds = new Map<string, string>();
    const roleRows = await client.query<{ id: string; key: string }>(
      `INSERT INTO roles (organisation_id, name, description, built_in_key, permissions)
       SELECT $1, name, description, key, permissions FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS r(name, description, key, permissions_text)
       CROSS JOIN LATERAL (SELECT CASE WHEN permissions_text = '' THEN '{}'::text[] ELSE string_to_array(permissions_text, ',') END AS permissions) p
       RETURNING id, coalesce(built_in_key, name) AS key`,
      [
        organisationId,
        [...BUILT_IN_ROLES.map((role) => role.name), ...CUSTOM_ROLES.map(([name]) => name)],
        [...BUILT_IN_ROLES.map((role) => role.description), ...CUSTOM_ROLES.map(([name]) => `${name} (bench)`)],
        [...BUILT_IN_ROLES.map((role) => role.key), ...CUSTOM_ROLES.map(() => null)],
        [...BUILT_IN_ROLES.map(() => ''), ...CUSTOM_ROLES.map(([, permissions]) => permissions.join(','))],
      ],
    );
    for (const row of roleRows.rows) roleIds.set(row.key, row.id);
    const pool = ['manager', 'member', 'viewer', ...CUSTOM_ROLES.map(([name]) => name)].map((key) => roleIds.get(key) as string);
    const teamIds = await ids(
      client,
      `INSERT INTO teams (organisation_id, name, description)
       SELECT $1, 'Team ' || lpad(n::text, 3, '0'), CASE WHEN n % 3 = 0 THEN 'Squad number ' || n ELSE '' END FROM generate_series(1, ${TEAMS}) n
       ORDER BY n RETURNING id`,
      [organisationId],
    );
    await client.query(
      `INSERT INTO team_roles (team_id, role_id, organisation_id)
       SELECT ($1::uuid[])[n], ($2::uuid[])[1 + (n / 20) % 7], $3 FROM generate_series(1, ${TEAMS}, 20) n`,
      [teamIds, pool.slice(3), organisationId],
    );
    const seed: MemberSeed = { organisationId, slug, size, rolePool: pool, teamIds };
    for (const [sql, parameters] of SEED_MEMBERS) await client.query(sql, parameters(seed));
    const userIds = await ids(client, 'SELECT m.user_id AS id FROM memberships m WHERE m.organisation_id = $1 ORDER BY m.joined_at, m.id LIMIT 1000', [organisationId]);
    await client.query('COMMIT');
    return { id: organisationId, userIds, roleIds };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function addMember(client: Client, organisationId: string, userId: string, roleId: string, joinedAt: string): Promise<void> {
  await client.query(
    `WITH m AS (INSERT INTO memberships (organisation_id, user_id, joined_at) VALUES ($1, $2, $4) RETURNING id)
     INSERT INTO membership_roles (membership_id, role_id, organisation_id) SELECT m.id, $3, $1 FROM m`,
    [organisationId, userId, roleId, joinedAt],
  );
}

/**
 * Creates database `database`, migrates it with the project's migrations, and seeds it: one organisation per
 * size (the measured one and the scaling ones; a size listed twice is one organisation), each with an Owner
 * who signs in through `issuer`, a Viewer-role member in the measured one, and `otherOrganisations` more of
 * `otherMembers` members as noise. Ends with VACUUM ANALYZE.
 */
export async function seedDatabase(
  serverUrl: (database: string) => string,
  database: string,
  options: { issuer: string; members: number; scaleMembers: number[]; otherOrganisations: number; otherMembers: number },
): Promise<SeededData> {
  const started = Date.now();
  const admin = new Client({ connectionString: serverUrl('postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const dataSource = createDataSource(serverUrl(database), { poolSize: 1, applicationName: 'access-bench-seed' });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
  const client = new Client({ connectionString: serverUrl(database) });
  await client.connect();
  try {
    const [ownerId, viewerId] = await ids(
      client,
      `INSERT INTO users (issuer, subject, email, email_verified, display_name, last_sign_in_at)
       VALUES ($1, $2, $3, true, 'Bench Owner', now()), ($1, $4, $5, true, 'Bench Viewer', now()) RETURNING id`,
      [options.issuer, 'bench-owner', 'bench-owner@bench.example', 'bench-viewer', 'bench-viewer@bench.example'],
    );
    const owner = { subject: 'bench-owner', email: 'bench-owner@bench.example', userId: ownerId };
    const viewer = { subject: 'bench-viewer', email: 'bench-viewer@bench.example', userId: viewerId };
    const organisations = new Map<number, SeededOrganisation>();
    for (const size of [...new Set([options.members, ...options.scaleMembers])].sort((left, right) => left - right)) {
      const slug = `bench-${size}`;
      const seeded = await seedOrganisation(client, slug, size);
      await addMember(client, seeded.id, ownerId, seeded.roleIds.get('owner') as string, '2023-12-31T00:00:00Z');
      let totalMembers = size + 1;
      if (size === options.members) {
        await addMember(client, seeded.id, viewerId, seeded.roleIds.get('viewer') as string, '2023-12-31T00:00:01Z');
        totalMembers += 1;
      }
      const { rows: [biggest] } = await client.query<{ id: string; size: number }>(
        'SELECT team_id AS id, count(*)::int AS size FROM team_members WHERE organisation_id = $1 GROUP BY team_id ORDER BY count(*) DESC, team_id LIMIT 1',
        [seeded.id],
      );
      organisations.set(size, { id: seeded.id, slug, size, totalMembers, userIds: seeded.userIds, biggestTeamId: biggest.id, biggestTeamSize: biggest.size });
    }
    for (let index = 1; index <= options.otherOrganisations; index += 1) {
      const seeded = await seedOrganisation(client, `bench-other-${index}`, options.otherMembers);
      // The Viewer also belongs to two other organisations (Member role): Viewer lists three memberships.
      if (index <= 2) await addMember(client, seeded.id, viewerId, seeded.roleIds.get('member') as string, '2023-12-31T00:00:02Z');
    }
    await client.query('VACUUM ANALYZE');
    const largest = organisations.get(Math.max(...organisations.keys())) as SeededOrganisation;
    const smithHits = Number(
      (
        await client.query(
          `SELECT count(*) AS hits FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.organisation_id = $1 AND (lower(u.email) LIKE '%smith%' OR lower(u.display_name) LIKE '%smith%')`,
          [largest.id],
        )
      ).rows[0].hits,
    );
    return { organisations, owner, viewer, smithHits, seconds: (Date.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}
