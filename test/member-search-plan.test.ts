import { createOrganisation, platformAdmin } from './support/factories';
import { contractOperation } from './support/contract';
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
    await service.database.dataSource.query('ANALYZE users; ANALYZE memberships');
  }, 120_000);
  afterAll(() => service.stop());

  it('uses the trigram indexes for a substring search', async () => {
    const plan: { 'QUERY PLAN': string }[] = await service.database.dataSource.query(
      `EXPLAIN (ANALYZE, BUFFERS)
       SELECT m.id, count(*) OVER () FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.organisation_id = $1 AND (lower(u.email) LIKE $2 OR lower(u.display_name) LIKE $2)
       ORDER BY m.joined_at, m.id LIMIT 21`,
      [organisationId, '%person4242%'],
    );
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');
    process.stdout.write(`\nMember search plan (100,000 members):\n${text}\n`);
    expect(text).toMatch(/users_(email|display_name)_trgm_idx/);
    expect(text).not.toMatch(/Seq Scan on users/);
  });

  it('answers the Members operation with a search quickly', async () => {
    const started = process.hrtime.bigint();
    const response = await service.graphql(contractOperation('Members'), { organisationId, first: 20, filter: { search: 'person4242' } }, ownerToken);
    const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
    expect(response.errors).toBeUndefined();
    expect(response.data.organisation.members.totalCount).toBe(11); // person4242 and person42420..42429
    process.stdout.write(`Members search over 100,000 members: ${milliseconds.toFixed(1)} ms\n`);
  });
});
