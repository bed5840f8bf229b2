import { MembershipEntity } from '../src/memberships/membership.entity';
import { RoleEntity } from '../src/roles/role.entity';
import { createOrganisation, memberWith, platformAdmin, type SignedInUser, type TestOrganisation } from './support/factories';
import { seedMembers } from './support/seed';
import { errorCodes, startTestService, type TestService } from './support/test-service';

/**
 * Cross-tenant matrix: an Admin of organisation A reaches nothing of organisation B, whatever the
 * entity and whatever the path (root field, nested field, alias, federation _entities).
 */
describe('cross-tenant access matrix', () => {
  let service: TestService;
  let a: TestOrganisation;
  let b: TestOrganisation;
  let adminOfA: SignedInUser & { membershipId: string };
  let ids: { organisation: string; user: string; membership: string; role: string; team: string };

  beforeAll(async () => {
    service = await startTestService();
    const platform = await platformAdmin(service);
    a = await createOrganisation(service, platform);
    b = await createOrganisation(service, platform);
    adminOfA = await memberWith(service, a.id, ['admin']);
    const seeded = await seedMembers(service.database.dataSource, b.id, { count: 1, rolesEach: 1, teamsEach: 1 });
    const membership = await service.database.dataSource.getRepository(MembershipEntity).findOneByOrFail({ id: seeded.membershipIds[0] });
    ids = { organisation: b.id, user: membership.userId, membership: membership.id, role: seeded.roleIds[0], team: seeded.teamIds[0] };
  });
  afterAll(() => service.stop());

  const ask = (query: string, variables: Record<string, unknown> = {}) => service.graphql(query, variables, adminOfA.token);

  it.each([
    ['organisation', 'query($id: ID!) { organisation(id: $id) { id name } }', 'organisation'],
    ['user', 'query($id: ID!) { user(id: $id) { id displayName } }', 'user'],
    ['team', 'query($id: ID!) { team(id: $id) { id name } }', 'team'],
  ])('root field %s of B is null', async (key, query, field) => {
    const response = await ask(query, { id: ids[key as keyof typeof ids] });
    expect(response.errors).toBeUndefined();
    expect(response.data[field]).toBeNull();
  });

  it('aliases change nothing', async () => {
    const response = await ask(
      `query($b: ID!, $a: ID!, $user: ID!) { mine: organisation(id: $a) { id } theirs: organisation(id: $b) { id members(first: 5) { totalCount } } person: user(id: $user) { id } }`,
      { a: a.id, b: b.id, user: ids.user },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ mine: { id: a.id }, theirs: null, person: null });
  });

  it('nested paths stay inside A', async () => {
    const response = await ask(`query($a: ID!) { organisation(id: $a) { members(first: 100) { edges { node { user { id memberships { organisation { id } } } } } } roles { id organisation { id } } teams(first: 100) { totalCount } } }`, { a: a.id });
    expect(response.errors).toBeUndefined();
    const organisationsSeen = new Set<string>();
    for (const edge of response.data.organisation.members.edges) for (const membership of edge.node.user.memberships) organisationsSeen.add(membership.organisation.id);
    for (const role of response.data.organisation.roles) organisationsSeen.add(role.organisation.id);
    expect([...organisationsSeen]).toEqual([a.id]);
  });

  it('the viewer sees their own memberships only', async () => {
    const response = await ask('{ viewer { memberships { organisation { id } } } }');
    expect(response.data.viewer.memberships.map((membership: any) => membership.organisation.id)).toEqual([a.id]);
  });

  it.each([
    ['Organisation', 'organisation', '... on Organisation { id name }'],
    ['User', 'user', '... on User { id displayName }'],
    ['Membership', 'membership', '... on Membership { id status }'],
    ['Role', 'role', '... on Role { id name }'],
    ['Team', 'team', '... on Team { id name }'],
  ])('_entities for a %s of B resolves to null', async (typename, key, selection) => {
    const response = await ask(`query($representations: [_Any!]!) { _entities(representations: $representations) { ${selection} } }`, {
      representations: [{ __typename: typename, id: ids[key as keyof typeof ids] }],
    });
    expect(response.errors).toBeUndefined();
    expect(response.data._entities).toEqual([null]);
  });

  it('_entities resolves A\'s own objects', async () => {
    const roleOfA = await service.database.dataSource.getRepository(RoleEntity).findOneByOrFail({ organisationId: a.id, builtInKey: 'viewer' });
    const response = await ask(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Organisation { id } ... on Membership { id } ... on Role { id name } } }`, {
      r: [{ __typename: 'Organisation', id: a.id }, { __typename: 'Membership', id: adminOfA.membershipId }, { __typename: 'Role', id: roleOfA.id }],
    });
    expect(response.errors).toBeUndefined();
    expect(response.data._entities).toEqual([{ id: a.id }, { id: adminOfA.membershipId }, { id: roleOfA.id, name: 'Viewer' }]);
  });

  it.each([
    ['updateOrganisation', 'mutation($id: ID!) { updateOrganisation(id: $id, input: { name: "Taken over" }) { id } }', () => ({ id: ids.organisation })],
    ['deactivateMember', 'mutation($id: ID!) { deactivateMember(membershipId: $id) { id } }', () => ({ id: ids.membership })],
    ['removeMember', 'mutation($id: ID!) { removeMember(membershipId: $id) }', () => ({ id: ids.membership })],
    ['updateRole', 'mutation($id: ID!) { updateRole(id: $id, input: { name: "x" }) { id } }', () => ({ id: ids.role })],
    ['deleteRole', 'mutation($id: ID!) { deleteRole(id: $id) }', () => ({ id: ids.role })],
    ['assignRoles', 'mutation($org: ID!, $m: ID!) { assignRoles(input: { organisationId: $org, membershipIds: [$m], roleIds: [], mode: REPLACE }) { id } }', () => ({ org: ids.organisation, m: ids.membership })],
    ['createRole', 'mutation($org: ID!) { createRole(input: { organisationId: $org, name: "x", permissions: [] }) { id } }', () => ({ org: ids.organisation })],
  ])('mutation %s on B looks like nothing is there', async (_name, mutation, variables) => {
    expect(errorCodes(await ask(mutation, variables()))).toEqual(['NOT_FOUND']);
  });

  it('an Admin of A reaches all of A', async () => {
    const response = await ask('query($a: ID!) { organisation(id: $a) { id settings { requireMfa } members(first: 1) { totalCount } } }', { a: a.id });
    expect(response.errors).toBeUndefined();
    expect(response.data.organisation.members.totalCount).toBe(2);
  });
});

describe('a Viewer reads but cannot change anything', () => {
  let service: TestService;
  let a: TestOrganisation;
  let viewer: SignedInUser & { membershipId: string };
  let target: SignedInUser & { membershipId: string };
  let roleId: string;

  beforeAll(async () => {
    service = await startTestService();
    const platform = await platformAdmin(service);
    a = await createOrganisation(service, platform);
    viewer = await memberWith(service, a.id, ['viewer']);
    target = await memberWith(service, a.id, ['member']);
    roleId = (await service.database.dataSource.getRepository(RoleEntity).findOneByOrFail({ organisationId: a.id, builtInKey: 'member' })).id;
  });
  afterAll(() => service.stop());

  it.each([
    ['updateOrganisation', 'mutation($id: ID!) { updateOrganisation(id: $id, input: { name: "Mine now" }) { id } }', () => ({ id: a.id })],
    ['approveMember', 'mutation($id: ID!) { approveMember(membershipId: $id) { id } }', () => ({ id: target.membershipId })],
    ['deactivateMember', 'mutation($id: ID!) { deactivateMember(membershipId: $id) { id } }', () => ({ id: target.membershipId })],
    ['reactivateMember', 'mutation($id: ID!) { reactivateMember(membershipId: $id) { id } }', () => ({ id: target.membershipId })],
    ['removeMember', 'mutation($id: ID!) { removeMember(membershipId: $id) }', () => ({ id: target.membershipId })],
    ['assignRoles', 'mutation($org: ID!, $m: ID!, $r: ID!) { assignRoles(input: { organisationId: $org, membershipIds: [$m], roleIds: [$r], mode: ADD }) { id } }', () => ({ org: a.id, m: viewer.membershipId, r: roleId })],
    ['createRole', 'mutation($org: ID!) { createRole(input: { organisationId: $org, name: "x", permissions: [] }) { id } }', () => ({ org: a.id })],
    ['updateRole', 'mutation($id: ID!) { updateRole(id: $id, input: { name: "x" }) { id } }', () => ({ id: roleId })],
    ['deleteRole', 'mutation($id: ID!) { deleteRole(id: $id) }', () => ({ id: roleId })],
  ])('%s is FORBIDDEN', async (_name, mutation, variables) => {
    expect(errorCodes(await service.graphql(mutation, variables(), viewer.token))).toEqual(['FORBIDDEN']);
  });

  it('reads members', async () => {
    const response = await service.graphql('query($a: ID!) { organisation(id: $a) { members(first: 5) { totalCount } } }', { a: a.id }, viewer.token);
    expect(response.errors).toBeUndefined();
    expect(response.data.organisation.members.totalCount).toBe(3);
  });
});
