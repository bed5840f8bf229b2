import { createSuiteDatabase, type SuiteDatabase } from './support/test-database';

/**
 * The schema can be hosted by a distributed PostgreSQL (Citus) distributed by organisation: the plan of
 * README "Scaling out → Distribution plan", checked against the catalog (pg_constraint, pg_index). Citus
 * enforces a primary key or unique constraint of a distributed table only when it includes the
 * distribution column, and a foreign key between distributed tables only when it joins their
 * distribution columns (colocated); distributed tables may point at reference tables, never the reverse.
 */

/**
 * Distributed tables, colocated, each by an organisation's id (uuid): every table with an
 * `organisation_id` column by that column, and these by another one.
 */
const DISTRIBUTED_BY: Record<string, string> = {
  organisations: 'id',
  // One counter per stream: an organisation's id, or the nil uuid for the platform stream.
  event_sequences: 'stream',
};
/** Copied to every node: a person exists once, across organisations. */
const REFERENCE = ['users'];
/** On the coordinator only: the service's own bookkeeping, never joined with tenant data. */
const LOCAL = ['service_keys', 'typeorm_migrations', 'user_write_positions'];

/**
 * The deliberate exceptions, by constraint or index name, each with why (and what Citus needs: README).
 * Nothing else may break the rules above.
 */
const EXCEPTIONS: Record<string, string> = {
  organisations_slug_key: 'a slug names one organisation across the platform (a global name, by design)',
  organisation_domains_verified_domain_key: 'one organisation per verified domain, platform-wide: what makes auto-join safe',
  audit_events_pkey: 'platform-level audit events (sign-ins, user changes) belong to no organisation: a null cannot be in a key',
  events_pkey: 'platform-level events (the platform stream) belong to no organisation',
  webhook_endpoints_pkey: 'platform-wide endpoints belong to no organisation',
  webhook_deliveries_pkey: 'deliveries of platform-wide endpoints belong to no organisation',
  webhook_deliveries_event_id_fkey: 'a platform-wide endpoint receives every organisation’s events, so its deliveries point across organisations',
};
/** Tables where platform-level rows leave the distribution column null (see EXCEPTIONS). */
const PLATFORM_LEVEL = ['audit_events', 'events', 'webhook_endpoints', 'webhook_deliveries'];

interface Key {
  table: string;
  name: string;
  /** p: primary key, u: unique constraint, i: unique index without a constraint, f: foreign key. */
  kind: 'p' | 'u' | 'i' | 'f';
  columns: string[];
  referenced: string | null;
  referencedColumns: string[] | null;
}

