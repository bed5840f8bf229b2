import { AuditEventEntity } from '../src/audit/audit-event.entity';
import { OrganisationEntity } from '../src/organisations/organisation.entity';
import { RoleEntity } from '../src/roles/role.entity';
import { addMember, createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { expectNothingWritten } from './support/nothing-written';
import { errorCodes, startTestService, type TestService } from './support/test-service';

const UPDATE = `mutation($id: ID!, $input: UpdateOrganisationInput!) {
  updateOrganisation(id: $id, input: $input) { id name settings { requireMfa mfaPolicy { requiredForRoleIds requiredForAll graceUntil } } }
}`;
const SETTINGS = 'query($id: ID!) { organisation(id: $id) { id settings { requireMfa mfaPolicy { requiredForRoleIds requiredForAll graceUntil } } } }';
const PERMISSIONS = 'query($id: ID!) { organisation(id: $id) { id viewerPermissions settings { invitationExpiryDays } } }';
const ROLES = 'query($id: ID!) { organisation(id: $id) { id roles { name } } }';
const OWN_DUE = '{ viewer { memberships { id organisation { id } mfaEnrolmentDue } } }';
const MEMBERS = `query($id: ID!) {
  organisation(id: $id) { members(first: 50) { edges { node { id mfaEnrolmentDue user { id } roles { name } teams { team { name } } } } } }
}`;
const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Membership { id status effectivePermissions }
    ... on Organisation { id settings { mfaPolicy { requiredForRoleIds } } }
  }
}`;
const EXPLAIN = `query($organisationId: ID!, $userId: ID!, $permission: String!) {
  explainAccess(organisationId: $organisationId, userId: $userId, permission: $permission) {
    granted reason mfaRequired paths { role { name } team { name } withheldByMfa }
  }
}`;

const HOUR = 3_600_000;
const future = () => new Date(Date.now() + 24 * HOUR).toISOString();
const past = () => new Date(Date.now() - HOUR).toISOString();

describe('MFA policy per role with a grace period', () => {
  let service: TestService;
  let admin: SignedInUser;
  let org: TestOrganisation;
  let other: TestOrganisation;
  let roleIds: Record<string, string>;
  let foreignRoleId: string;
  /** Admin and Viewer, directly. */
  let adminMember: SignedInUser & { membershipId: string };
  /** Viewer directly, Admin through a team. */
  let teamAdmin: SignedInUser & { membershipId: string };
  /** Viewer only: outside a policy on Admin. */
  let viewer: SignedInUser & { membershipId: string };
  let ownerMembershipId: string;
  let otherAdmin: SignedInUser & { membershipId: string };

  const db = () => service.database.dataSource;
  const strong = (user: SignedInUser) => service.token({ subject: user.subject, email: user.email, amr: ['pwd', 'otp'] });
  const organisationRow = (id: string) => db().getRepository(OrganisationEntity).findOneByOrFail({ id });
  const setPolicy = async (mfaPolicy: Record<string, unknown>) => {
    const response = await service.graphql(UPDATE, { id: org.id, input: { mfaPolicy } }, await strong(org.owner));
    expect(response.errors).toBeUndefined();
    return response.data.updateOrganisation.settings;
  };

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
    org = await createOrganisation(service, admin);
    other = await createOrganisation(service, admin);
    const roles = await db().getRepository(RoleEntity).findBy({ organisationId: org.id });
    roleIds = Object.fromEntries(roles.map((role) => [role.builtInKey as string, role.id]));
    foreignRoleId = (await db().getRepository(RoleEntity).findOneByOrFail({ organisationId: other.id, builtInKey: 'admin' })).id;
    adminMember = await memberWith(service, org.id, ['admin', 'viewer']);
    viewer = await memberWith(service, org.id, ['viewer']);
    teamAdmin = await memberWith(service, org.id, ['viewer']);
    const [{ id: teamId }] = await db().query(`INSERT INTO teams (organisation_id, name) VALUES ($1, 'Admins') RETURNING id`, [org.id]);
    await db().query('INSERT INTO team_roles (team_id, role_id, organisation_id) VALUES ($1, $2, $3)', [teamId, roleIds.admin, org.id]);
    await db().query(`INSERT INTO team_members (team_id, membership_id, organisation_id, role) VALUES ($1, $2, $3, 'MEMBER')`, [teamId, teamAdmin.membershipId, org.id]);
    [{ id: ownerMembershipId }] = await db().query('SELECT id FROM memberships WHERE organisation_id = $1 AND user_id = $2', [org.id, org.owner.userId]);
    otherAdmin = await memberWith(service, other.id, ['admin']);
  });
  afterAll(() => service.stop());

  afterEach(async () => {
    // Back to no policy, written directly so a failing test cannot leave the next one locked out.
    await db().query(`UPDATE organisations SET require_mfa = false, mfa_required_role_ids = '{}', mfa_grace_until = NULL WHERE id = $1`, [org.id]);
  });

  it('starts with no policy: nothing required, nobody due', async () => {
    const response = await service.graphql(SETTINGS, { id: org.id }, org.owner.token);
    expect(response.data.organisation.settings).toEqual({ requireMfa: false, mfaPolicy: { requiredForRoleIds: [], requiredForAll: false, graceUntil: null } });
    const due = await service.graphql(OWN_DUE, {}, adminMember.token);
    expect(due.data.viewer.memberships).toEqual([{ id: adminMember.membershipId, organisation: { id: org.id }, mfaEnrolmentDue: false }]);
  });

  it('stores, audits and announces the policy; a partial input keeps the other fields', async () => {
    const graceUntil = future();
    const settings = await setPolicy({ requiredForRoleIds: [roleIds.admin, roleIds.admin], graceUntil });
    expect(settings).toEqual({ requireMfa: false, mfaPolicy: { requiredForRoleIds: [roleIds.admin], requiredForAll: false, graceUntil } });
    const row = await organisationRow(org.id);
    expect(row.mfaRequiredRoleIds).toEqual([roleIds.admin]);
    expect(row.mfaGraceUntil?.toISOString()).toBe(graceUntil);
    const [audit] = await db().getRepository(AuditEventEntity).find({ where: { organisationId: org.id, action: 'organisation.updated' }, order: { occurredAt: 'DESC' }, take: 1 });
    expect(audit.details).toEqual({ before: { mfaRequiredRoleIds: [], mfaGraceUntil: null }, after: { mfaRequiredRoleIds: [roleIds.admin], mfaGraceUntil: graceUntil } });
    const [event] = await db().query(`SELECT data FROM events WHERE organisation_id = $1 AND type = 'organisation.updated' ORDER BY sequence DESC LIMIT 1`, [org.id]);
    expect(event.data).toMatchObject({ before: { mfaRequiredRoleIds: [] }, after: { mfaRequiredRoleIds: [roleIds.admin], mfaGraceUntil: graceUntil } });
    // Only requiredForAll given: the roles and the grace period stay.
    const partial = await setPolicy({ requiredForAll: false });
    expect(partial.mfaPolicy).toEqual({ requiredForRoleIds: [roleIds.admin], requiredForAll: false, graceUntil });
    // graceUntil: null ends the grace period.
    expect((await setPolicy({ graceUntil: null })).mfaPolicy.graceUntil).toBeNull();
  });

  it('during the grace period withholds nothing, and covered members without a second factor are due to enrol', async () => {
    await setPolicy({ requiredForRoleIds: [roleIds.admin], graceUntil: future() });
    for (const member of [adminMember, teamAdmin]) {
      const response = await service.graphql(PERMISSIONS, { id: org.id }, member.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.organisation.viewerPermissions).toContain('org:update');
      const due = await service.graphql(OWN_DUE, {}, member.token);
      expect(due.data.viewer.memberships[0].mfaEnrolmentDue).toBe(true);
    }
    expect((await service.graphql(OWN_DUE, {}, viewer.token)).data.viewer.memberships[0].mfaEnrolmentDue).toBe(false); // not covered
    // The owner sees who is due (members:read and roles:read), in one list.
    const members = await service.graphql(MEMBERS, { id: org.id }, await strong(org.owner));
    expect(members.errors).toBeUndefined();
    const dueByUser = Object.fromEntries(members.data.organisation.members.edges.map((edge: any) => [edge.node.user.id, edge.node.mfaEnrolmentDue]));
    expect(dueByUser).toEqual({ [org.owner.userId]: false, [adminMember.userId]: true, [teamAdmin.userId]: true, [viewer.userId]: false });
  });

  it('after the grace period withholds the covered roles (direct or through a team) from requests without MFA; other roles keep working', async () => {
    await setPolicy({ requiredForRoleIds: [roleIds.admin], graceUntil: past() });
    for (const member of [adminMember, teamAdmin]) {
      const weak = await service.graphql(PERMISSIONS, { id: org.id }, member.token);
      expect(weak.errors).toBeUndefined();
      expect([...weak.data.organisation.viewerPermissions].sort()).toEqual(['members:read', 'org:read', 'teams:read']); // the Viewer role
      // A field needing what only Admin grants: MFA_REQUIRED, not FORBIDDEN.
      const roles = await service.graphql(ROLES, { id: org.id }, member.token);
      expect(errorCodes(roles)).toEqual(['MFA_REQUIRED']);
      const update = await expectNothingWritten(db(), () => service.graphql(UPDATE, { id: org.id, input: { name: 'Weak' } }, member.token));
      expect(errorCodes(update)).toEqual(['MFA_REQUIRED']);
      // With a second factor, everything is back.
      const strongToken = await strong(member);
      const full = await service.graphql(ROLES, { id: org.id }, strongToken);
      expect(full.errors).toBeUndefined();
      expect(full.data.organisation.roles).toHaveLength(5);
    }
    // Outside the policy: unaffected.
    const plain = await service.graphql(PERMISSIONS, { id: org.id }, viewer.token);
    expect(plain.errors).toBeUndefined();
    // A permission nobody's roles grant stays FORBIDDEN for the viewer (no false MFA_REQUIRED).
    expect(errorCodes(await service.graphql(ROLES, { id: org.id }, viewer.token))).toEqual(['FORBIDDEN']);
  });

  it('a member whose every role the policy withholds is asked for MFA, even for what none of their roles grants (as requireMfa answers)', async () => {
    const [{ id: readers }] = await db().query(`INSERT INTO roles (organisation_id, name, permissions) VALUES ($1, 'Readers', '{teams:read}') RETURNING id`, [org.id]);
    const reader = await memberWith(service, org.id, []);
    await db().query('INSERT INTO membership_roles (membership_id, role_id, organisation_id) VALUES ($1, $2, $3)', [reader.membershipId, readers, org.id]);
    await setPolicy({ requiredForRoleIds: [readers], graceUntil: past() });
    const CREATE_ROLE = 'mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }';
    const create = { input: { organisationId: org.id, name: `Nope ${Date.now()}`, permissions: ['org:read'] } };
    // Nothing left without a second factor: MFA_REQUIRED, also for roles:manage that Readers never grants
    // (before: NOT_FOUND, as if the organisation did not exist for its own member).
    expect(errorCodes(await expectNothingWritten(db(), () => service.graphql(CREATE_ROLE, create, reader.token)))).toEqual(['MFA_REQUIRED']);
    expect(errorCodes(await service.graphql(ROLES, { id: org.id }, reader.token))).toEqual(['MFA_REQUIRED']);
    // With a second factor, the real answer: FORBIDDEN (a member without roles:manage).
    const strongToken = await strong(reader);
    expect(errorCodes(await expectNothingWritten(db(), () => service.graphql(CREATE_ROLE, create, strongToken)))).toEqual(['FORBIDDEN']);
    // Another organisation still looks like nothing.
    expect(errorCodes(await service.graphql(CREATE_ROLE, { input: { ...create.input, organisationId: other.id } }, reader.token))).toEqual(['NOT_FOUND']);
    await db().query('DELETE FROM memberships WHERE id = $1', [reader.membershipId]);
    await db().query('DELETE FROM roles WHERE id = $1', [readers]);
  });

  it('a graceUntil in the past means enforced now; no graceUntil means enforced at once', async () => {
    await setPolicy({ requiredForRoleIds: [roleIds.admin], graceUntil: null });
    expect(errorCodes(await service.graphql(ROLES, { id: org.id }, adminMember.token))).toEqual(['MFA_REQUIRED']);
    await setPolicy({ graceUntil: future() });
    expect((await service.graphql(ROLES, { id: org.id }, adminMember.token)).errors).toBeUndefined();
  });

  it('nested fields and _entities honour what MFA withholds', async () => {
    await setPolicy({ requiredForRoleIds: [roleIds.admin], graceUntil: past() });
    const representations = [
      { __typename: 'Membership', id: viewer.membershipId },
      { __typename: 'Organisation', id: org.id },
    ];
    const weak = await service.graphql(ENTITIES, { representations }, adminMember.token);
    // effectivePermissions of another member needs roles:read (Admin only): withheld.
    expect(weak.errors?.map((error) => [error.path?.join('.'), error.extensions?.code])).toEqual([['_entities.0.effectivePermissions', 'MFA_REQUIRED']]);
    expect(weak.data?._entities[1]).toEqual({ __typename: 'Organisation', id: org.id, settings: { mfaPolicy: { requiredForRoleIds: [roleIds.admin] } } });
    const full = await service.graphql(ENTITIES, { representations }, await strong(adminMember));
    expect(full.errors).toBeUndefined();
    expect(full.data._entities[0]).toMatchObject({ id: viewer.membershipId, effectivePermissions: ['members:read', 'org:read', 'teams:read'] });
    // mfaEnrolmentDue of another member needs roles:read as effectivePermissions does: withheld without MFA, resolved with it.
    const due = 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Membership { id mfaEnrolmentDue } } }';
    const fresh = await memberWith(service, org.id, ['admin']); // never showed a second factor
    const dueRepresentations = [{ __typename: 'Membership', id: fresh.membershipId }];
    expect(errorCodes(await service.graphql(due, { representations: dueRepresentations }, adminMember.token))).toEqual(['MFA_REQUIRED']);
    expect((await service.graphql(due, { representations: dueRepresentations }, await strong(adminMember))).data._entities).toEqual([{ id: fresh.membershipId, mfaEnrolmentDue: true }]);
    await db().query('DELETE FROM memberships WHERE id = $1', [fresh.membershipId]);
    // Another organisation's member and organisation look missing, policy or not.
    const foreign = await service.graphql(ENTITIES, { representations: [{ __typename: 'Membership', id: adminMember.membershipId }, { __typename: 'Organisation', id: org.id }] }, await strong(otherAdmin));
    expect(foreign.data?._entities[0]).toBeNull();
    expect(foreign.data?._entities[1]?.settings ?? null).toBeNull();
  });

  it('requiredForAll is requireMfa: one setting, withholding everything after the grace period', async () => {
    const settings = await setPolicy({ requiredForAll: true, graceUntil: future() });
    expect(settings.requireMfa).toBe(true);
    expect((await organisationRow(org.id)).requireMfa).toBe(true);
    expect((await service.graphql(PERMISSIONS, { id: org.id }, viewer.token)).errors).toBeUndefined(); // grace
    expect((await service.graphql(OWN_DUE, {}, viewer.token)).data.viewer.memberships[0].mfaEnrolmentDue).toBe(true);
    await setPolicy({ graceUntil: past() });
    expect(errorCodes(await service.graphql(PERMISSIONS, { id: org.id }, viewer.token))).toEqual(['MFA_REQUIRED']);
    // requireMfa: false switches requiredForAll off.
    const off = await service.graphql(UPDATE, { id: org.id, input: { requireMfa: false } }, await strong(org.owner));
    expect(off.data.updateOrganisation.settings).toMatchObject({ requireMfa: false, mfaPolicy: { requiredForAll: false } });
    // Both given and disagreeing: BAD_USER_INPUT.
    const both = await expectNothingWritten(db(), async () =>
      service.graphql(UPDATE, { id: org.id, input: { requireMfa: true, mfaPolicy: { requiredForAll: false } } }, await strong(org.owner)),
    );
    expect(errorCodes(both)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses a policy that would lock the caller out (org:update withheld without a second factor), grace or not', async () => {
    const before = await organisationRow(org.id);
    for (const [who, mfaPolicy] of [
      [org.owner, { requiredForRoleIds: [roleIds.owner] }],
      [org.owner, { requiredForRoleIds: [roleIds.owner], graceUntil: future() }],
      [org.owner, { requiredForAll: true, graceUntil: future() }],
      [adminMember, { requiredForRoleIds: [roleIds.admin] }],
    ] as const) {
      const response = await expectNothingWritten(db(), () => service.graphql(UPDATE, { id: org.id, input: { mfaPolicy } }, who.token));
      expect(errorCodes(response)).toEqual(['MFA_REQUIRED']);
      expect(response.errors?.[0].message).toMatch(/sign in with a second factor first/i);
    }
    expect(await organisationRow(org.id)).toEqual(before);
    // Covering roles that leave the caller org:update is no lock-out (the Owner keeps it through Owner).
    const fine = await service.graphql(UPDATE, { id: org.id, input: { mfaPolicy: { requiredForRoleIds: [roleIds.admin] } } }, org.owner.token);
    expect(fine.errors).toBeUndefined();
    // With a second factor the caller may cover their own role.
    expect((await service.graphql(UPDATE, { id: org.id, input: { mfaPolicy: { requiredForRoleIds: [roleIds.owner] } } }, await strong(org.owner))).errors).toBeUndefined();
  });

  it('refuses unknown, malformed and foreign role ids and too many ids with BAD_USER_INPUT, writing nothing', async () => {
    const ownerToken = await strong(org.owner);
    for (const requiredForRoleIds of [
      [foreignRoleId],
      ['00000000-0000-4000-8000-000000000000'],
      ['not-an-id'],
      [roleIds.admin, foreignRoleId],
      Array.from({ length: 101 }, () => roleIds.admin),
    ]) {
      const response = await expectNothingWritten(db(), () => service.graphql(UPDATE, { id: org.id, input: { mfaPolicy: { requiredForRoleIds } } }, ownerToken));
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    }
    const badDate = await service.graphql(UPDATE, { id: org.id, input: { mfaPolicy: { graceUntil: 'soon' } } }, ownerToken);
    expect(errorCodes(badDate)).toEqual(['BAD_USER_INPUT']);
    expect((await organisationRow(org.id)).mfaRequiredRoleIds).toEqual([]);
  });

  it("another organisation's admin cannot read or change the policy (NOT_FOUND / null)", async () => {
    const token = await strong(otherAdmin);
    const update = await expectNothingWritten(db(), () => service.graphql(UPDATE, { id: org.id, input: { mfaPolicy: { requiredForAll: true } } }, token));
    expect(errorCodes(update)).toEqual(['NOT_FOUND']);
    const read = await service.graphql(SETTINGS, { id: org.id }, token);
    expect(read.data.organisation).toBeNull();
    // A role of theirs in our policy is unknown here (and ours in theirs).
    const theirs = await service.graphql(UPDATE, { id: other.id, input: { mfaPolicy: { requiredForRoleIds: [roleIds.admin] } } }, token);
    expect(errorCodes(theirs)).toEqual(['BAD_USER_INPUT']);
  });

  it('explainAccess says which paths MFA withholds, once the grace period is over', async () => {
    const ownerToken = await strong(org.owner);
    const explain = async (userId: string, permission: string) => {
      const response = await service.graphql(EXPLAIN, { organisationId: org.id, userId, permission }, ownerToken);
      expect(response.errors).toBeUndefined();
      return response.data.explainAccess;
    };
    await setPolicy({ requiredForRoleIds: [roleIds.admin], graceUntil: future() });
    expect(await explain(adminMember.userId, 'org:update')).toEqual({ granted: true, reason: null, mfaRequired: false, paths: [{ role: { name: 'Admin' }, team: null, withheldByMfa: false }] });
    await setPolicy({ graceUntil: past() });
    expect(await explain(adminMember.userId, 'org:update')).toEqual({ granted: true, reason: null, mfaRequired: true, paths: [{ role: { name: 'Admin' }, team: null, withheldByMfa: true }] });
    expect(await explain(teamAdmin.userId, 'org:update')).toEqual({ granted: true, reason: null, mfaRequired: true, paths: [{ role: { name: 'Admin' }, team: { name: 'Admins' }, withheldByMfa: true }] });
    const orgRead = await explain(adminMember.userId, 'org:read');
    expect(orgRead.mfaRequired).toBe(false); // the Viewer path still holds
    expect(orgRead.paths.map((path: any) => [path.role.name, path.withheldByMfa]).sort()).toEqual([['Admin', true], ['Viewer', false]]);
    await setPolicy({ requiredForRoleIds: [], requiredForAll: true });
    expect((await explain(viewer.userId, 'org:read')).mfaRequired).toBe(true);
  });

  it('a token showing a second factor records the enrolment: no longer due', async () => {
    const fresh = await memberWith(service, org.id, ['admin']);
    await setPolicy({ requiredForRoleIds: [roleIds.admin], graceUntil: future() });
    expect((await service.graphql(OWN_DUE, {}, fresh.token)).data.viewer.memberships[0].mfaEnrolmentDue).toBe(true);
    await service.graphql('{ viewer { user { id } } }', {}, await strong(fresh));
    const [{ mfa_enrolled_at: enrolledAt }] = await db().query('SELECT mfa_enrolled_at FROM users WHERE id = $1', [fresh.userId]);
    expect(enrolledAt).toBeInstanceOf(Date);
    // Even from a later token without it (the factor exists; this sign-in just did not use it).
    expect((await service.graphql(OWN_DUE, {}, fresh.token)).data.viewer.memberships[0].mfaEnrolmentDue).toBe(false);
    await db().query('DELETE FROM memberships WHERE id = $1', [fresh.membershipId]);
  });

  it('deleting a role takes it out of the policy', async () => {
    const [{ id: customRoleId }] = await db().query(`INSERT INTO roles (organisation_id, name, description, permissions) VALUES ($1, 'Auditor', '', '{audit:read}') RETURNING id`, [org.id]);
    await setPolicy({ requiredForRoleIds: [roleIds.admin, customRoleId] });
    const deleted = await service.graphql('mutation($id: ID!) { deleteRole(id: $id) }', { id: customRoleId }, await strong(org.owner));
    expect(deleted.errors).toBeUndefined();
    expect((await organisationRow(org.id)).mfaRequiredRoleIds).toEqual([roleIds.admin]);
  });

  it('costs no more SQL statements: the Members page and _entities, with and without a policy, and mfaEnrolmentDue on any number of members', async () => {
    const ownerToken = await strong(org.owner);
    const members = 'query($id: ID!) { organisation(id: $id) { members(first: 50) { edges { node { id roles { name } } } } } }';
    const entities = 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Membership { id status } } }';
    const representations = [adminMember, viewer, teamAdmin].map((member) => ({ __typename: 'Membership', id: member.membershipId }));
    const without = [await service.countStatements(members, { id: org.id }, ownerToken), await service.countStatements(entities, { representations }, ownerToken)];
    await setPolicy({ requiredForRoleIds: [roleIds.admin, roleIds.viewer], graceUntil: past() });
    const withPolicy = [await service.countStatements(members, { id: org.id }, ownerToken), await service.countStatements(entities, { representations }, ownerToken)];
    expect(withPolicy.map((run) => run.count)).toEqual(without.map((run) => run.count));
    for (const run of withPolicy) expect(run.response.errors).toBeUndefined();
    // mfaEnrolmentDue: one batched statement whatever the list's length.
    const small = await service.countStatements(MEMBERS, { id: org.id }, ownerToken);
    for (let index = 0; index < 6; index += 1) await addMember(service, org.id, (await signIn(service)).userId, { builtInRoles: ['admin'] });
    const large = await service.countStatements(MEMBERS, { id: org.id }, ownerToken);
    expect(large.response.data.organisation.members.edges.length).toBe(small.response.data.organisation.members.edges.length + 6);
    expect(large.count).toBe(small.count);
    process.stdout.write(`MFA policy: Members page ${without[0].count} statements without a policy, ${withPolicy[0].count} with; with mfaEnrolmentDue ${small.count} for ${small.response.data.organisation.members.edges.length} members and ${large.count} for ${large.response.data.organisation.members.edges.length}\n`);
    expect(ownerMembershipId).toBeDefined();
  });
});
