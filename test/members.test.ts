import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { contractOperation } from './support/contract';
import { seedMembers } from './support/seed';
import { errorCodes, startTestService, type TestService } from './support/test-service';

const MEMBERS = contractOperation('Members');
const USER_DETAIL = contractOperation('UserDetail');

describe('members directory', () => {
  let service: TestService;
  let admin: SignedInUser;
  let organisation: TestOrganisation;
  let other: TestOrganisation;
  let seeded: Awaited<ReturnType<typeof seedMembers>>;

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
    organisation = await createOrganisation(service, admin);
    other = await createOrganisation(service, admin);
    seeded = await seedMembers(service.database.dataSource, organisation.id, { count: 30, rolesEach: 2, teamsEach: 1, prefix: 'dir' });
  });
  afterAll(() => service.stop());

  const members = (variables: Record<string, unknown>, token = organisation.owner.token) =>
    service.graphql(MEMBERS, { organisationId: organisation.id, ...variables }, token);

  it('serves the Members operation with roles, teams and users', async () => {
    const response = await members({ first: 5 });
    expect(response.errors).toBeUndefined();
    const connection = response.data.organisation.members;
    expect(connection.totalCount).toBe(31); // the owner and 30 seeded
    expect(connection.edges).toHaveLength(5);
    const seededRow = connection.edges.map((edge: any) => edge.node).find((node: any) => node.user.email?.startsWith('dir-'));
    expect(seededRow.roles).toHaveLength(2);
    expect(seededRow.teams).toEqual([expect.objectContaining({ role: 'MEMBER', team: expect.objectContaining({ id: seeded.teamIds[0] }) })]);
  });

  it('walks all pages with stable cursors', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const response: any = await members({ first: 7, after });
      expect(response.errors).toBeUndefined();
      const connection = response.data.organisation.members;
      seen.push(...connection.edges.map((edge: any) => edge.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(31);
    expect(new Set(seen).size).toBe(31);
  });

  it('filters by search (prefix and substring, case-insensitive), status, role and team', async () => {
    const byPrefix = await members({ first: 50, filter: { search: 'DIR-1' } });
    expect(byPrefix.data.organisation.members.totalCount).toBe(11); // dir-1, dir-10..dir-19
    const bySubstring = await members({ first: 50, filter: { search: 'person 0002' } });
    expect(bySubstring.data.organisation.members.edges.map((edge: any) => edge.node.user.displayName)).toEqual(
      expect.arrayContaining(['Dir Person 00020', 'Dir Person 00021']),
    );
    const literal = await members({ first: 50, filter: { search: '%' } });
    expect(literal.data.organisation.members.totalCount).toBe(0); // wildcards are literal
    const byRole = await members({ first: 50, filter: { roleId: seeded.roleIds[0] } });
    expect(byRole.data.organisation.members.totalCount).toBe(30);
    const byTeam = await members({ first: 50, filter: { teamId: seeded.teamIds[0] } });
    expect(byTeam.data.organisation.members.totalCount).toBe(30);
    const byStatus = await members({ first: 50, filter: { status: 'DEACTIVATED' } });
    expect(byStatus.data.organisation.members.totalCount).toBe(0);
  });

  it('orders by display name, email, joined date and last sign-in, both ways', async () => {
    const query = `query($id: ID!, $order: MemberOrder) { organisation(id: $id) { members(first: 100, orderBy: $order) { edges { node { user { displayName email lastSignInAt } } } } } }`;
    const names = async (field: string, direction: string) => {
      const response = await service.graphql(query, { id: organisation.id, order: { field, direction } }, organisation.owner.token);
      expect(response.errors).toBeUndefined();
      return response.data.organisation.members.edges.map((edge: any) => edge.node.user);
    };
    const ascending = (await names('DISPLAY_NAME', 'ASC')).map((user: any) => user.displayName.toLowerCase());
    expect(ascending).toEqual([...ascending].sort());
    const descending = (await names('EMAIL', 'DESC')).map((user: any) => user.email);
    expect(descending).toEqual([...descending].sort().reverse());
    const signIns = (await names('LAST_SIGN_IN_AT', 'DESC')).map((user: any) => user.lastSignInAt ?? '');
    expect(signIns).toEqual([...signIns].sort().reverse());
  });

  it('pages in descending order across cursors', async () => {
    const query = `query($id: ID!, $after: String) { organisation(id: $id) { members(first: 4, after: $after, orderBy: { field: LAST_SIGN_IN_AT, direction: DESC }) { pageInfo { hasNextPage endCursor } edges { node { id } } } } }`;
    const ids: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page += 1) {
      const response: any = await service.graphql(query, { id: organisation.id, after }, organisation.owner.token);
      expect(response.errors).toBeUndefined();
      ids.push(...response.data.organisation.members.edges.map((edge: any) => edge.node.id));
      if (!response.data.organisation.members.pageInfo.hasNextPage) break;
      after = response.data.organisation.members.pageInfo.endCursor;
    }
    expect(new Set(ids).size).toBe(31);
  });

  it('refuses a malformed cursor, a cursor of another list, and first > 100', async () => {
    expect(errorCodes(await members({ first: 5, after: 'garbage' }))).toEqual(['BAD_USER_INPUT']);
    const otherList = await service.graphql(MEMBERS, { organisationId: other.id, first: 1 }, other.owner.token);
    const foreignCursor = otherList.data.organisation.members.pageInfo.endCursor;
    expect(errorCodes(await members({ first: 5, after: foreignCursor }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await members({ first: 101 }))).toEqual(['BAD_USER_INPUT']);
  });

  it('hides emails without members:read-contact and sign-ins without access:review', async () => {
    const viewer = await memberWith(service, organisation.id, ['viewer']);
    const response = await members({ first: 3 }, viewer.token);
    // Hidden, not refused: null with no error (a client's default error policy keeps the page).
    expect(response.errors).toBeUndefined();
    const rows = response.data.organisation.members.edges.map((edge: any) => edge.node);
    expect(rows.every((row: any) => row.user.email === null && row.user.lastSignInAt === null && row.user.displayName)).toBe(true);
  });

  it('gives another organisation nothing', async () => {
    const response = await service.graphql(MEMBERS, { organisationId: organisation.id, first: 5 }, other.owner.token);
    expect(response.errors).toBeUndefined();
    expect(response.data.organisation).toBeNull();
  });

  it('shows a user only the memberships the viewer may read, plus their own', async () => {
    const person = await signIn(service);
    await memberWithExisting(service, organisation.id, person, ['member']);
    await memberWithExisting(service, other.id, person, ['viewer']);
    const fromOrganisationAdmin = await service.graphql(USER_DETAIL, { id: person.userId }, organisation.owner.token);
    expect(fromOrganisationAdmin.errors).toBeUndefined();
    expect(fromOrganisationAdmin.data.user.memberships.map((membership: any) => membership.organisation.id)).toEqual([organisation.id]);
    const self = await service.graphql(USER_DETAIL, { id: person.userId }, person.token);
    expect(self.errors).toBeUndefined();
    expect(self.data.user.memberships.map((membership: any) => membership.organisation.id).sort()).toEqual([organisation.id, other.id].sort());
    const stranger = await signIn(service);
    expect((await service.graphql(USER_DETAIL, { id: person.userId }, stranger.token)).data.user).toBeNull();
  });
});