describe('sharding-ready schema (Citus, distributed by organisation)', () => {
  let database: SuiteDatabase;
  let tables: string[];
  let keys: Key[];
  let columnTypes: Map<string, { type: string; nullable: boolean }>;
  /** Table → distribution column, for every distributed table. */
  let distributed: Record<string, string>;

  beforeAll(async () => {
    database = await createSuiteDatabase();
    const query = (sql: string) => database.dataSource.query(sql);
    tables = (await query(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`)).map(
      (row: { relname: string }) => row.relname,
    );
    // Constraints with their columns in key order, and unique indexes no constraint owns (partial, expression).
    keys = await query(`
      SELECT c.conrelid::regclass::text AS table, c.conname AS name, c.contype AS kind,
             ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns,
             CASE WHEN c.contype = 'f' THEN c.confrelid::regclass::text END AS referenced,
             CASE WHEN c.contype = 'f' THEN ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] END AS "referencedColumns"
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = 'public' AND c.contype IN ('p', 'u', 'f')
      UNION ALL
      SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, 'i',
             ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)::text[],
             NULL, NULL
      FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND i.indisunique AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u'))
      ORDER BY 1, 2`);
    columnTypes = new Map(
      (await query(`SELECT table_name, column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`)).map(
        (row: { table_name: string; column_name: string; udt_name: string; is_nullable: string }) => [`${row.table_name}.${row.column_name}`, { type: row.udt_name, nullable: row.is_nullable === 'YES' }],
      ),
    );
    distributed = { ...Object.fromEntries(tables.filter((table) => columnTypes.has(`${table}.organisation_id`)).map((table) => [table, 'organisation_id'])), ...DISTRIBUTED_BY };
  });
  afterAll(() => database.drop());

  const kindOf = (table: string) => (table in distributed ? 'distributed' : REFERENCE.includes(table) ? 'reference' : LOCAL.includes(table) ? 'local' : 'unclassified');
  /** The keys breaking a rule, as `name: why`, so a failure names each one. */
  const offending = (check: (key: Key) => string | null) => keys.filter((key) => !(key.name in EXCEPTIONS)).flatMap((key) => (check(key) ? [`${key.name}: ${check(key)}`] : []));

  it('classifies every table once: distributed (every table with organisation_id), reference or local', () => {
    expect(tables.filter((table) => kindOf(table) === 'unclassified')).toEqual([]);
    expect([...Object.keys(DISTRIBUTED_BY), ...REFERENCE, ...LOCAL].filter((table) => !tables.includes(table))).toEqual([]);
    const listedTwice = [...REFERENCE, ...LOCAL].filter((table) => table in distributed);
    expect(listedTwice).toEqual([]);
    // The tenant tables of today (README "Distribution plan"); a new one joins them by having organisation_id.
    expect(Object.keys(distributed)).toEqual(
      expect.arrayContaining(['memberships', 'membership_roles', 'roles', 'teams', 'team_members', 'team_roles', 'invitations', 'invitation_roles', 'invitation_teams', 'organisation_domains', 'email_outbox', 'audit_events', 'events', 'webhook_endpoints', 'webhook_deliveries']),
    );
  });

  it('distributes every table by a uuid organisation id (colocated), never null outside the platform-level tables', () => {
    for (const [table, column] of Object.entries(distributed)) {
      const info = columnTypes.get(`${table}.${column}`);
      expect([table, column, info?.type]).toEqual([table, column, 'uuid']);
      expect([table, info?.nullable]).toEqual([table, PLATFORM_LEVEL.includes(table)]);
    }
  });

  it('includes the distribution column in every primary key, unique constraint and unique index of a distributed table', () => {
    expect(
      offending((key) => (key.kind !== 'f' && kindOf(key.table) === 'distributed' && !key.columns.includes(distributed[key.table]) ? `(${key.columns.join(', ')}) lacks ${distributed[key.table]}` : null)),
    ).toEqual([]);
  });

  it('joins distribution columns in every foreign key between distributed tables, and points only at colocated or reference tables', () => {
    expect(
      offending((key) => {
        if (key.kind !== 'f' || !key.referenced) return null;
        const from = kindOf(key.table);
        const to = kindOf(key.referenced);
        if (from === 'distributed' && to === 'distributed') {
          const position = key.columns.indexOf(distributed[key.table]);
          if (position < 0 || key.referencedColumns?.[position] !== distributed[key.referenced]) {
            return `(${key.columns.join(', ')}) → ${key.referenced}(${key.referencedColumns?.join(', ')}) does not join ${distributed[key.table]} to ${distributed[key.referenced]}`;
          }
          return null;
        }
        if (to === 'reference' || (from === 'local' && to === 'local')) return null;
        return `a ${from} table points at a ${to} table (${key.referenced})`;
      }),
    ).toEqual([]);
  });

  it('keeps the exception list short and current: each exception exists and still breaks a rule', () => {
    expect(Object.keys(EXCEPTIONS).length).toBeLessThanOrEqual(7);
    for (const name of Object.keys(EXCEPTIONS)) {
      const key = keys.find((candidate) => candidate.name === name);
      expect([name, key !== undefined]).toEqual([name, true]);
      const breaks =
        key!.kind === 'f'
          ? key!.columns.indexOf(distributed[key!.table]) < 0
          : !key!.columns.includes(distributed[key!.table]);
      expect([name, breaks]).toEqual([name, true]);
    }
  });
});
