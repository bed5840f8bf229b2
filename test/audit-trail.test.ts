import { randomUUID } from 'node:crypto';
import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { startTestService, type GraphQLResponse, type TestService } from './support/test-service';

const LOG = `query($organisationId: ID!, $filter: AuditFilter, $first: Int) {
  organisation(id: $organisationId) { auditLog(first: $first, filter: $filter) { totalCount edges { node {
    id action targetType targetId requestId details
    target { __typename ... on Membership { id status } ... on Team { id name } ... on Role { id name } ... on Invitation { id } ... on Organisation { id name } ... on User { id displayName } }
  } } } }
}`;
const ASSIGN = `mutation($input: AssignRolesInput!) { assignRoles(input: $input) { id } }`;
const CREATE_TEAM = `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`;
const DELETE_TEAM = `mutation($id: ID!) { deleteTeam(id: $id) }`;
const CREATE_ROLE = `mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`;
const IMPORT = `mutation($input: ImportMembersInput!) { importMembers(input: $input) { created updated } }`;

describe('audit trail', () => {
  let service: TestService;
  let admin: SignedInUser;
  let orgA: TestOrganisation;
  let orgB: TestOrganisation;

  const ok = <T = any>(response: GraphQLResponse<T>): T => {
    expect(response.errors).toBeUndefined();
    return response.data as T;
  };
  const sql = (text: string, parameters: unknown[] = []) => service.database.dataSource.query(text, parameters);
  const log = async (filter: Record<string, unknown>, token = orgA.owner.token, organisationId = orgA.id) =>
    ok(await service.graphql(LOG, { organisationId, filter, first: 100 }, token)).organisation.auditLog.edges.map((edge: any) => edge.node);
  const builtIn = async (organisationId: string, key: string) => (await sql('SELECT id FROM roles WHERE organisation_id = $1 AND built_in_key = $2', [organisationId, key]))[0].id as string;

  beforeAll(async () => {
    service = await startTestService({ LAST_SIGN_IN_INTERVAL_SECONDS: '3600' });
    admin = await platformAdmin(service);
    orgA = await createOrganisation(service, admin);
    orgB = await createOrganisation(service, admin);
  });
  afterAll(() => service.stop());

  it('records the request id of each change; auditLog filters by it', async () => {
    const requestId = randomUUID();
    const response = await service.graphql(CREATE_TEAM, { input: { organisationId: orgA.id, name: `Req ${requestId.slice(0, 6)}` } }, orgA.owner.token, { 'x-request-id': requestId });
    const teamId = ok(response).createTeam.id;
    const events = await log({ requestId });
    expect(events.map((event: any) => [event.action, event.targetId, event.requestId])).toEqual([['team.created', teamId, requestId]]);
    expect(await log({ requestId: randomUUID() })).toEqual([]);
    // Another organisation's log knows nothing of it.
    expect(await log({ requestId }, orgB.owner.token, orgB.id)).toEqual([]);
  });

  it('assignRoles writes one event per member with its membership as target, in one statement whatever the number of members', async () => {
    const members = await Promise.all([1, 2, 3].map(() => memberWith(service, orgA.id, ['member'])));
    const viewer = await builtIn(orgA.id, 'viewer');
    const requestId = randomUUID();
    ok(await service.graphql(ASSIGN, { input: { organisationId: orgA.id, membershipIds: members.map((member) => member.membershipId), roleIds: [viewer], mode: 'ADD' } }, orgA.owner.token, { 'x-request-id': requestId }));
    const events = await log({ requestId, action: 'member.roles-assigned' });
    expect(events.map((event: any) => event.targetId).sort()).toEqual(members.map((member) => member.membershipId).sort());
    for (const event of events) {
      expect(event.target).toEqual({ __typename: 'Membership', id: event.targetId, status: 'ACTIVE' });
      expect(event.details).toMatchObject({ mode: 'ADD', roleIds: [viewer], added: [viewer], removed: [] });
    }
    const statements = async (count: number) => {
      const some = await Promise.all(Array.from({ length: count }, () => memberWith(service, orgA.id, [])));
      const measured = await service.countStatements(ASSIGN, { input: { organisationId: orgA.id, membershipIds: some.map((member) => member.membershipId), roleIds: [viewer], mode: 'ADD' } }, orgA.owner.token);
      expect(measured.response.errors).toBeUndefined();
      return measured.count;
    };
    expect(await statements(8)).toBe(await statements(1));
  });

  it('importMembers writes a members.imported summary besides the per-member events, recorded with the same request', async () => {
    const requestId = randomUUID();
    const csv = `email,name,initial_roles\nimp-${requestId.slice(0, 8)}-1@example.com,One,Member\nimp-${requestId.slice(0, 8)}-2@example.com,Two,Viewer\n`;
    const result = ok(await service.graphql(IMPORT, { input: { organisationId: orgA.id, csv } }, orgA.owner.token, { 'x-request-id': requestId })).importMembers;
    expect(result).toEqual({ created: 2, updated: 0 });
    const events = await log({ requestId, action: 'member' + 's.imported' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ targetType: 'Organisation', targetId: orgA.id, target: { __typename: 'Organisation', id: orgA.id }, details: { rows: 2, created: 2, updated: 0, skipped: 0, usersCreated: 2 } });
    expect(await log({ requestId, action: 'member.imported' })).toHaveLength(2);
    // A dry run records nothing.
    ok(await service.graphql(`mutation($input: ImportMembersInput!) { importMembers(input: $input) { created } }`, { input: { organisationId: orgA.id, csv, dryRun: true } }, orgA.owner.token, { 'x-request-id': randomUUID() }));
  });

  it('AuditEvent.target: the object while it exists and the reader may see it; null when gone, not visible or of another organisation', async () => {
    const teamId = ok(await service.graphql(CREATE_TEAM, { input: { organisationId: orgA.id, name: `Target ${randomUUID().slice(0, 6)}` } }, orgA.owner.token)).createTeam.id;
    const roleId = ok(await service.graphql(CREATE_ROLE, { input: { organisationId: orgA.id, name: `Auditor ${randomUUID().slice(0, 6)}`, description: 'x', permissions: ['audit:read'] } }, orgA.owner.token)).createRole.id;
    const [created] = await log({ action: 'team.created', targetId: teamId });
    expect(created.target).toMatchObject({ __typename: 'Team', id: teamId });
    // An auditor with audit:read only: sees the events, the role (every active member reads role names), but not the team (no teams:read).
    const auditor = await memberWith(service, orgA.id, []);
    ok(await service.graphql(ASSIGN, { input: { organisationId: orgA.id, membershipIds: [auditor.membershipId], roleIds: [roleId], mode: 'ADD' } }, orgA.owner.token));
    const [seenByAuditor] = await log({ action: 'team.created', targetId: teamId }, auditor.token);
    expect(seenByAuditor).toMatchObject({ targetId: teamId, target: null });
    const [roleEvent] = await log({ action: 'role.created', targetId: roleId }, auditor.token);
    expect(roleEvent.target).toMatchObject({ __typename: 'Role', id: roleId });
    // Gone: null, and the event keeps its id.
    ok(await service.graphql(DELETE_TEAM, { id: teamId }, orgA.owner.token));
    const [afterDelete] = await log({ action: 'team.created', targetId: teamId });
    expect(afterDelete).toMatchObject({ targetId: teamId, target: null });
    // An event of A naming B's team (forged in the database): never B's object.
    const teamOfB = ok(await service.graphql(CREATE_TEAM, { input: { organisationId: orgB.id, name: 'B team' } }, orgB.owner.token)).createTeam.id;
    const memberOfBoth = await memberWith(service, orgA.id, ['owner']);
    await sql('INSERT INTO memberships (organisation_id, user_id, status) VALUES ($1, $2, $3)', [orgB.id, memberOfBoth.userId, 'ACTIVE']);
    await sql(`INSERT INTO audit_events (organisation_id, action, target_type, target_id) VALUES ($1, 'forged.event', 'Team', $2), ($1, 'forged.event', 'Organisation', $3), ($1, 'forged.event', 'User', $4)`, [orgA.id, teamOfB, orgB.id, orgB.owner.userId]);
    const forged = await log({ action: 'forged.event' }, memberOfBoth.token);
    expect(forged.map((event: any) => event.targetType).sort()).toEqual(['Organisation', 'Team', 'User']);
    expect(forged.map((event: any) => event.target)).toEqual([null, null, null]);
  });

  it('targets resolve in a constant number of statements whatever the number of events', async () => {
    const reader = await memberWith(service, orgB.id, ['owner']);
    const teams = async (count: number) => {
      for (let index = 0; index < count; index += 1) ok(await service.graphql(CREATE_TEAM, { input: { organisationId: orgB.id, name: `Counted ${randomUUID().slice(0, 8)}` } }, orgB.owner.token));
      const measured = await service.countStatements(LOG, { organisationId: orgB.id, first: 100 }, reader.token);
      expect(measured.response.errors).toBeUndefined();
      return measured.count;
    };
    const few = await teams(1);
    const many = await teams(10);
    process.stdout.write(`AuditLog with targets: ${few} statements, ${many} after 10 more events\n`);
    expect(many).toBe(few);
  });

  it('sign-ins: member.signed_in in each organisation where the user is an active member, throttled like lastSignInAt, in one statement', async () => {
    const person = await signIn(service);
    const inA = await (async () => (await sql('INSERT INTO memberships (organisation_id, user_id, status) VALUES ($1, $2, $3) RETURNING id', [orgA.id, person.userId, 'ACTIVE']))[0].id)();
    const inB = (await sql('INSERT INTO memberships (organisation_id, user_id, status) VALUES ($1, $2, $3) RETURNING id', [orgB.id, person.userId, 'DEACTIVATED']))[0].id;
    const signIns = () => sql(`SELECT organisation_id, target_id, actor_user_id, request_id FROM audit_events WHERE action = 'member.signed_in' AND actor_user_id = $1`, [person.userId]);
    // The sign-in interval has not passed: nothing new.
    ok(await service.graphql('{ viewer { isPlatformAdmin } }', {}, person.token));
    expect(await signIns()).toEqual([]);
    // Stale: the next request records it once, in A (active) only, with its request id.
    await sql(`UPDATE users SET last_sign_in_at = now() - interval '2 hours' WHERE id = $1`, [person.userId]);
    const requestId = randomUUID();
    const token = await service.token({ subject: person.subject, email: person.email });
    ok(await service.graphql('{ viewer { isPlatformAdmin } }', {}, token, { 'x-request-id': requestId }));
    await Promise.all([1, 2, 3].map(() => service.graphql('{ viewer { isPlatformAdmin } }', {}, token)));
    expect(await signIns()).toEqual([{ organisation_id: orgA.id, target_id: inA, actor_user_id: person.userId, request_id: requestId }]);
    expect(inB).toBeDefined();
    // Readable in A's log with the membership as target; B (deactivated there) has none.
    const [event] = await log({ action: 'member.signed_in', actorId: person.userId });
    expect(event).toMatchObject({ targetType: 'Membership', targetId: inA, target: { __typename: 'Membership', id: inA } });
    expect(await log({ action: 'member.signed_in', actorId: person.userId }, orgB.owner.token, orgB.id)).toEqual([]);
    // A suspended organisation records no sign-in (its members are refused).
    ok(await service.graphql(`mutation($id: ID!) { suspendOrganisation(id: $id) { id } }`, { id: orgA.id }, admin.token));
    await sql(`UPDATE users SET last_sign_in_at = now() - interval '2 hours' WHERE id = $1`, [person.userId]);
    ok(await service.graphql('{ viewer { isPlatformAdmin } }', {}, token));
    expect(await signIns()).toHaveLength(1);
    ok(await service.graphql(`mutation($id: ID!) { reactivateOrganisation(id: $id) { id } }`, { id: orgA.id }, admin.token));
    // The sign-in write is one statement (update and events together).
    await sql(`UPDATE users SET last_sign_in_at = now() - interval '2 hours' WHERE id = $1`, [person.userId]);
    const { queryCounter } = await import('../src/core/database/query-counter');
    const measuredId = randomUUID();
    const { count, statements } = await queryCounter.measureRequest(measuredId, () => service.graphql('{ viewer { isPlatformAdmin } }', {}, token, { 'x-request-id': measuredId }));
    expect(statements.filter((statement) => /audit_events/.test(statement))).toHaveLength(1);
    expect(statements.filter((statement) => /UPDATE users/.test(statement))).toHaveLength(1);
    expect(count).toBeLessThanOrEqual(3);
  });
});
