import { randomBytes } from 'node:crypto';
import { BUILT_IN_PERMISSIONS } from '../src/core/permissions/built-in-permissions';
import { MembershipStatus } from '../src/memberships/membership-status';
import { contractOperation } from './support/contract';
import { addMember, createOrganisation, memberWith, platformAdmin, type SignedInUser, type TestOrganisation } from './support/factories';
import { seedMembers } from './support/seed';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

const ACCESS_REVIEW = contractOperation('AccessReview');
const EXPLAIN = contractOperation('ExplainAccess');
const PREVIEW = contractOperation('PreviewRoleChange');
const CREATE_ROLE = contractOperation('CreateRole');
const ASSIGN_ROLES = contractOperation('AssignRoles');
const CREATE_TEAM = contractOperation('CreateTeam');
const ADD_TEAM_MEMBER = contractOperation('AddTeamMember');
const SET_TEAM_ROLES = contractOperation('SetTeamRoles');
const DEACTIVATE = contractOperation('DeactivateMember');
const INVITE = contractOperation('InviteUser');
const CANCEL_INVITATION = contractOperation('CancelInvitation');
const UPDATE_ORGANISATION = contractOperation('UpdateOrganisation');

const EXPLAIN_WITH_REASON = `query($organisationId: ID!, $userId: ID!, $permission: String!) {
  explainAccess(organisationId: $organisationId, userId: $userId, permission: $permission) { granted reason mfaRequired paths { role { name } team { name } impliedBy } }
}`;
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
const CATALOGUE = BUILT_IN_PERMISSIONS.map((definition) => definition.key);

type Member = SignedInUser & { membershipId: string };

