import { contractOperation } from './support/contract';
import { addMember, createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { seedMembers } from './support/seed';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

const AUDIT_LOG = contractOperation('AuditLog');
const CREATE_ROLE = contractOperation('CreateRole');
const UPDATE_ROLE = contractOperation('UpdateRole');
const ASSIGN_ROLES = contractOperation('AssignRoles');
const DEACTIVATE = contractOperation('DeactivateMember');
const REACTIVATE = contractOperation('ReactivateMember');
const REMOVE = contractOperation('RemoveMember');

interface EventNode {
  id: string;
  action: string;
  occurredAt: string;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
  actor: { id: string; displayName: string } | null;
}

describe('audit log', () => {
  let service: TestService;
  let admin: SignedInUser;
  let orgA: TestOrganisation;
  let orgB: TestOrganisation;
  let adminOfA: SignedInUser & { membershipId: string };
  let viewerOfA: SignedInUser & { membershipId: string };
  let auditor: SignedInUser & { membershipId: string };
  let leaver: SignedInUser & { membershipId: string };
  let leaverRoleId: string;
  let roleId: string;
  let orgBRoleId: string;

  const ok = <T = any>(response: GraphQLResponse<T>): T => {
    expect(response.errors).toBeUndefined();
    return response.data as T;
  };
  const log = (variables: Record<string, unknown>, token = adminOfA.token, organisationId = orgA.id) =>
    service.graphql(AUDIT_LOG, { organisationId, ...variables }, token);
  const events = async (variables: Record<string, unknown>, token?: string): Promise<{ totalCount: number; nodes: EventNode[]; endCursor: string | null; hasNextPage: boolean }> => {
    const connection = ok(await log(variables, token)).organisation.auditLog;
    return { totalCount: connection.totalCount, nodes: connection.edges.map((edge: any) => edge.node), endCursor: connection.pageInfo.endCursor, hasNextPage: connection.pageInfo.hasNextPage };
  };
  const createRole = async (organisationId: string, token: string, name: string, permissions: string[]) =>
    ok(await service.graphql(CREATE_ROLE, { input: { organisationId, name, description: 'test', permissions } }, token)).createRole.id as string;
  const assign = async (organisationId: string, token: string, membershipIds: string[], roleIds: string[]) =>
    ok(await service.graphql(ASSIGN_ROLES, { input: { organisationId, membershipIds, roleIds, mode: 'ADD' } }, token));

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
    orgA = await createOrganisation(service, admin);
    orgB = await createOrganisation(service, admin);
    adminOfA = await memberWith(service, orgA.id, ['admin']);
    viewerOfA = await memberWith(service, orgA.id, ['viewer']);
    // An auditor holds audit:read only: no members:read, so members are otherwise invisible to them.
    auditor = await memberWith(service, orgA.id, [], { name: 'Audrey Auditor' });
    const auditorRole = await createRole(orgA.id, orgA.owner.token, 'Auditor', ['audit:read']);
    await assign(orgA.id, orgA.owner.token, [auditor.membershipId], [auditorRole]);
    // A member who acts, then leaves: the log must still say who they were.
    leaver = await memberWith(service, orgA.id, [], { name: 'Lee Leaver' });
    leaverRoleId = await createRole(orgA.id, orgA.owner.token, 'Role clerk', ['roles:manage', 'members:read']);
    await assign(orgA.id, orgA.owner.token, [leaver.membershipId], [leaverRoleId]);
    roleId = await createRole(orgA.id, leaver.token, 'Support', ['members:read']);
    ok(await service.graphql(UPDATE_ROLE, { id: roleId, input: { description: 'Support staff' } }, adminOfA.token));
    ok(await service.graphql(DEACTIVATE, { membershipId: viewerOfA.membershipId }, adminOfA.token));
    ok(await service.graphql(REACTIVATE, { membershipId: viewerOfA.membershipId }, adminOfA.token));
    ok(await service.graphql(REMOVE, { membershipId: leaver.membershipId }, orgA.owner.token));
    orgBRoleId = await createRole(orgB.id, orgB.owner.token, 'Elsewhere', ['members:read']);
  });
  afterAll(() => service.stop());

  it('serves the AuditLog operation newest first, with details and actors', async () => {
    const { totalCount, nodes } = await events({ first: 100 });
    expect(totalCount).toBe(nodes.length);
    expect(nodes.map((node) => node.occurredAt)).toEqual([...nodes.map((node) => node.occurredAt)].sort().reverse());
    expect(nodes[0]).toMatchObject({ action: 'member.removed', targetType: 'Membership', targetId: leaver.membershipId, actor: { id: orgA.owner.userId } });
    const created = nodes.find((node) => node.action === 'role.created' && node.targetId === roleId) as EventNode;
    expect(created.details).toEqual({ name: 'Support', permissions: ['members:read'] });
    expect(created.actor).toEqual({ id: leaver.userId, displayName: 'Lee Leaver' });
    const organisationCreated = nodes.find((node) => node.action === 'organisation.created') as EventNode;
    expect(organisationCreated.actor?.id).toBe(admin.userId); // a platform administrator, never a member
    // Nothing of another organisation.
    expect(nodes.some((node) => node.targetId === orgBRoleId || node.targetId === orgB.id)).toBe(false);
  });

  it('walks every page with stable cursors', async () => {
    const all = await events({ first: 100 });
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 50; page += 1) {
      const current: Awaited<ReturnType<typeof events>> = await events({ first: 2, after });
      expect(current.totalCount).toBe(all.totalCount);
      seen.push(...current.nodes.map((node) => node.id));
      if (!current.hasNextPage) break;
      after = current.endCursor;
    }
    expect(seen).toEqual(all.nodes.map((node) => node.id));
  });

  it('pages events written in the same microsecond-precise instant without repeats', async () => {
    const organisation = await createOrganisation(service, admin);
    // Ten events sharing one timestamp: the id breaks the tie.
    await service.database.dataSource.query(
      `INSERT INTO audit_events (organisation_id, action, target_type, occurred_at)
       SELECT $1, 'test.same-instant', 'Test', '2024-05-01T10:00:00.123456Z' FROM generate_series(1, 10)`,
      [organisation.id],
    );
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const response: any = await log({ first: 3, after, filter: { action: 'test.same-instant' } }, organisation.owner.token, organisation.id);
      const connection = ok(response).organisation.auditLog;
      seen.push(...connection.edges.map((edge: any) => edge.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(10);
    expect(new Set(seen).size).toBe(10);
  });

  it('filters by exact action, action prefix, actor, target and time window', async () => {
    const exact = await events({ first: 100, filter: { action: 'role.created' } });
    expect(exact.totalCount).toBe(3); // Auditor, Role clerk, Support
    expect(exact.nodes.every((node) => node.action === 'role.created')).toBe(true);
    expect(exact.nodes.map((node) => node.targetId)).toEqual(expect.arrayContaining([roleId, leaverRoleId]));
    const members = await events({ first: 100, filter: { action: 'member.' } });
    expect(new Set(members.nodes.map((node) => node.action))).toEqual(new Set(['member.joined', 'member.roles-assigned', 'member.deactivated', 'member.reactivated', 'member.removed']));
    expect((await events({ first: 100, filter: { action: 'member' } })).totalCount).toBe(0); // not a prefix without the dot
    expect((await events({ first: 100, filter: { action: 'mem%.' } })).totalCount).toBe(0); // wildcards are literal
    const byActor = await events({ first: 100, filter: { actorId: leaver.userId } });
    expect(byActor.nodes.map((node) => node.action)).toEqual(['role.created']);
    const byTarget = await events({ first: 100, filter: { targetType: 'Role', targetId: roleId } });
    expect(byTarget.nodes.map((node) => node.action)).toEqual(['role.updated', 'role.created']);
    const all = await events({ first: 100 });
    const middle = all.nodes[Math.floor(all.nodes.length / 2)];
    const since = await events({ first: 100, filter: { since: middle.occurredAt } });
    expect(since.nodes.every((node) => node.occurredAt >= middle.occurredAt)).toBe(true);
    expect(since.nodes.map((node) => node.id)).toContain(middle.id);
    const until = await events({ first: 100, filter: { until: middle.occurredAt } });
    expect(until.nodes.every((node) => node.occurredAt < middle.occurredAt)).toBe(true);
    expect(since.totalCount + until.totalCount).toBe(all.totalCount);
    // Filters and cursors combine.
    const firstPage = await events({ first: 1, filter: { action: 'member.' } });
    const secondPage = await events({ first: 10, after: firstPage.endCursor, filter: { action: 'member.' } });
    expect(secondPage.totalCount).toBe(members.totalCount);
    expect([...firstPage.nodes, ...secondPage.nodes].map((node) => node.id)).toEqual(members.nodes.map((node) => node.id));
  });

  it("shows an auditor who acted, even a former member, but no more of them than that", async () => {
    const { nodes } = await events({ first: 100, filter: { actorId: leaver.userId } }, auditor.token);
    expect(nodes[0].actor).toEqual({ id: leaver.userId, displayName: 'Lee Leaver' });
    const wider = await service.graphql(
      `query($id: ID!) { organisation(id: $id) { auditLog(first: 1, filter: { action: "role.created", actorId: "${leaver.userId}" }) { edges { node { actor { id email lastSignInAt } } } } } }`,
      { id: orgA.id },
      auditor.token,
    );
    // Contact details and sign-in times hidden from the auditor: null, with no error (redacted fields).
    expect(errorCodes(wider)).toEqual([]);
    expect(wider.data.organisation.auditLog.edges[0].node.actor).toEqual({ id: leaver.userId, email: null, lastSignInAt: null });
    // The user path stays closed to the auditor (no members:read).
    expect((await service.graphql('query($id: ID!) { user(id: $id) { id } }', { id: adminOfA.userId }, auditor.token)).data.user).toBeNull();
  });

  it('records ids, not email addresses, in details', async () => {
    const query = `query($id: ID!) { organisation(id: $id) { auditLog(first: 1, filter: { action: "organisation.created" }) { edges { node { details } } } } }`;
    const forAdmin = await service.graphql(query, { id: orgA.id }, adminOfA.token);
    expect(forAdmin.data.organisation.auditLog.edges[0].node.details).toMatchObject({ ownerUserId: orgA.owner.userId });
    expect(JSON.stringify(forAdmin.data.organisation.auditLog.edges[0].node.details)).not.toContain('@');
  });

  it('hides email addresses in details (older events, free text) from readers without members:read-contact', async () => {
    await service.database.dataSource.query(
      `INSERT INTO audit_events (organisation_id, action, target_type, details) VALUES ($1, 'test.legacy-email', 'Organisation', $2)`,
      [orgA.id, JSON.stringify({ ownerEmail: orgA.owner.email, note: `team "ops for ${orgA.owner.email}"` })],
    );
    const query = `query($id: ID!) { organisation(id: $id) { auditLog(first: 1, filter: { action: "test.legacy-email" }) { edges { node { details } } } } }`;
    const forAuditor = await service.graphql(query, { id: orgA.id }, auditor.token);
    expect(forAuditor.errors).toBeUndefined();
    expect(forAuditor.data.organisation.auditLog.edges[0].node.details).toEqual({ ownerEmail: '[email hidden]', note: 'team "ops for [email hidden]"' });
    const forAdmin = await service.graphql(query, { id: orgA.id }, adminOfA.token);
    expect(forAdmin.data.organisation.auditLog.edges[0].node.details.ownerEmail).toBe(orgA.owner.email);
  });

  it('refuses callers without audit:read, and other organisations', async () => {
    const viewer = await log({ first: 5 }, viewerOfA.token);
    expect(errorCodes(viewer)).toEqual(['FORBIDDEN']);
    expect(viewer.data.organisation).toEqual({ id: orgA.id, auditLog: null });
    // Admin of A asking about B: B looks like nothing.
    const crossTenant = await log({ first: 5 }, adminOfA.token, orgB.id);
    expect(crossTenant.errors).toBeUndefined();
    expect(crossTenant.data.organisation).toBeNull();
    expect(errorCodes(await service.graphql(AUDIT_LOG, { organisationId: orgA.id }))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses bad input', async () => {
    const bad = async (variables: Record<string, unknown>) => errorCodes(await log(variables));
    expect(await bad({ first: 101 })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ first: -1 })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ after: 'not-a-cursor' })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ filter: { actorId: 'nobody' } })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ filter: { action: '  ' } })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ filter: { since: '2025-02-01T00:00:00Z', until: '2025-01-01T00:00:00Z' } })).toEqual(['BAD_USER_INPUT']);
    expect((await bad({ filter: { since: 'yesterday' } })).every((code) => code === 'BAD_USER_INPUT')).toBe(true);
    // A cursor of A's log is not a cursor of B's log.
    const { endCursor } = await events({ first: 1 });
    expect(errorCodes(await log({ first: 1, after: endCursor }, orgB.owner.token, orgB.id))).toEqual(['BAD_USER_INPUT']);
  });

  it('keeps statements per page constant whatever the number of events and actors', async () => {
    const counts: number[] = [];
    for (const size of [4, 60]) {
      const organisation = await createOrganisation(service, admin);
      const reader = await signIn(service);
      await addMember(service, organisation.id, reader.userId, { builtInRoles: ['admin'] });
      const { membershipIds } = await seedMembers(service.database.dataSource, organisation.id, { count: size, prefix: `audit${size}` });
      // One event per seeded member, each by a different actor (some of whom then leave).
      await service.database.dataSource.query(
        `INSERT INTO audit_events (organisation_id, actor_user_id, action, target_type, target_id, details, occurred_at)
         SELECT $1, m.user_id, 'member.approved', 'Membership', m.id::text, jsonb_build_object('n', n), now() - (n || ' seconds')::interval
         FROM unnest($2::uuid[]) WITH ORDINALITY AS s(id, n) JOIN memberships m ON m.id = s.id`,
        [organisation.id, membershipIds],
      );
      await service.database.dataSource.query('DELETE FROM memberships WHERE id = ANY($1::uuid[])', [membershipIds.slice(0, size / 2)]);
      const { response, count, statements } = await service.countStatements(AUDIT_LOG, { organisationId: organisation.id, first: 100 }, reader.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.organisation.auditLog.edges.length).toBe(size + 2); // and organisation.created, member.joined (the owner)
      expect(response.data.organisation.auditLog.edges.filter((edge: any) => edge.node.actor?.displayName)).toHaveLength(size + 2);
      counts.push(count);
      process.stdout.write(`AuditLog page of ${size + 2} events: ${count} SQL statements\n`);
      if (count > 4) throw new Error(`${count} statements:\n${statements.join('\n')}`);
    }
    expect(counts[0]).toBe(counts[1]);
  });
});
