import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { createOrganisation, memberWith, platformAdmin, type SignedInUser, type TestOrganisation } from './support/factories';
import { startTestService, type TestService } from './support/test-service';

const CREATE_TEAM = `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`;
const LOG = `query($organisationId: ID!, $filter: AuditFilter) { organisation(id: $organisationId) { auditLog(first: 100, filter: $filter) { totalCount edges { node { id action } } } } }`;

describe('GET /audit/export', () => {
  let service: TestService;
  let orgA: TestOrganisation;
  let orgB: TestOrganisation;
  let member: SignedInUser;

  const url = (query: string) => service.url.replace(/\/graphql$/, `/audit/export?${query}`);
  const get = (query: string, token: string | null = orgA.owner.token) => fetch(url(query), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const sql = (text: string, parameters: unknown[] = []) => service.database.dataSource.query(text, parameters);

  beforeAll(async () => {
    service = await startTestService();
    const admin = await platformAdmin(service);
    orgA = await createOrganisation(service, admin);
    orgB = await createOrganisation(service, admin);
    member = await memberWith(service, orgA.id, ['member']);
    for (let index = 0; index < 3; index += 1) {
      await service.graphql(CREATE_TEAM, { input: { organisationId: orgA.id, name: `Export ${index}` } }, orgA.owner.token);
    }
  });
  afterAll(() => service.stop());

  it('NDJSON: the same events as auditLog, newest first, with the same filters', async () => {
    const response = await get(`organisationId=${orgA.id}&format=ndjson`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-/);
    const lines = (await response.text()).trim().split('\n').map((line) => JSON.parse(line));
    const api = (await service.graphql(LOG, { organisationId: orgA.id }, orgA.owner.token)).data.organisation.auditLog;
    expect(lines.map((line) => line.id)).toEqual(api.edges.map((edge: any) => edge.node.id));
    expect(lines[0]).toMatchObject({ action: 'team.created', targetType: 'Team', actor: { id: orgA.owner.userId } });
    expect(Object.keys(lines[0]).sort()).toEqual(['action', 'actor', 'details', 'id', 'occurredAt', 'requestId', 'targetId', 'targetType']);
    const filtered = (await (await get(`organisationId=${orgA.id}&action=team.&targetType=Team`)).text()).trim().split('\n').map((line) => JSON.parse(line));
    expect(filtered.map((line) => line.action)).toEqual(['team.created', 'team.created', 'team.created']);
    const byRequest = (await (await get(`organisationId=${orgA.id}&requestId=${lines[0].requestId}`)).text()).trim().split('\n').map((line) => JSON.parse(line));
    expect(byRequest.map((line) => line.id)).toEqual([lines[0].id]);
    expect(await (await get(`organisationId=${orgA.id}&since=2999-01-01T00:00:00Z`)).text()).toBe('');
  });

  it('CSV with a header (csv-stringify), formulas neutralised', async () => {
    await sql(`INSERT INTO audit_events (organisation_id, action, target_type, target_id, details) VALUES ($1, 'custom.csv', 'Team', '=HYPERLINK("x")', '{"a":1}')`, [orgA.id]);
    const response = await get(`organisationId=${orgA.id}&format=csv&action=custom.csv`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows: Record<string, string>[] = parse(await response.text(), { columns: true });
    expect(rows).toEqual([expect.objectContaining({ action: 'custom.csv', target_type: 'Team', target_id: `'=HYPERLINK("x")`, details: '{"a":1}', actor_user_id: '' })]);
    expect(Object.keys(rows[0])).toEqual(['id', 'occurred_at', 'action', 'actor_user_id', 'actor_name', 'target_type', 'target_id', 'request_id', 'details']);
  });

  it('refusals carry a JSON body with the code: 401, 403, 404 (another organisation, unknown, malformed), 400', async () => {
    const cases: [string, string | null, number, string][] = [
      [`organisationId=${orgA.id}`, null, 401, 'UNAUTHENTICATED'],
      [`organisationId=${orgA.id}`, 'not-a-token', 401, 'UNAUTHENTICATED'],
      [`organisationId=${orgA.id}`, member.token, 403, 'FORBIDDEN'],
      [`organisationId=${orgB.id}`, orgA.owner.token, 404, 'NOT_FOUND'],
      [`organisationId=${randomUUID()}`, orgA.owner.token, 404, 'NOT_FOUND'],
      [`organisationId=nope`, orgA.owner.token, 404, 'NOT_FOUND'],
      ['', orgA.owner.token, 400, 'BAD_USER_INPUT'],
      [`organisationId=${orgA.id}&format=xlsx`, orgA.owner.token, 400, 'BAD_USER_INPUT'],
      [`organisationId=${orgA.id}&since=yesterday`, orgA.owner.token, 400, 'BAD_USER_INPUT'],
      [`organisationId=${orgA.id}&since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z`, orgA.owner.token, 400, 'BAD_USER_INPUT'],
      [`organisationId=${orgA.id}&actorId=nope`, orgA.owner.token, 400, 'BAD_USER_INPUT'],
      [`organisationId=${orgA.id}&action=a&action=b`, orgA.owner.token, 400, 'BAD_USER_INPUT'],
      [`organisationId=${orgA.id}&acton=typo`, orgA.owner.token, 400, 'BAD_USER_INPUT'],
    ];
    for (const [query, token, status, code] of cases) {
      const response = await get(query, token === 'not-a-token' ? 'garbage' : token);
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect([query, token === null, response.status, body.errors?.[0]?.extensions?.code]).toEqual([query, token === null, status, code]);
    }
  });

  it('hides email addresses in details without members:read-contact, as the API does', async () => {
    const auditor = await memberWith(service, orgA.id, []);
    const roleId = (await service.graphql(`mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`, { input: { organisationId: orgA.id, name: 'Exporter', description: 'x', permissions: ['audit:read'] } }, orgA.owner.token)).data.createRole.id;
    await service.graphql(`mutation($input: AssignRolesInput!) { assignRoles(input: $input) { id } }`, { input: { organisationId: orgA.id, membershipIds: [auditor.membershipId], roleIds: [roleId], mode: 'ADD' } }, orgA.owner.token);
    await sql(`INSERT INTO audit_events (organisation_id, action, target_type, details) VALUES ($1, 'custom.mail', 'Team', '{"note":"wrote to someone@example.com"}')`, [orgA.id]);
    const asAuditor = (await (await get(`organisationId=${orgA.id}&action=custom.mail`, auditor.token)).text()).trim();
    expect(JSON.parse(asAuditor).details).toEqual({ note: 'wrote to [email hidden]' });
    const asOwner = (await (await get(`organisationId=${orgA.id}&action=custom.mail`)).text()).trim();
    expect(JSON.parse(asOwner).details).toEqual({ note: 'wrote to someone@example.com' });
  });

  it('streams a large log in keyset batches: every event once, in order, across batch boundaries with equal timestamps', async () => {
    const count = 2500;
    // Many events share one occurred_at: the key (occurred_at, id) still walks each exactly once.
    await sql(
      `INSERT INTO audit_events (organisation_id, action, target_type, occurred_at)
       SELECT $1, 'bulk.event', 'Team', timestamp '2020-01-01' + (g % 7) * interval '1 microsecond' FROM generate_series(1, $2) g`,
      [orgB.id, count],
    );
    const response = await get(`organisationId=${orgB.id}&action=bulk.event`, orgB.owner.token);
    const lines = (await response.text()).trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(count);
    expect(new Set(lines.map((line) => line.id)).size).toBe(count);
    const expected: { id: string }[] = await sql(`SELECT id FROM audit_events WHERE organisation_id = $1 AND action = 'bulk.event' ORDER BY occurred_at DESC, id DESC`, [orgB.id]);
    expect(lines.map((line) => line.id)).toEqual(expected.map((row) => row.id));
  });
});
