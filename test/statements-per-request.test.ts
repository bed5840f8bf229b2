import { addMember, createOrganisation, memberWith, platformAdmin, type SignedInUser, type TestOrganisation } from './support/factories';
import { contractOperation } from './support/contract';
import { seedMembers } from './support/seed';
import { startTestService, type TestService } from './support/test-service';

const MEMBERS = contractOperation('Members');
const VIEWER = contractOperation('Viewer');
const TEAM_DETAIL = contractOperation('TeamDetail');
const ENTITIES = 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id email displayName lastSignInAt } } }';
// The page without totalCount: the count statement is not run at all.
const MEMBERS_NO_TOTAL = `query($organisationId: ID!, $first: Int, $after: String, $filter: MemberFilter) {
  organisation(id: $organisationId) { id members(first: $first, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor } edges { cursor node { id status user { id email } roles { id name } teams { role team { id name } } } } } } }`;

/**
 * The statements one request runs (counted per request, background workers off): the issue 9 budgets
 * (Members ≤ 3, Viewer ≤ 2, TeamDetail 5, `_entities` one per type) and no growth with the list's size.
 */
describe('SQL statements per request', () => {
  let service: TestService;
  let admin: SignedInUser;
  const organisations: { size: number; organisation: TestOrganisation; teamId: string }[] = [];

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
    for (const size of [5, 120]) {
      const organisation = await createOrganisation(service, admin);
      const seeded = await seedMembers(service.database.dataSource, organisation.id, { count: size, rolesEach: 3, teamsEach: 2 });
      organisations.push({ size, organisation, teamId: seeded.teamIds[0] });
    }
  });
  afterAll(() => service.stop());

  const measure = async (query: string, variables: Record<string, unknown>, token: string) => {
    const measured = await service.countStatements(query, variables, token);
    expect(measured.response.errors).toBeUndefined();
    return measured;
  };
  const explain = (label: string, measured: { count: number; statements: string[] }) =>
    `${label}: ${measured.count} statements\n${measured.statements.map((statement) => `  ${statement.replace(/\s+/g, ' ').slice(0, 200)}`).join('\n')}`;

  it('Members (contract operation): 3 statements for a page of 6 and of 100, totalCount counted apart', async () => {
    const counts: number[] = [];
    for (const { size, organisation } of organisations) {
      const measured = await measure(MEMBERS, { organisationId: organisation.id, first: 100 }, organisation.owner.token);
      const page = measured.response.data.organisation.members;
      expect(page.totalCount).toBe(size + 1);
      expect(page.edges).toHaveLength(Math.min(size + 1, 100));
      expect(page.edges.filter((edge: any) => edge.node.roles.length === 3 && edge.node.teams.length === 2)).toHaveLength(Math.min(size, 99));
      if (measured.count > 3) throw new Error(explain(`Members of ${size}`, measured));
      counts.push(measured.count);
    }
    expect(counts).toEqual([3, 3]);
  });

  it('Members without totalCount runs no count, and a later page runs the same statements', async () => {
    const { organisation } = organisations[1];
    const first = await measure(MEMBERS_NO_TOTAL, { organisationId: organisation.id, first: 10 }, organisation.owner.token);
    expect(first.statements.some((statement) => /count\(\*\)/i.test(statement))).toBe(false);
    expect(first.count).toBeLessThanOrEqual(3);
    const after = first.response.data.organisation.members.pageInfo.endCursor;
    const second = await measure(MEMBERS, { organisationId: organisation.id, first: 50, after }, organisation.owner.token);
    expect(second.response.data.organisation.members.totalCount).toBe(121);
    expect(second.response.data.organisation.members.edges).toHaveLength(50);
    if (second.count > 3) throw new Error(explain('Members after a cursor', second));
  });

  it('Members with a search and a role filter stays at 3', async () => {
    const { organisation } = organisations[1];
    const measured = await measure(MEMBERS, { organisationId: organisation.id, first: 50, filter: { search: 'person 0001' } }, organisation.owner.token);
    expect(measured.response.data.organisation.members.totalCount).toBeGreaterThan(0);
    if (measured.count > 3) throw new Error(explain('Members search', measured));
  });

  it('Viewer: 2 statements for 1 and for 3 memberships', async () => {
    const counts: number[] = [];
    const viewer = await memberWith(service, organisations[0].organisation.id, ['viewer']);
    counts.push((await measure(VIEWER, {}, viewer.token)).count);
    await addMember(service, organisations[1].organisation.id, viewer.userId, { builtInRoles: ['member', 'viewer'] });
    const third = await createOrganisation(service, admin);
    await addMember(service, third.id, viewer.userId, { builtInRoles: ['manager'] });
    const measured = await measure(VIEWER, {}, viewer.token);
    expect(measured.response.data.viewer.memberships).toHaveLength(3);
    expect(measured.response.data.viewer.memberships.every((membership: any) => membership.effectivePermissions.length > 0)).toBe(true);
    if (measured.count > 2) throw new Error(explain('Viewer', measured));
    counts.push(measured.count);
    expect(counts).toEqual([2, 2]);
  });

  it('TeamDetail: 5 statements for a team of 6 and of 121', async () => {
    const counts: number[] = [];
    for (const { size, organisation, teamId } of organisations) {
      const measured = await measure(TEAM_DETAIL, { id: teamId, first: 100 }, organisation.owner.token);
      const team = measured.response.data.team;
      expect(team.members.totalCount).toBe(size);
      expect(team.members.edges).toHaveLength(Math.min(size, 100));
      expect(team.members.edges.every((edge: any) => edge.node.member.user.email)).toBe(true);
      if (measured.count > 5) throw new Error(explain(`TeamDetail of ${size}`, measured));
      counts.push(measured.count);
    }
    expect(counts[0]).toBe(counts[1]);
  });

  it('_entities: one statement per type for 5 and for 120 Users, another organisation\'s users as null', async () => {
    const counts: number[] = [];
    const reader = organisations[1].organisation;
    for (const { organisation } of organisations) {
      const users: { user_id: string; visible: boolean }[] = await service.database.dataSource.query(
        `SELECT m.user_id, EXISTS (SELECT 1 FROM memberships r WHERE r.user_id = m.user_id AND r.organisation_id = $2) AS visible
         FROM memberships m WHERE m.organisation_id = $1 ORDER BY m.joined_at, m.id`,
        [organisation.id, reader.id],
      );
      const representations = users.map((row) => ({ __typename: 'User', id: row.user_id }));
      const measured = await measure(ENTITIES, { representations }, reader.owner.token);
      const entities = measured.response.data._entities;
      // The reader's organisation's users resolve; the other organisation's look missing.
      expect(entities.map((entity: any) => entity?.id ?? null)).toEqual(users.map((row) => (row.visible ? row.user_id : null)));
      if (organisation !== reader) expect(users.filter((row) => !row.visible).length).toBeGreaterThan(0);
      if (measured.count > 3) throw new Error(explain(`_entities of ${users.length}`, measured));
      counts.push(measured.count);
    }
    expect(counts[0]).toBe(counts[1]);
  });
});
