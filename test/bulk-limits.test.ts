import { MAX_CSV_BYTES, MAX_CSV_ROWS } from '../src/memberships/import/member-csv.parser';
import { MAX_ASSIGN_MEMBERSHIPS, MAX_ASSIGN_ROLES } from '../src/memberships/membership.inputs';
import { contractOperation } from './support/contract';
import { createOrganisation, platformAdmin, type TestOrganisation } from './support/factories';
import { seedMembers } from './support/seed';
import { errorCodes, startTestService, type TestService } from './support/test-service';

const ASSIGN = 'mutation($input: AssignRolesInput!) { assignRoles(input: $input) { id } }';
const IMPORT = contractOperation('ImportMembers');

/**
 * The largest input every bulk operation documents works, in one transaction and a fixed number of
 * statements: rows are written with one array parameter per column (PostgreSQL takes at most 65,535
 * bind parameters per statement; 500 × 44 role links written as VALUES needed 66,000).
 */
describe('bulk operations at their documented maximum', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  const sql = <T = any>(query: string, parameters: unknown[] = []): Promise<T[]> => service.database.dataSource.query(query, parameters);

  beforeAll(async () => {
    // The limits of time are proven elsewhere (test/faults.test.ts); here the documented maximum must succeed
    // even on a loaded shared machine (a REPLACE of 500 × 100 links under load average 11 ran past 10 s).
    service = await startTestService({ REQUEST_TIMEOUT_MS: '120000', DATABASE_STATEMENT_TIMEOUT_MS: '60000', DATABASE_QUERY_TIMEOUT_MS: '90000' });
    organisation = await createOrganisation(service, await platformAdmin(service));
  });
  afterAll(() => service.stop());

  it(`assignRoles: ${MAX_ASSIGN_MEMBERSHIPS} members × ${MAX_ASSIGN_ROLES} roles (ADD, REPLACE, REMOVE), one event each time`, async () => {
    const { membershipIds, roleIds } = await seedMembers(service.database.dataSource, organisation.id, { count: MAX_ASSIGN_MEMBERSHIPS, rolesEach: 0 });
    const roles: string[] = (
      await sql(`INSERT INTO roles (organisation_id, name, permissions) SELECT $1, 'Bulk role ' || n, '{members:read}' FROM generate_series(1, $2::int) n RETURNING id`, [
        organisation.id,
        MAX_ASSIGN_ROLES,
      ])
    ).map((row) => row.id);
    expect(roleIds).toEqual([]);
    const links = async () => (await sql(`SELECT count(*)::int AS n FROM membership_roles WHERE role_id = ANY($1::uuid[])`, [roles]))[0].n;
    const assign = (mode: string, ids: string[], memberships = membershipIds) =>
      service.countStatements(ASSIGN, { input: { organisationId: organisation.id, membershipIds: memberships, roleIds: ids, mode } }, organisation.owner.token);

    const added = await assign('ADD', roles);
    expect(added.response.errors).toBeUndefined();
    expect(added.response.data.assignRoles).toHaveLength(MAX_ASSIGN_MEMBERSHIPS);
    expect(await links()).toBe(MAX_ASSIGN_MEMBERSHIPS * MAX_ASSIGN_ROLES);
    const replaced = await assign('REPLACE', roles.slice(0, 44));
    expect(replaced.response.errors).toBeUndefined();
    expect(await links()).toBe(MAX_ASSIGN_MEMBERSHIPS * 44);
    const removed = await assign('REMOVE', roles.slice(0, 44));
    expect(removed.response.errors).toBeUndefined();
    expect(await links()).toBe(0);
    const small = await assign('ADD', roles.slice(0, 2), membershipIds.slice(0, 2));
    process.stdout.write(`assignRoles statements: ${small.count} (2 × 2), ${added.count} (${MAX_ASSIGN_MEMBERSHIPS} × ${MAX_ASSIGN_ROLES})\n`);
    expect(added.count).toBe(small.count);
    // One event per member (target: the membership), written by one statement per operation.
    const events = await sql(
      `SELECT details->>'mode' AS mode, count(*)::int AS events, count(DISTINCT target_id)::int AS members FROM audit_events
       WHERE organisation_id = $1 AND action = 'member.roles-assigned' GROUP BY request_id, details->>'mode' ORDER BY min(occurred_at)`,
      [organisation.id],
    );
    expect(events.map((event) => [event.mode, event.events, event.members])).toEqual([
      ['ADD', MAX_ASSIGN_MEMBERSHIPS, MAX_ASSIGN_MEMBERSHIPS],
      ['REPLACE', MAX_ASSIGN_MEMBERSHIPS, MAX_ASSIGN_MEMBERSHIPS],
      ['REMOVE', MAX_ASSIGN_MEMBERSHIPS, MAX_ASSIGN_MEMBERSHIPS],
      ['ADD', 2, 2],
    ]);
  });

  it('assignRoles: one more member or role than documented is BAD_USER_INPUT', async () => {
    const ids = (count: number) => Array.from({ length: count }, (_value, index) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`);
    for (const [membershipIds, roleIds] of [
      [ids(MAX_ASSIGN_MEMBERSHIPS + 1), ids(1)],
      [ids(1), ids(MAX_ASSIGN_ROLES + 1)],
    ]) {
      const response = await service.graphql(ASSIGN, { input: { organisationId: organisation.id, membershipIds, roleIds, mode: 'ADD' } }, organisation.owner.token);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    }
  });

  it(`importMembers: ${MAX_CSV_ROWS} rows in ${MAX_CSV_BYTES} bytes, with roles and a team, dry run and real run`, async () => {
    await sql(`INSERT INTO teams (organisation_id, name) VALUES ($1, 'Imported')`, [organisation.id]);
    const stamp = Date.now().toString(36);
    const header = 'email,name,initial_roles,teams';
    const row = (index: number, pad: number) => `bulk-${stamp}-${index}@example.com,Person ${index} ${'x'.repeat(pad)},"Viewer, Member",Imported`;
    // Names padded so the file is as large as allowed.
    const base = [header, ...Array.from({ length: MAX_CSV_ROWS }, (_value, index) => row(index, 0))].join('\n');
    const pad = Math.floor((MAX_CSV_BYTES - Buffer.byteLength(base)) / MAX_CSV_ROWS);
    const csv = [header, ...Array.from({ length: MAX_CSV_ROWS }, (_value, index) => row(index, pad))].join('\n');
    expect(Buffer.byteLength(csv)).toBeLessThanOrEqual(MAX_CSV_BYTES);
    expect(Buffer.byteLength(csv)).toBeGreaterThan(MAX_CSV_BYTES - MAX_CSV_ROWS);
    const dry = await service.graphql(IMPORT, { input: { organisationId: organisation.id, csv, dryRun: true } }, organisation.owner.token);
    expect(dry.errors).toBeUndefined();
    expect(dry.data.importMembers).toMatchObject({ dryRun: true, created: MAX_CSV_ROWS, updated: 0 });
    const real = await service.countStatements(IMPORT, { input: { organisationId: organisation.id, csv, dryRun: false } }, organisation.owner.token);
    expect(real.response.errors).toBeUndefined();
    expect(real.response.data.importMembers).toMatchObject({ dryRun: false, created: MAX_CSV_ROWS, updated: 0 });
    process.stdout.write(`importMembers of ${MAX_CSV_ROWS} rows (${Buffer.byteLength(csv)} bytes): ${real.count} statements\n`);
    const [written] = await sql(
      `SELECT (SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organisation_id = $1 AND u.email LIKE $2)::int AS members,
              (SELECT count(*) FROM membership_roles mr JOIN memberships m ON m.id = mr.membership_id JOIN users u ON u.id = m.user_id WHERE m.organisation_id = $1 AND u.email LIKE $2)::int AS roles,
              (SELECT count(*) FROM team_members tm JOIN memberships m ON m.id = tm.membership_id JOIN users u ON u.id = m.user_id WHERE m.organisation_id = $1 AND u.email LIKE $2)::int AS places,
              (SELECT count(*) FROM audit_events WHERE organisation_id = $1 AND action = 'member.imported')::int AS events`,
      [organisation.id, `bulk-${stamp}-%`],
    );
    expect(written).toEqual({ members: MAX_CSV_ROWS, roles: 2 * MAX_CSV_ROWS, places: MAX_CSV_ROWS, events: MAX_CSV_ROWS });
  });
});