async function memberWithExisting(service: TestService, organisationId: string, user: SignedInUser, roles: string[]) {
  const { addMember } = await import('./support/factories');
  return addMember(service, organisationId, user.userId, { builtInRoles: roles });
}

describe('statements per Members request do not grow with the page', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  it('runs the same number of statements (≤ 3) for 10 and for 100 members with 3 roles and 2 teams each', async () => {
    const admin = await platformAdmin(service);
    const counts: number[] = [];
    for (const size of [10, 100]) {
      const organisation = await createOrganisation(service, admin);
      await seedMembers(service.database.dataSource, organisation.id, { count: size, rolesEach: 3, teamsEach: 2 });
      const { response, count, statements } = await service.countStatements(MEMBERS, { organisationId: organisation.id, first: 100 }, organisation.owner.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.organisation.members.edges.length).toBe(Math.min(size + 1, 100));
      expect(response.data.organisation.members.edges.filter((edge: any) => edge.node.roles.length === 3 && edge.node.teams.length === 2)).toHaveLength(Math.min(size, 99));
      counts.push(count);
      process.stdout.write(`Members page of ${size}: ${count} SQL statements\n`);
      if (count > 3) throw new Error(`${count} statements:\n${statements.join('\n')}`);
    }
    expect(counts[0]).toBe(counts[1]);
    expect(counts[1]).toBeLessThanOrEqual(3);
  });
});
