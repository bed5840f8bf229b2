import { createOrganisation, platformAdmin } from './support/factories';
import { contractOperation } from './support/contract';
import { capturePlans } from './support/capture-plans';
import { startTestService, type TestService } from './support/test-service';

/**
 * Member search over 100,000 members must be served by indexes. The plan is printed (and asserted):
 * the trigram indexes answer substring search, and the page stays fast.
 */
describe('member search at 100,000 members', () => {
  let service: TestService;
  let organisationId: string;
  let ownerToken: string;

  beforeAll(async () => {
    service = await startTestService();
    const admin = await platformAdmin(service);
    const organisation = await createOrganisation(service, admin);
    organisationId = organisation.id;
    ownerToken = organisation.owner.token;
    await service.database.dataSource.query(
      `WITH new_users AS (
         INSERT INTO users (email, display_name, email_verified)
         SELECT 'person' || n || '@company' || (n % 50) || '.example', 'Person ' || md5(n::text), true
         FROM generate_series(1, 100000) n RETURNING id)
       INSERT INTO memberships (organisation_id, user_id) SELECT $1, id FROM new_users`,
      [organisationId],
    );
    // And 100,000 audit events and 20,000 invitations here, as many elsewhere, for the plans of those lists.
    await service.database.dataSource.query(
      `INSERT INTO audit_events (organisation_id, action, target_type, occurred_at)
       SELECT o, 'test.bulk', 'Test', now() - n * interval '1 second' FROM generate_series(1, 100000) n, unnest($1::uuid[]) o`,
      [[organisationId, (await createOrganisation(service, admin)).id]],
    );
    await service.database.dataSource.query(
      `INSERT INTO invitations (organisation_id, email, token_hash, expires_at, created_at)
       SELECT $1, 'bulk-' || n || '@example.com', md5(n::text), now() + interval '7 days', now() - n * interval '1 second' FROM generate_series(1, 20000) n`,
      [organisationId],
    );
    await service.database.dataSource.query('ANALYZE users; ANALYZE memberships; ANALYZE audit_events; ANALYZE invitations');
  }, 240_000);
  afterAll(() => service.stop());

  it('uses the trigram indexes for a substring search', async () => {
    // The plan of the statement the service itself runs for the contract's Members operation with a search.
    const plans = await capturePlans(
      service.database.dataSource,
      (sql) => sql.includes('FROM memberships m') && sql.includes('LIKE') && sql.includes('LIMIT'),
      async () => {
        const response = await service.graphql(contractOperation('Members'), { organisationId, first: 20, filter: { search: 'person4242' } }, ownerToken);
        expect(response.errors).toBeUndefined();
      },
    );
    expect(plans).toHaveLength(1);
    process.stdout.write(`\nMember search plan (100,000 members):\n${plans[0]}\n`);
    expect(plans[0]).toMatch(/users_(email|display_name)_trgm_idx/);
    expect(plans[0]).not.toMatch(/Seq Scan on (users|memberships)/);
  });

  it('finds members by text shorter than a trigram too', async () => {
    const response = await service.graphql(contractOperation('Members'), { organisationId, first: 5, filter: { search: 'zz' } }, ownerToken);
    expect(response.errors).toBeUndefined();
    expect(response.data.organisation.members.totalCount).toBe(0);
  });

  it('answers the Members operation with a search quickly', async () => {
    const started = process.hrtime.bigint();
    const response = await service.graphql(contractOperation('Members'), { organisationId, first: 20, filter: { search: 'person4242' } }, ownerToken);
    const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
    expect(response.errors).toBeUndefined();
    expect(response.data.organisation.members.totalCount).toBe(11); // person4242 and person42420..42429
    process.stdout.write(`Members search over 100,000 members: ${milliseconds.toFixed(1)} ms\n`);
  });

  /** The plans of the list's page statements for these page arguments (forward, backward, from a cursor). */
  async function plansOf(query: string, variables: Record<string, unknown>, table: string): Promise<string[]> {
    const run = async (args: Record<string, unknown>) => {
      const response = await service.graphql(query, { ...variables, ...args }, ownerToken);
      expect(response.errors).toBeUndefined();
      return response.data.organisation;
    };
    const connection = (data: any) => Object.values(data).find((value: any) => value?.pageInfo) as any;
    const middle = connection(await run({ first: 50 })).pageInfo.endCursor;
    return capturePlans(
      service.database.dataSource,
      (sql) => sql.includes(`FROM ${table}`) && sql.includes('LIMIT'),
      async () => {
        for (const args of [{ first: 20 }, { last: 20 }, { first: 20, after: middle }, { last: 20, before: middle }]) await run(args);
      },
    );
  }

  it.each([
    ['Members (joined date)', `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { organisation(id: $id) { members(first: $first, after: $after, last: $last, before: $before) { pageInfo { endCursor } edges { node { id } } } } }`, 'memberships m', 'memberships_organisation_joined_idx'],
    ['AuditLog', `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { organisation(id: $id) { auditLog(first: $first, after: $after, last: $last, before: $before) { pageInfo { endCursor } edges { node { id } } } } }`, 'audit_events e', 'audit_events_organisation_occurred_idx'],
    ['Invitations', `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { organisation(id: $id) { invitations(first: $first, after: $after, last: $last, before: $before) { pageInfo { endCursor } edges { node { id } } } } }`, 'invitations i', 'invitations_organisation_created_idx'],
  ])('pages %s forward and backward on its index, with and without a cursor', async (label, query, table, index) => {
    const plans = await plansOf(query, { id: organisationId }, table);
    expect(plans).toHaveLength(4);
    process.stdout.write(`\n${label}, backward page from a cursor:\n${plans[3]}\n`);
    for (const plan of plans) {
      expect(plan).toContain(index);
      expect(plan).not.toMatch(/Seq Scan on (memberships|audit_events|invitations)/);
    }
    // From a cursor, no page sorts the list: the index is read in the page's direction and stops at the limit.
    for (const plan of plans.slice(2)) expect(plan).not.toMatch(/Sort Key: (m\.joined_at|e\.occurred_at|i\.created_at)/);
  });
});