describe('access review', () => {
  let service: TestService;
  let admin: SignedInUser;
  let orgA: TestOrganisation;
  let orgB: TestOrganisation;
  const people: Record<string, Member> = {};
  const roles: Record<string, string> = {};
  let platformTeam: string;
  let neverSignedIn: { userId: string; membershipId: string };
  const invitations: Record<string, string> = {};

  const sql = (text: string, parameters: unknown[] = []) => service.database.dataSource.query(text, parameters);
  const ok = <T = any>(response: GraphQLResponse<T>): T => {
    expect(response.errors).toBeUndefined();
    return response.data as T;
  };
  const owner = () => orgA.owner.token;
  const createRole = async (organisationId: string, token: string, name: string, permissions: string[]) =>
    ok(await service.graphql(CREATE_ROLE, { input: { organisationId, name, description: '', permissions } }, token)).createRole.id as string;
  const assign = async (membershipIds: string[], roleIds: string[]) =>
    ok(await service.graphql(ASSIGN_ROLES, { input: { organisationId: orgA.id, membershipIds, roleIds, mode: 'ADD' } }, owner()));
  const builtInRole = async (organisationId: string, key: string) =>
    (await sql('SELECT id FROM roles WHERE organisation_id = $1 AND built_in_key = $2', [organisationId, key]))[0].id as string;
  const review = (variables: Record<string, unknown> = {}, token = owner(), organisationId = orgA.id) =>
    service.graphql(ACCESS_REVIEW, { organisationId, ...variables }, token);
  const userIdsOf = (members: any[]) => members.map((member) => member.user.id).sort();

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
    orgA = await createOrganisation(service, admin);
    orgB = await createOrganisation(service, admin);
    for (const [name, builtIns] of Object.entries({
      admin: ['admin'],
      clerk: ['member'],
      teamPrivileged: ['member'],
      viewer: ['viewer'],
      deactivatedAdmin: ['admin'],
      stale: ['member'],
      reviewer: [],
      supportDirect: ['viewer'],
      supportViaTeam: [],
      supportDeactivated: [],
    })) {
      people[name] = await memberWith(service, orgA.id, builtIns, { name: `Person ${name}` });
    }
    people.pending = await memberWith(service, orgA.id, ['member'], { name: 'Person pending', status: MembershipStatus.PENDING_APPROVAL });
    people.adminOfB = await memberWith(service, orgB.id, ['admin']);

    roles.clerk = await createRole(orgA.id, owner(), 'Role clerk', ['roles:manage', 'members:read']);
    roles.assigner = await createRole(orgA.id, owner(), 'Assigner', ['members:assign-roles']);
    roles.reviewer = await createRole(orgA.id, owner(), 'Reviewer', ['access:review']);
    roles.support = await createRole(orgA.id, owner(), 'Support', ['members:read-contact']);
    await assign([people.clerk.membershipId], [roles.clerk]);
    await assign([people.reviewer.membershipId], [roles.reviewer]);
    await assign([people.supportDirect.membershipId, people.supportDeactivated.membershipId], [roles.support]);

    platformTeam = ok(await service.graphql(CREATE_TEAM, { input: { organisationId: orgA.id, name: 'Platform' } }, owner())).createTeam.id;
    const helpdesk = ok(await service.graphql(CREATE_TEAM, { input: { organisationId: orgA.id, name: 'Helpdesk' } }, owner())).createTeam.id;
    ok(await service.graphql(SET_TEAM_ROLES, { teamId: platformTeam, roleIds: [roles.assigner] }, owner()));
    ok(await service.graphql(SET_TEAM_ROLES, { teamId: helpdesk, roleIds: [roles.support] }, owner()));
    ok(await service.graphql(ADD_TEAM_MEMBER, { input: { teamId: platformTeam, membershipId: people.teamPrivileged.membershipId, role: 'MEMBER' } }, owner()));
    ok(await service.graphql(ADD_TEAM_MEMBER, { input: { teamId: helpdesk, membershipId: people.supportViaTeam.membershipId, role: 'MEMBER' } }, owner()));

    ok(await service.graphql(DEACTIVATE, { membershipId: people.deactivatedAdmin.membershipId }, owner()));
    ok(await service.graphql(DEACTIVATE, { membershipId: people.supportDeactivated.membershipId }, owner()));
    await sql(`UPDATE users SET last_sign_in_at = now() - interval '120 days' WHERE id = $1`, [people.stale.userId]);
    // A placeholder (imported, never signed in).
    const [placeholder] = await sql(`INSERT INTO users (email, display_name) VALUES ($1, 'Never Signed-In') RETURNING id`, [`never-${randomBytes(3).toString('hex')}@example.com`]);
    neverSignedIn = { userId: placeholder.id, membershipId: await addMember(service, orgA.id, placeholder.id, { builtInRoles: ['viewer'] }) };

    const invite = async (email: string) =>
      ok(await service.graphql(INVITE, { input: { organisationId: orgA.id, email, roleIds: [await builtInRole(orgA.id, 'viewer')], teamIds: [platformTeam] } }, owner())).inviteUser.invitation.id as string;
    invitations.expired = await invite('expired@example.com');
    invitations.fresh = await invite('fresh@example.com');
    invitations.cancelled = await invite('cancelled@example.com');
    ok(await service.graphql(CANCEL_INVITATION, { id: invitations.cancelled }, owner()));
    await sql(`UPDATE invitations SET expires_at = now() - interval '2 days' WHERE id = ANY($1::uuid[])`, [[invitations.expired, invitations.cancelled]]);
  });
  afterAll(() => service.stop());

  describe('accessReview', () => {
    it('serves the AccessReview operation: privileged, inactive, pending and stale invitations', async () => {
      const result = ok(await review()).organisation.accessReview;
      expect(userIdsOf(result.privilegedMembers)).toEqual(
        [orgA.owner.userId, people.admin.userId, people.clerk.userId, people.teamPrivileged.userId, people.deactivatedAdmin.userId].sort(),
      );
      const teamRow = result.privilegedMembers.find((row: any) => row.user.id === people.teamPrivileged.userId);
      expect(teamRow.teams).toEqual([expect.objectContaining({ role: 'MEMBER', team: { id: platformTeam, name: 'Platform' } })]);
      expect(teamRow.roles).toEqual([expect.objectContaining({ name: 'Member', builtIn: true })]);
      expect(result.privilegedMembers.find((row: any) => row.user.id === people.deactivatedAdmin.userId).status).toBe('DEACTIVATED');

      expect(userIdsOf(result.inactiveMembers)).toEqual([neverSignedIn.userId, people.stale.userId].sort());
      expect(result.inactiveMembers[0]).toMatchObject({ user: { id: neverSignedIn.userId, lastSignInAt: null } }); // never first
      expect(result.pendingApprovals.map((row: any) => row.id)).toEqual([people.pending.membershipId]);
      expect(result.expiredInvitations).toEqual([
        expect.objectContaining({
          id: invitations.expired,
          email: 'expired@example.com',
          status: 'EXPIRED',
          invitedBy: { id: orgA.owner.userId, displayName: expect.any(String) },
          roles: [expect.objectContaining({ name: 'Viewer' })],
          teams: [{ id: platformTeam, name: 'Platform' }],
        }),
      ]);
    });

    it('takes inactiveDays (default 90, 1–3650)', async () => {
      const inactive = async (inactiveDays: unknown) => userIdsOf(ok(await review({ inactiveDays })).organisation.accessReview.inactiveMembers);
      expect(await inactive(200)).toEqual([neverSignedIn.userId]);
      expect(await inactive(null)).toEqual([neverSignedIn.userId, people.stale.userId].sort());
      expect(await inactive(1)).toEqual([neverSignedIn.userId, people.stale.userId].sort());
      for (const bad of [0, -5, 3651]) expect(errorCodes(await review({ inactiveDays: bad }))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await review({ inactiveDays: 3650 }))).toEqual([]);
    });

    it('reports full sizes next to the capped lists', async () => {
      const counts = ok(
        await service.graphql(
          'query($id: ID!) { organisation(id: $id) { accessReview { inactiveDays counts { privilegedMembers inactiveMembers pendingApprovals expiredInvitations } } } }',
          { id: orgA.id },
          owner(),
        ),
      ).organisation.accessReview;
      expect(counts).toEqual({ inactiveDays: 90, counts: { privilegedMembers: 5, inactiveMembers: 2, pendingApprovals: 1, expiredInvitations: 1 } });
    });

    it('needs invitations:read as well for stale invitations', async () => {
      const response = await service.graphql(
        'query($id: ID!) { organisation(id: $id) { accessReview { pendingApprovals { id } expiredInvitations { id } } } }',
        { id: orgA.id },
        people.reviewer.token,
      );
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(response.data.organisation.accessReview).toEqual({ pendingApprovals: [{ id: people.pending.membershipId }], expiredInvitations: null });
    });

    it('refuses callers without access:review, and other organisations', async () => {
      const viewer = await review({}, people.viewer.token);
      expect(errorCodes(viewer)).toEqual(['FORBIDDEN']);
      expect(viewer.data.organisation).toEqual({ id: orgA.id, accessReview: null });
      const crossTenant = await review({}, people.adminOfB.token);
      expect(crossTenant.errors).toBeUndefined();
      expect(crossTenant.data.organisation).toBeNull();
      expect(errorCodes(await review({}, null as unknown as string))).toEqual(['UNAUTHENTICATED']);
    });

    it('keeps statements constant whatever the size of the lists', async () => {
      const counts: number[] = [];
      for (const size of [3, 40]) {
        const organisation = await createOrganisation(service, admin);
        const dataSource = service.database.dataSource;
        const privileged = await seedMembers(dataSource, organisation.id, { count: size, rolesEach: 1, teamsEach: 1, prefix: `priv${size}` });
        await dataSource.query(
          `INSERT INTO membership_roles (membership_id, role_id, organisation_id) SELECT m, $2, $1 FROM unnest($3::uuid[]) m`,
          [organisation.id, await builtInRole(organisation.id, 'admin'), privileged.membershipIds],
        );
        const inactive = await seedMembers(dataSource, organisation.id, { count: size, rolesEach: 1, teamsEach: 1, prefix: `idle${size}` });
        await dataSource.query(
          `UPDATE users SET last_sign_in_at = now() - interval '200 days' WHERE id IN (SELECT user_id FROM memberships WHERE id = ANY($1::uuid[]))`,
          [inactive.membershipIds],
        );
        const pending = await seedMembers(dataSource, organisation.id, { count: size, rolesEach: 1, teamsEach: 1, prefix: `wait${size}` });
        await dataSource.query(`UPDATE memberships SET status = 'PENDING_APPROVAL' WHERE id = ANY($1::uuid[])`, [pending.membershipIds]);
        const expired: { id: string }[] = await dataSource.query(
          `INSERT INTO invitations (organisation_id, email, token_hash, expires_at, invited_by_id)
           SELECT $1, 'stale' || n || '-' || $3 || '@example.com', md5(random()::text || n), now() - (n || ' days')::interval, $2
           FROM generate_series(1, $4::int) n RETURNING id`,
          [organisation.id, organisation.owner.userId, randomBytes(3).toString('hex'), size],
        );
        await dataSource.query(
          `INSERT INTO invitation_roles (invitation_id, role_id, organisation_id) SELECT i, $2, $1 FROM unnest($3::uuid[]) i`,
          [organisation.id, await builtInRole(organisation.id, 'viewer'), expired.map((row) => row.id)],
        );
        const { response, count, statements } = await service.countStatements(ACCESS_REVIEW, { organisationId: organisation.id }, organisation.owner.token);
        expect(response.errors).toBeUndefined();
        const result = response.data.organisation.accessReview;
        expect(result.privilegedMembers).toHaveLength(size + 1); // and the owner
        expect(result.inactiveMembers).toHaveLength(size);
        expect(result.pendingApprovals).toHaveLength(size);
        expect(result.expiredInvitations).toHaveLength(size);
        expect(result.privilegedMembers.filter((row: any) => row.roles.length === 2 && row.teams.length === 1)).toHaveLength(size);
        expect(result.expiredInvitations.every((row: any) => row.roles.length === 1 && row.invitedBy)).toBe(true);
        counts.push(count);
        process.stdout.write(`AccessReview with ${size} per list: ${count} SQL statements\n`);
        if (count > 10) throw new Error(`${count} statements:\n${statements.join('\n')}`);
      }
      expect(counts[0]).toBe(counts[1]);
    });
  });

  describe('explainAccess', () => {
    const explain = (userId: string, permission: string, token = owner(), organisationId = orgA.id, query = EXPLAIN) =>
      service.graphql(query, { organisationId, userId, permission }, token);

    it('names every path: direct roles, team grants and implication', async () => {
      const result = ok(await explain(people.teamPrivileged.userId, 'roles:read')).explainAccess;
      expect(result).toEqual({
        permission: 'roles:read',
        granted: true,
        paths: [
          { role: { id: await builtInRole(orgA.id, 'member'), name: 'Member' }, team: null, impliedBy: null },
          { role: { id: roles.assigner, name: 'Assigner' }, team: { id: platformTeam, name: 'Platform' }, impliedBy: 'members:assign-roles' },
        ],
      });
      const clerk = ok(await explain(people.clerk.userId, 'roles:read', owner(), orgA.id, EXPLAIN_WITH_REASON)).explainAccess;
      expect(clerk).toEqual({
        granted: true,
        reason: null,
        mfaRequired: false,
        paths: [
          { role: { name: 'Member' }, team: null, impliedBy: null },
          { role: { name: 'Role clerk' }, team: null, impliedBy: 'roles:manage' },
        ],
      });
    });

    it('says why a permission is not held', async () => {
      const reasonOf = async (userId: string, permission: string) => ok(await explain(userId, permission, owner(), orgA.id, EXPLAIN_WITH_REASON)).explainAccess;
      expect(await reasonOf(people.deactivatedAdmin.userId, 'org:update')).toMatchObject({ granted: false, reason: 'DEACTIVATED', paths: [{ role: { name: 'Admin' } }] });
      expect(await reasonOf(people.pending.userId, 'org:read')).toMatchObject({ granted: false, reason: 'PENDING_APPROVAL', paths: [{ role: { name: 'Member' } }] });
      expect(await reasonOf(people.viewer.userId, 'audit:read')).toEqual({ granted: false, reason: 'NOT_HELD', mfaRequired: false, paths: [] });
      // Not a member here (a member elsewhere), or no such user at all: the same answer.
      expect(await reasonOf(people.adminOfB.userId, 'org:read')).toEqual({ granted: false, reason: 'NOT_A_MEMBER', mfaRequired: false, paths: [] });
      expect(await reasonOf(NO_SUCH_ID, 'org:read')).toEqual({ granted: false, reason: 'NOT_A_MEMBER', mfaRequired: false, paths: [] });
    });

    it('shows what the boundary cuts', async () => {
      const bounded = await createOrganisation(service, admin);
      const member = await memberWith(service, bounded.id, ['admin']);
      const boundary = CATALOGUE.filter((key) => key !== 'audit:read');
      ok(await service.graphql(UPDATE_ORGANISATION, { id: bounded.id, input: { permissionBoundary: boundary } }, bounded.owner.token));
      const result = ok(await explain(member.userId, 'audit:read', bounded.owner.token, bounded.id, EXPLAIN_WITH_REASON)).explainAccess;
      expect(result).toEqual({ granted: false, reason: 'OUTSIDE_BOUNDARY', mfaRequired: false, paths: [{ role: { name: 'Admin' }, team: null, impliedBy: null }] });
    });

    it('refuses unknown permissions, callers without access:review, and other organisations', async () => {
      expect(errorCodes(await explain(people.viewer.userId, 'no:such'))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await explain(people.viewer.userId, 'org:read', people.viewer.token))).toEqual(['FORBIDDEN']);
      // access:review alone is enough.
      expect(ok(await explain(people.admin.userId, 'org:update', people.reviewer.token)).explainAccess.granted).toBe(true);
      const crossTenant = await explain(people.admin.userId, 'org:read', people.adminOfB.token);
      expect(errorCodes(crossTenant)).toEqual(['NOT_FOUND']);
      expect(crossTenant.data.explainAccess).toBeNull();
      expect(errorCodes(await explain(people.admin.userId, 'org:read', owner(), NO_SUCH_ID))).toEqual(['NOT_FOUND']);
      expect(errorCodes(await explain(people.admin.userId, 'org:read', owner(), 'not-an-id'))).toEqual(['NOT_FOUND']);
    });

    // granted must equal the permission's presence in Membership.effectivePermissions, whatever the setup.
    it('agrees with effectivePermissions on random-ish organisations', async () => {
      for (const seed of [7, 42, 2024]) {
        const random = mulberry32(seed);
        const pick = <T>(list: readonly T[], chance: number) => list.filter(() => random() < chance);
        const organisation = await createOrganisation(service, admin);
        const builtIns = await sql(`SELECT id FROM roles WHERE organisation_id = $1 AND built_in_key <> 'owner'`, [organisation.id]);
        const custom: { id: string }[] = [];
        for (let index = 0; index < 4; index += 1) {
          custom.push(...(await sql(`INSERT INTO roles (organisation_id, name, permissions) VALUES ($1, $2, $3) RETURNING id`, [organisation.id, `Custom ${index}`, pick(CATALOGUE, 0.2)])));
        }
        const roleIds = [...builtIns.map((row: { id: string }) => row.id), ...custom.map((row) => row.id)];
        const teams: { id: string }[] = await sql(`INSERT INTO teams (organisation_id, name) SELECT $1, 'Team ' || n FROM generate_series(1, 3) n RETURNING id`, [organisation.id]);
        for (const team of teams) {
          for (const roleId of pick(roleIds, 0.25)) await sql('INSERT INTO team_roles (team_id, role_id, organisation_id) VALUES ($1, $2, $3)', [team.id, roleId, organisation.id]);
        }
        const seeded = await seedMembers(service.database.dataSource, organisation.id, { count: 8, prefix: `rnd${seed}` });
        for (const membershipId of seeded.membershipIds) {
          const status = random() < 0.2 ? (random() < 0.5 ? 'DEACTIVATED' : 'PENDING_APPROVAL') : 'ACTIVE';
          await sql('UPDATE memberships SET status = $2 WHERE id = $1', [membershipId, status]);
          for (const roleId of pick(roleIds, 0.2)) await sql('INSERT INTO membership_roles (membership_id, role_id, organisation_id) VALUES ($1, $2, $3)', [membershipId, roleId, organisation.id]);
          for (const team of pick(teams, 0.4)) {
            await sql('INSERT INTO team_members (team_id, membership_id, organisation_id, role) VALUES ($1, $2, $3, $4)', [team.id, membershipId, organisation.id, random() < 0.3 ? 'MANAGER' : 'MEMBER']);
          }
        }
        // A boundary leaving out a few permissions (never org:update, which the organisation service insists on).
        const boundary = CATALOGUE.filter((key) => !['teams:delete', 'invitations:manage', 'members:read-contact', 'audit:read'].includes(key) || random() < 0.3);
        await sql('UPDATE organisations SET permission_boundary = $2 WHERE id = $1', [organisation.id, boundary]);

        const members = ok(
          await service.graphql(
            'query($id: ID!) { organisation(id: $id) { members(first: 100) { edges { node { status user { id } effectivePermissions } } } } }',
            { id: organisation.id },
            organisation.owner.token,
          ),
        ).organisation.members.edges.map((edge: any) => edge.node);
        expect(members).toHaveLength(9);
        const aliases = CATALOGUE.map((key, index) => `p${index}: explainAccess(organisationId: $o, userId: $u, permission: "${key}") { granted reason paths { impliedBy } }`).join('\n');
        let granted = 0;
        let refused = 0;
        for (const member of members) {
          const answers = ok(await service.graphql(`query($o: ID!, $u: ID!) { ${aliases} }`, { o: organisation.id, u: member.user.id }, organisation.owner.token));
          CATALOGUE.forEach((key, index) => {
            const answer = answers[`p${index}`];
            expect({ key, user: member.user.id, granted: answer.granted }).toEqual({ key, user: member.user.id, granted: member.effectivePermissions.includes(key) });
            if (answer.granted) granted += 1;
            else refused += 1;
          });
        }
        expect(granted).toBeGreaterThan(0);
        expect(refused).toBeGreaterThan(0);
      }
    });
  });

  describe('previewRoleChange', () => {
    const preview = (roleId: string, permissions: string[], token = owner()) => service.graphql(PREVIEW, { roleId, permissions }, token);

    it('lists every holder, directly or through a team, with what they would gain and lose; writes nothing', async () => {
      const [eventsBefore] = await sql('SELECT count(*)::int AS count FROM audit_events');
      const { response, count } = await service.countStatements(PREVIEW, { roleId: roles.support, permissions: ['audit:read', ' audit:read'] }, owner());
      const affected = ok(response).previewRoleChange.affected;
      const byUser = Object.fromEntries(affected.map((effect: any) => [effect.membership.user.id, effect]));
      expect(Object.keys(byUser).sort()).toEqual([people.supportDirect.userId, people.supportViaTeam.userId, people.supportDeactivated.userId].sort());
      // members:read stays through Viewer for one; the other held it only through the role.
      expect(byUser[people.supportDirect.userId]).toMatchObject({ gained: ['audit:read'], lost: ['members:read-contact'] });
      expect(byUser[people.supportViaTeam.userId]).toMatchObject({ gained: ['audit:read'], lost: ['members:read', 'members:read-contact'] });
      expect(byUser[people.supportDeactivated.userId]).toMatchObject({ gained: [], lost: [] }); // holds nothing either way
      expect(byUser[people.supportDirect.userId].membership).toEqual({ id: people.supportDirect.membershipId, user: { id: people.supportDirect.userId, displayName: 'Person supportDirect' } });
      process.stdout.write(`PreviewRoleChange with ${affected.length} holders: ${count} SQL statements\n`);
      const [role] = await sql('SELECT permissions FROM roles WHERE id = $1', [roles.support]);
      expect(role.permissions).toEqual(['members:read-contact']);
      const [eventsAfter] = await sql('SELECT count(*)::int AS count FROM audit_events');
      expect(eventsAfter.count).toBe(eventsBefore.count);
      const extra = ok(
        await service.graphql('query($id: ID!) { previewRoleChange(roleId: $id, permissions: []) { role { name } permissions holderCount } }', { id: roles.support }, owner()),
      );
      expect(extra.previewRoleChange).toEqual({ role: { name: 'Support' }, permissions: [], holderCount: 3 });
    });

    it('refuses built-in roles, unknown permissions, callers without roles:manage and other organisations', async () => {
      expect(errorCodes(await preview(await builtInRole(orgA.id, 'viewer'), ['org:read']))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await preview(roles.support, ['no:such']))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await preview(roles.support, ['org:read'], people.viewer.token))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await preview(roles.support, ['org:read'], people.adminOfB.token))).toEqual(['NOT_FOUND']);
      expect(errorCodes(await preview(NO_SUCH_ID, ['org:read']))).toEqual(['NOT_FOUND']);
      expect(errorCodes(await preview('not-an-id', ['org:read']))).toEqual(['NOT_FOUND']);
      // roles:manage is enough when members:read comes with it (the clerk's role).
      expect(ok(await preview(roles.support, ['org:read'], people.clerk.token)).previewRoleChange.affected).toHaveLength(3);
    });

    it("refuses permissions outside the organisation's boundary, as updateRole does", async () => {
      const bounded = await createOrganisation(service, admin);
      const roleId = await createRole(bounded.id, bounded.owner.token, 'Reader', ['members:read']);
      ok(await service.graphql(UPDATE_ORGANISATION, { id: bounded.id, input: { permissionBoundary: ['org:read', 'org:update', 'members:read', 'roles:read', 'roles:manage'] } }, bounded.owner.token));
      expect(errorCodes(await preview(roleId, ['audit:read'], bounded.owner.token))).toEqual(['BAD_USER_INPUT']);
      const inside = ok(await preview(roleId, ['org:read'], bounded.owner.token));
      expect(inside.previewRoleChange.affected).toEqual([]);
    });
  });
});

/** A small deterministic PRNG, so the random-ish setups are the same on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
