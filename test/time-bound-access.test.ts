import { GrantExpirySweeper } from '../src/access/grant-expiry.sweeper';
import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { expectNothingWritten } from './support/nothing-written';
import { seedMembers } from './support/seed';
import { errorCodes, startTestService, type TestService } from './support/test-service';

type Member = SignedInUser & { membershipId: string };

const HOUR = 3_600_000;
const inHours = (hours: number) => new Date(Date.now() + hours * HOUR).toISOString();

const ASSIGN = `mutation($input: AssignRolesInput!) { assignRoles(input: $input) { id roleGrants { role { id name } expiresAt } } }`;
const MEMBERSHIP = `query($organisationId: ID!, $roleId: ID) {
  organisation(id: $organisationId) {
    members(first: 100, filter: { roleId: $roleId }) { totalCount edges { node { id roles { id } roleGrants { role { id } expiresAt } effectivePermissions teams { expiresAt team { id } } } } }
  }
}`;
const CREATE_TEAM = contractOperation('CreateTeam');
const SET_TEAM_ROLES = contractOperation('SetTeamRoles');
const CREATE_ROLE = contractOperation('CreateRole');
const ADD_TEAM_MEMBER = `mutation($input: TeamMemberInput!) { addTeamMember(input: $input) { role expiresAt team { id } member { id } } }`;
const TEAM_MEMBERS = `query($id: ID!) { team(id: $id) { id memberCount members(first: 50) { totalCount edges { node { expiresAt member { id } } } } } }`;
const INVITE = `mutation($input: InviteUserInput!) { inviteUser(input: $input) { token invitation { id } } }`;
const ACCEPT = contractOperation('AcceptInvitation');
const VIEWER_GRANTS = `{ viewer { memberships { id organisation { id } roleGrants { role { id name } expiresAt } } } }`;
const IMPORT = `mutation($input: ImportMembersInput!) { importMembers(input: $input) { dryRun created updated rows { line email status errors } } }`;
const EXPLAIN = `query($organisationId: ID!, $userId: ID!, $permission: String!) {
  explainAccess(organisationId: $organisationId, userId: $userId, permission: $permission) { granted reason paths { role { id } team { id } expiresAt } }
}`;
const EXPIRING = `query($organisationId: ID!, $withinDays: Int) {
  organisation(id: $organisationId) { accessReview { expiringGrants(withinDays: $withinDays) { expiresAt membership { id } role { id } team { id } } privilegedMembers { id } } }
}`;
const UPDATE_ORGANISATION = `mutation($id: ID!, $input: UpdateOrganisationInput!) { updateOrganisation(id: $id, input: $input) { id settings { maxElevationHours } } }`;
const SETTINGS = `query($id: ID!) { organisation(id: $id) { settings { maxElevationHours } } }`;
const REQUEST_FIELDS = 'id status hours reason comment decidedAt expiresAt requester { id } role { id name } decidedBy { id }';
const REQUEST = `mutation($input: RequestElevationInput!) { requestElevation(input: $input) { ${REQUEST_FIELDS} } }`;
const DECIDE = `mutation($id: ID!, $approve: Boolean!, $comment: String) { decideElevation(id: $id, approve: $approve, comment: $comment) { ${REQUEST_FIELDS} } }`;
const CANCEL = `mutation($id: ID!) { cancelElevation(id: $id) { ${REQUEST_FIELDS} } }`;
const AWAITING = `query($id: ID!, $status: ElevationStatus, $first: Int, $after: String) {
  organisation(id: $id) { elevationRequests(status: $status, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id status requester { id } } } } }
}`;
const MINE = `query($status: ElevationStatus) { viewer { elevationRequests(status: $status, first: 50) { totalCount edges { node { id status expiresAt role { id } } } } } }`;

describe('time-bound access and elevation requests', () => {
  let service: TestService;
  let admin: SignedInUser;
  const db = () => service.database.dataSource;
  const gql = (query: string, variables: Record<string, unknown>, token: string) => service.graphql(query, variables, token);
  const sweeper = () => new GrantExpirySweeper(db(), service.service.services.audit, { intervalMs: 0 });
  const builtIn = async (organisationId: string, key: string): Promise<string> =>
    (await db().query('SELECT id FROM roles WHERE organisation_id = $1 AND built_in_key = $2', [organisationId, key]))[0].id;
  /** Time passes: the grant's end is moved to a second ago (nothing else is touched). */
  const expireDirect = (membershipId: string, roleId: string) =>
    db().query(`UPDATE membership_roles SET expires_at = now() - interval '1 second' WHERE membership_id = $1 AND role_id = $2`, [membershipId, roleId]);
  const audits = (organisationId: string, action: string) =>
    db().query('SELECT target_id, details, actor_user_id FROM audit_events WHERE organisation_id = $1 AND action = $2 ORDER BY occurred_at, id', [organisationId, action]);

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
  });
  afterAll(() => service.stop());

  describe('direct grants with expiresAt', () => {
    let org: TestOrganisation;
    let adminRole: string;
    let member: Member;

    beforeAll(async () => {
      org = await createOrganisation(service, admin);
      adminRole = await builtIn(org.id, 'admin');
      member = await memberWith(service, org.id, ['member']);
    });

    it('assignRoles grants until expiresAt; the grant counts until then, then for nothing before any sweeper runs; the sweeper removes it, audited and evented', async () => {
      const expiresAt = inHours(2);
      const assigned = await gql(ASSIGN, { input: { organisationId: org.id, membershipIds: [member.membershipId], roleIds: [adminRole], mode: 'ADD', expiresAt } }, org.owner.token);
      expect(assigned.errors).toBeUndefined();
      const grant = assigned.data.assignRoles[0].roleGrants.find((g: any) => g.role.id === adminRole);
      expect(new Date(grant.expiresAt).toISOString()).toBe(expiresAt);
      expect(assigned.data.assignRoles[0].roleGrants.find((g: any) => g.role.name === 'Member').expiresAt).toBeNull();
      // In force: the member acts as an Admin.
      expect((await gql(SETTINGS, { id: org.id }, member.token)).data.organisation.settings).toBeDefined();
      const asAdmin = await gql(UPDATE_ORGANISATION, { id: org.id, input: { maxElevationHours: 9 } }, member.token);
      expect(asAdmin.errors).toBeUndefined();

      await expireDirect(member.membershipId, adminRole);
      // No sweeper has run: every read ignores the expired grant.
      expect(errorCodes(await gql(UPDATE_ORGANISATION, { id: org.id, input: { maxElevationHours: 10 } }, member.token))).toEqual(['FORBIDDEN']);
      const listed = await gql(MEMBERSHIP, { organisationId: org.id, roleId: adminRole }, org.owner.token);
      expect(listed.data.organisation.members.edges.map((edge: any) => edge.node.id)).not.toContain(member.membershipId);
      const all = await gql(MEMBERSHIP, { organisationId: org.id }, org.owner.token);
      const node = all.data.organisation.members.edges.find((edge: any) => edge.node.id === member.membershipId).node;
      expect(node.roles.map((role: any) => role.id)).not.toContain(adminRole);
      expect(node.roleGrants.map((g: any) => g.role.id)).not.toContain(adminRole);
      expect(node.effectivePermissions).not.toContain('org:update');
      const explained = await gql(EXPLAIN, { organisationId: org.id, userId: member.userId, permission: 'org:update' }, org.owner.token);
      expect(explained.data.explainAccess).toMatchObject({ granted: false, reason: 'NOT_HELD', paths: [] });
      const review = await gql(EXPIRING, { organisationId: org.id, withinDays: 30 }, org.owner.token);
      expect(review.data.organisation.accessReview.privilegedMembers.map((m: any) => m.id)).not.toContain(member.membershipId);
      expect(review.data.organisation.accessReview.expiringGrants).toEqual([]);

      // The sweeper removes it afterwards, once, with an audit event and a domain event.
      expect(await Promise.all([sweeper().runOnce(), sweeper().runOnce()]).then((counts) => counts.reduce((a, b) => a + b, 0))).toBe(1);
      expect(await db().query('SELECT 1 FROM membership_roles WHERE membership_id = $1 AND role_id = $2', [member.membershipId, adminRole])).toHaveLength(0);
      const expired = await audits(org.id, 'member.role_expired');
      expect(expired).toHaveLength(1);
      expect(expired[0]).toMatchObject({ target_id: member.membershipId, actor_user_id: null, details: { roleId: adminRole, userId: member.userId } });
      const [event] = await db().query(`SELECT data FROM events WHERE organisation_id = $1 AND type = 'membership.roles_changed' ORDER BY sequence DESC LIMIT 1`, [org.id]);
      expect(event.data).toMatchObject({ membershipId: member.membershipId, removed: [adminRole] });
      expect(await sweeper().runOnce()).toBe(0);
    });

    it('re-granting sets the end: ADD without expiresAt makes a time-bound (or expired, unswept) grant permanent', async () => {
      await gql(ASSIGN, { input: { organisationId: org.id, membershipIds: [member.membershipId], roleIds: [adminRole], mode: 'ADD', expiresAt: inHours(1) } }, org.owner.token);
      await expireDirect(member.membershipId, adminRole);
      const again = await gql(ASSIGN, { input: { organisationId: org.id, membershipIds: [member.membershipId], roleIds: [adminRole], mode: 'ADD' } }, org.owner.token);
      expect(again.data.assignRoles[0].roleGrants.find((g: any) => g.role.id === adminRole)).toEqual({ role: { id: adminRole, name: 'Admin' }, expiresAt: null });
      expect(await sweeper().runOnce()).toBe(0);
      await gql(ASSIGN, { input: { organisationId: org.id, membershipIds: [member.membershipId], roleIds: [adminRole], mode: 'REMOVE' } }, org.owner.token);
    });

    it('refuses an expiresAt in the past, unparsable, with REMOVE, or on the Owner role (BAD_USER_INPUT), writing nothing', async () => {
      const owner = await builtIn(org.id, 'owner');
      const cases: [string, Record<string, unknown>][] = [
        ['past', { roleIds: [adminRole], mode: 'ADD', expiresAt: new Date(Date.now() - 60_000).toISOString() }],
        ['unparsable', { roleIds: [adminRole], mode: 'ADD', expiresAt: 'next tuesday' }],
        ['remove', { roleIds: [adminRole], mode: 'REMOVE', expiresAt: inHours(1) }],
        ['owner', { roleIds: [owner], mode: 'ADD', expiresAt: inHours(1) }],
        ['too far', { roleIds: [adminRole], mode: 'ADD', expiresAt: '2999-01-01T00:00:00Z' }],
      ];
      for (const [label, input] of cases) {
        const response = await expectNothingWritten(db(), () => gql(ASSIGN, { input: { organisationId: org.id, membershipIds: [member.membershipId], ...input } }, org.owner.token));
        expect([label, errorCodes(response)]).toEqual([label, ['BAD_USER_INPUT']]);
      }
    });

    it('the last-Owner guard counts only permanent Owners', async () => {
      const owner = await builtIn(org.id, 'owner');
      const second = await memberWith(service, org.id, ['owner']);
      // A time-bound Owner cannot be made through the API; written directly, it still does not count.
      await db().query(`UPDATE membership_roles SET expires_at = now() + interval '1 hour' WHERE membership_id = $1 AND role_id = $2`, [second.membershipId, owner]);
      const ownerMembership = (await db().query('SELECT id FROM memberships WHERE organisation_id = $1 AND user_id = $2', [org.id, org.owner.userId]))[0].id;
      const response = await expectNothingWritten(db(), () =>
        gql(ASSIGN, { input: { organisationId: org.id, membershipIds: [ownerMembership], roleIds: [owner], mode: 'REMOVE' } }, org.owner.token),
      );
      expect(errorCodes(response)).toEqual(['CONFLICT']);
      await db().query('DELETE FROM membership_roles WHERE membership_id = $1', [second.membershipId]);
    });

    it('explainAccess shows the end of each path; accessReview lists grants expiring within N days (direct and team places)', async () => {
      const viewer = await memberWith(service, org.id, ['viewer']);
      const team = (await gql(CREATE_TEAM, { input: { organisationId: org.id, name: `Ops ${Date.now()}` } }, org.owner.token)).data.createTeam.id;
      const manager = await builtIn(org.id, 'manager');
      await gql(SET_TEAM_ROLES, { teamId: team, roleIds: [manager] }, org.owner.token);
      const soon = inHours(24);
      const later = inHours(24 * 20);
      await gql(ASSIGN, { input: { organisationId: org.id, membershipIds: [viewer.membershipId], roleIds: [adminRole], mode: 'ADD', expiresAt: soon } }, org.owner.token);
      const placed = await gql(ADD_TEAM_MEMBER, { input: { teamId: team, membershipId: viewer.membershipId, role: 'MEMBER', expiresAt: later } }, org.owner.token);
      expect(placed.errors).toBeUndefined();
      expect(new Date(placed.data.addTeamMember.expiresAt).toISOString()).toBe(later);
      const explained = await gql(EXPLAIN, { organisationId: org.id, userId: viewer.userId, permission: 'invitations:read' }, org.owner.token);
      const paths = explained.data.explainAccess.paths.map((path: any) => ({ role: path.role.id, team: path.team?.id ?? null, expiresAt: path.expiresAt && new Date(path.expiresAt).toISOString() }));
      expect(paths).toEqual(expect.arrayContaining([{ role: adminRole, team: null, expiresAt: soon }, { role: manager, team, expiresAt: later }]));
      const week = await gql(EXPIRING, { organisationId: org.id, withinDays: 7 }, org.owner.token);
      expect(week.data.organisation.accessReview.expiringGrants).toEqual([{ expiresAt: expect.any(String), membership: { id: viewer.membershipId }, role: { id: adminRole }, team: null }]);
      const month = await gql(EXPIRING, { organisationId: org.id, withinDays: 30 }, org.owner.token);
      expect(month.data.organisation.accessReview.expiringGrants.map((g: any) => [g.role?.id ?? null, g.team?.id ?? null])).toEqual([[adminRole, null], [null, team]]);
      expect(errorCodes(await gql(EXPIRING, { organisationId: org.id, withinDays: 0 }, org.owner.token))).toEqual(['BAD_USER_INPUT']);
      // Another organisation's owner sees none of it.
      const other = await createOrganisation(service, admin);
      const foreign = await gql(EXPIRING, { organisationId: org.id, withinDays: 30 }, other.owner.token);
      expect(foreign.data?.organisation ?? null).toBeNull();
      expect(errorCodes(await gql(EXPLAIN, { organisationId: org.id, userId: viewer.userId, permission: 'org:read' }, other.owner.token))).toEqual(['NOT_FOUND']);
    });
  });

  describe('team places with expiresAt', () => {
    it('addTeamMember places until expiresAt; an expired place grants nothing and is gone from lists before the sweeper; adding again works', async () => {
      const org = await createOrganisation(service, admin);
      const member = await memberWith(service, org.id, ['viewer']);
      const team = (await gql(CREATE_TEAM, { input: { organisationId: org.id, name: 'Support' } }, org.owner.token)).data.createTeam.id;
      await gql(SET_TEAM_ROLES, { teamId: team, roleIds: [await builtIn(org.id, 'manager')] }, org.owner.token);
      const placed = await gql(ADD_TEAM_MEMBER, { input: { teamId: team, membershipId: member.membershipId, role: 'MANAGER', expiresAt: inHours(3) } }, org.owner.token);
      expect(placed.errors).toBeUndefined();
      const before = await gql(TEAM_MEMBERS, { id: team }, member.token);
      expect(before.data.team.members.totalCount).toBe(1);
      // As the team's MANAGER, the member may update it (team scope).
      const UPDATE_TEAM = `mutation($id: ID!, $input: UpdateTeamInput!) { updateTeam(id: $id, input: $input) { id description } }`;
      expect((await gql(UPDATE_TEAM, { id: team, input: { description: 'managed' } }, member.token)).errors).toBeUndefined();

      await db().query(`UPDATE team_members SET expires_at = now() - interval '1 second' WHERE team_id = $1`, [team]);
      const own = await gql(MEMBERSHIP, { organisationId: org.id }, org.owner.token);
      const node = own.data.organisation.members.edges.find((edge: any) => edge.node.id === member.membershipId).node;
      expect(node.teams).toEqual([]);
      expect(node.effectivePermissions).not.toContain('invitations:read');
      const after = await gql(TEAM_MEMBERS, { id: team }, org.owner.token);
      expect(after.data.team).toMatchObject({ memberCount: 0, members: { totalCount: 0, edges: [] } });
      // The expired MANAGER place no longer gives team scope.
      expect(errorCodes(await gql(UPDATE_TEAM, { id: team, input: { description: 'not any more' } }, member.token))).toEqual(['FORBIDDEN']);

      const again = await gql(ADD_TEAM_MEMBER, { input: { teamId: team, membershipId: member.membershipId, role: 'MEMBER' } }, org.owner.token);
      expect(again.errors).toBeUndefined();
      expect(again.data.addTeamMember).toMatchObject({ role: 'MEMBER', expiresAt: null });
      expect(await sweeper().runOnce()).toBe(0);
    });

    it('the sweeper removes expired places (member.role_expired, team.member_removed)', async () => {
      const org = await createOrganisation(service, admin);
      const member = await memberWith(service, org.id, ['viewer']);
      const team = (await gql(CREATE_TEAM, { input: { organisationId: org.id, name: 'Night shift' } }, org.owner.token)).data.createTeam.id;
      await gql(ADD_TEAM_MEMBER, { input: { teamId: team, membershipId: member.membershipId, role: 'MEMBER', expiresAt: inHours(1) } }, org.owner.token);
      await db().query(`UPDATE team_members SET expires_at = now() - interval '1 second' WHERE team_id = $1`, [team]);
      expect(await sweeper().runOnce()).toBe(1);
      expect(await audits(org.id, 'member.role_expired')).toEqual([expect.objectContaining({ target_id: member.membershipId, details: expect.objectContaining({ teamId: team, place: 'MEMBER' }) })]);
      const [event] = await db().query(`SELECT data FROM events WHERE organisation_id = $1 AND type = 'team.member_removed'`, [org.id]);
      expect(event.data).toMatchObject({ teamId: team, membershipId: member.membershipId, reason: 'expired' });
    });

    it('refuses a time-bound place in a team granting Owner, a past expiresAt, and expiresAt on setTeamMemberRole (BAD_USER_INPUT, nothing written)', async () => {
      const org = await createOrganisation(service, admin);
      const member = await memberWith(service, org.id, ['viewer']);
      const owners = (await gql(CREATE_TEAM, { input: { organisationId: org.id, name: 'Owners' } }, org.owner.token)).data.createTeam.id;
      await gql(SET_TEAM_ROLES, { teamId: owners, roleIds: [await builtIn(org.id, 'owner')] }, org.owner.token);
      const plain = (await gql(CREATE_TEAM, { input: { organisationId: org.id, name: 'Plain' } }, org.owner.token)).data.createTeam.id;
      await gql(ADD_TEAM_MEMBER, { input: { teamId: plain, membershipId: member.membershipId, role: 'MEMBER' } }, org.owner.token);
      const SET_ROLE = `mutation($input: TeamMemberInput!) { setTeamMemberRole(input: $input) { role } }`;
      const cases: [string, string, Record<string, unknown>][] = [
        ['owner team', ADD_TEAM_MEMBER, { teamId: owners, membershipId: member.membershipId, role: 'MEMBER', expiresAt: inHours(1) }],
        ['past', ADD_TEAM_MEMBER, { teamId: owners, membershipId: member.membershipId, role: 'MEMBER', expiresAt: '2020-01-01T00:00:00Z' }],
        ['set role', SET_ROLE, { teamId: plain, membershipId: member.membershipId, role: 'MANAGER', expiresAt: inHours(1) }],
      ];
      for (const [label, query, input] of cases) {
        const response = await expectNothingWritten(db(), () => gql(query, { input }, org.owner.token));
        expect([label, errorCodes(response)]).toEqual([label, ['BAD_USER_INPUT']]);
      }
      // Another organisation's owner: the team looks missing.
      const other = await createOrganisation(service, admin);
      const foreign = await gql(ADD_TEAM_MEMBER, { input: { teamId: plain, membershipId: member.membershipId, role: 'MEMBER', expiresAt: inHours(1) } }, other.owner.token);
      expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
    });
  });

  describe('invitations and imports', () => {
    it('inviteUser.expiresAt applies to the roles it offers, carried to acceptance; Owner and past dates are refused', async () => {
      const org = await createOrganisation(service, admin);
      const adminRole = await builtIn(org.id, 'admin');
      const invitee = `invitee-${Date.now()}@example.com`;
      const expiresAt = inHours(48);
      const invited = await gql(INVITE, { input: { organisationId: org.id, email: invitee, roleIds: [adminRole], expiresAt } }, org.owner.token);
      expect(invited.errors).toBeUndefined();
      const user = await signIn(service, { email: invitee });
      const accepted = await gql(ACCEPT, { token: invited.data.inviteUser.token }, user.token);
      expect(accepted.errors).toBeUndefined();
      const grants = (await gql(VIEWER_GRANTS, {}, user.token)).data.viewer.memberships[0].roleGrants;
      expect(grants.map((g: any) => ({ ...g, expiresAt: g.expiresAt && new Date(g.expiresAt).toISOString() }))).toEqual([{ role: { id: adminRole, name: 'Admin' }, expiresAt }]);

      for (const [label, input] of [
        ['owner', { roleIds: [await builtIn(org.id, 'owner')], expiresAt: inHours(1) }],
        ['past', { roleIds: [adminRole], expiresAt: '2001-01-01T00:00:00Z' }],
        ['unparsable', { roleIds: [adminRole], expiresAt: 'soon' }],
      ] as const) {
        const response = await expectNothingWritten(db(), () => gql(INVITE, { input: { organisationId: org.id, email: `x-${label}@example.com`, ...input } }, org.owner.token));
        expect([label, errorCodes(response)]).toEqual([label, ['BAD_USER_INPUT']]);
      }
    });

    it('an invitation whose role end passed before acceptance grants no role', async () => {
      const org = await createOrganisation(service, admin);
      const invitee = `late-${Date.now()}@example.com`;
      const invited = await gql(INVITE, { input: { organisationId: org.id, email: invitee, roleIds: [await builtIn(org.id, 'admin')], expiresAt: inHours(1) } }, org.owner.token);
      await db().query(`UPDATE invitations SET role_expires_at = now() - interval '1 second' WHERE id = $1`, [invited.data.inviteUser.invitation.id]);
      const user = await signIn(service, { email: invitee });
      expect((await gql(ACCEPT, { token: invited.data.inviteUser.token }, user.token)).errors).toBeUndefined();
      expect((await gql(VIEWER_GRANTS, {}, user.token)).data.viewer.memberships[0].roleGrants).toEqual([]);
    });

    it('importMembers reads an expires_at column (ISO 8601) for the row\'s roles and team places; a bad one is a row error', async () => {
      const org = await createOrganisation(service, admin);
      await gql(CREATE_TEAM, { input: { organisationId: org.id, name: 'Audit' } }, org.owner.token);
      const expiresAt = inHours(72);
      const csv = `email,name,initial_roles,teams,expires_at\nimp-a-${Date.now()}@example.com,A,Admin,Audit,${expiresAt}\nimp-b-${Date.now()}@example.com,B,Viewer,,\n`;
      const imported = await gql(IMPORT, { input: { organisationId: org.id, csv, dryRun: false } }, org.owner.token);
      expect(imported.errors).toBeUndefined();
      expect(imported.data.importMembers.created).toBe(2);
      const rows = await db().query(
        `SELECT u.display_name, (SELECT array_agg(expires_at) FROM membership_roles l WHERE l.membership_id = m.id) AS roles,
                (SELECT array_agg(expires_at) FROM team_members tm WHERE tm.membership_id = m.id) AS places
         FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organisation_id = $1 AND u.display_name IN ('A', 'B') ORDER BY 1`,
        [org.id],
      );
      expect(rows[0].roles.map((d: Date) => d.toISOString())).toEqual([expiresAt]);
      expect(rows[0].places.map((d: Date) => d.toISOString())).toEqual([expiresAt]);
      expect(rows[1]).toMatchObject({ roles: [null], places: null });

      const bad = `email,name,initial_roles,expires_at\nbad-a@example.com,A,Admin,yesterday\nbad-b@example.com,B,Admin,2001-01-01T00:00:00Z\nbad-c@example.com,C,Owner,${expiresAt}\n`;
      const refused = await expectNothingWritten(db(), () => gql(IMPORT, { input: { organisationId: org.id, csv: bad, dryRun: false } }, org.owner.token));
      expect(refused.data.importMembers.rows.map((row: any) => [row.status, row.errors.length > 0])).toEqual([['ERROR', true], ['ERROR', true], ['ERROR', true]]);
      expect(refused.data.importMembers.rows[2].errors).toContain('The Owner role cannot be time-bound (expires_at)');
    });
  });

  describe('elevation requests', () => {
    let org: TestOrganisation;
    let adminRole: string;
    let managerRole: string;
    let requester: Member;
    let approver: Member;
    let secondApprover: Member;
    let helper: Member;

    beforeAll(async () => {
      org = await createOrganisation(service, admin);
      adminRole = await builtIn(org.id, 'admin');
      managerRole = await builtIn(org.id, 'manager');
      requester = await memberWith(service, org.id, ['member']);
      approver = await memberWith(service, org.id, ['admin']);
      secondApprover = await memberWith(service, org.id, ['admin']);
      // Holds members:assign-roles but not what Admin grants: may decide requests for Viewer-like roles only.
      const helperRole = await gql(CREATE_ROLE, { input: { organisationId: org.id, name: 'Helper', permissions: ['members:assign-roles', 'members:read', 'org:read', 'teams:read'] } }, org.owner.token);
      helper = await memberWith(service, org.id, []);
      await db().query('INSERT INTO membership_roles (membership_id, role_id, organisation_id) VALUES ($1, $2, $3)', [helper.membershipId, helperRole.data.createRole.id, org.id]);
    });

    const request = (token: string, input: Record<string, unknown>) => gql(REQUEST, { input: { organisationId: org.id, ...input } }, token);

    it('maxElevationHours defaults to 8 and is settable within 1–720 through updateOrganisation', async () => {
      expect((await gql(SETTINGS, { id: org.id }, org.owner.token)).data.organisation.settings.maxElevationHours).toBe(8);
      for (const bad of [0, 721]) {
        const response = await expectNothingWritten(db(), () => gql(UPDATE_ORGANISATION, { id: org.id, input: { maxElevationHours: bad } }, org.owner.token));
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      }
      expect((await gql(UPDATE_ORGANISATION, { id: org.id, input: { maxElevationHours: 12 } }, org.owner.token)).data.updateOrganisation.settings.maxElevationHours).toBe(12);
    });

    it('refuses bad requests (BAD_USER_INPUT), another organisation (NOT_FOUND), and a second pending one (CONFLICT), writing nothing', async () => {
      const other = await createOrganisation(service, admin);
      const cases: [string, Record<string, unknown>, string][] = [
        ['zero hours', { roleId: adminRole, hours: 0, reason: 'x' }, 'BAD_USER_INPUT'],
        ['too long', { roleId: adminRole, hours: 13, reason: 'x' }, 'BAD_USER_INPUT'],
        ['blank reason', { roleId: adminRole, hours: 1, reason: '   ' }, 'BAD_USER_INPUT'],
        ['long reason', { roleId: adminRole, hours: 1, reason: 'x'.repeat(1001) }, 'BAD_USER_INPUT'],
        ['owner', { roleId: await builtIn(org.id, 'owner'), hours: 1, reason: 'x' }, 'BAD_USER_INPUT'],
        ['unknown role', { roleId: '00000000-0000-4000-8000-000000000000', hours: 1, reason: 'x' }, 'BAD_USER_INPUT'],
        ['foreign role', { roleId: await builtIn(other.id, 'admin'), hours: 1, reason: 'x' }, 'BAD_USER_INPUT'],
      ];
      for (const [label, input, code] of cases) {
        const response = await expectNothingWritten(db(), () => request(requester.token, input));
        expect([label, errorCodes(response)]).toEqual([label, [code]]);
      }
      const foreign = await expectNothingWritten(db(), () => gql(REQUEST, { input: { organisationId: org.id, roleId: adminRole, hours: 1, reason: 'x' } }, other.owner.token));
      expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
      const first = await request(requester.token, { roleId: managerRole, hours: 2, reason: 'on call' });
      expect(first.errors).toBeUndefined();
      const twice = await expectNothingWritten(db(), () => request(requester.token, { roleId: managerRole, hours: 2, reason: 'again' }));
      expect(errorCodes(twice)).toEqual(['CONFLICT']);
      await gql(CANCEL, { id: first.data.requestElevation.id }, requester.token);
    });

    it('an approver grants the role until now + hours through the assignRoles service; everything audited', async () => {
      const asked = await request(requester.token, { roleId: adminRole, hours: 4, reason: 'incident 42' });
      expect(asked.data.requestElevation).toMatchObject({ status: 'PENDING', hours: 4, reason: 'incident 42', requester: { id: requester.membershipId }, role: { id: adminRole }, decidedBy: null });
      const id = asked.data.requestElevation.id;
      // Seen by approvers who could grant Admin, not by the helper (escalation), nor by the requester as approver.
      const awaiting = await gql(AWAITING, { id: org.id, status: 'PENDING' }, approver.token);
      expect(awaiting.data.organisation.elevationRequests.edges.map((edge: any) => edge.node.id)).toContain(id);
      expect((await gql(AWAITING, { id: org.id, status: 'PENDING' }, helper.token)).data.organisation.elevationRequests.edges.map((edge: any) => edge.node.id)).not.toContain(id);
      expect(errorCodes(await gql(AWAITING, { id: org.id }, requester.token))).toEqual(['FORBIDDEN']);
      const mine = await gql(MINE, { status: 'PENDING' }, requester.token);
      expect(mine.data.viewer.elevationRequests.edges.map((edge: any) => edge.node.id)).toEqual([id]);

      // Refusals: the helper could not grant Admin; a plain member lacks members:assign-roles; another
      // organisation's owner does not see it; nobody decides their own.
      expect(errorCodes(await expectNothingWritten(db(), () => gql(DECIDE, { id, approve: true }, helper.token)))).toEqual(['FORBIDDEN']);
      const plain = await memberWith(service, org.id, ['member']);
      expect(errorCodes(await expectNothingWritten(db(), () => gql(DECIDE, { id, approve: true }, plain.token)))).toEqual(['NOT_FOUND']);
      const other = await createOrganisation(service, admin);
      expect(errorCodes(await expectNothingWritten(db(), () => gql(DECIDE, { id, approve: true }, other.owner.token)))).toEqual(['NOT_FOUND']);
      expect(errorCodes(await expectNothingWritten(db(), () => gql(CANCEL, { id }, other.owner.token)))).toEqual(['NOT_FOUND']);
      expect(errorCodes(await expectNothingWritten(db(), () => gql(CANCEL, { id }, approver.token)))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await expectNothingWritten(db(), () => gql(DECIDE, { id, approve: true, comment: 'x'.repeat(1001) }, approver.token)))).toEqual(['BAD_USER_INPUT']);

      const before = Date.now();
      const approved = await gql(DECIDE, { id, approve: true, comment: 'go ahead' }, approver.token);
      expect(approved.errors).toBeUndefined();
      expect(approved.data.decideElevation).toMatchObject({ status: 'APPROVED', comment: 'go ahead', decidedBy: { id: approver.membershipId } });
      const ends = new Date(approved.data.decideElevation.expiresAt).getTime();
      expect(ends).toBeGreaterThanOrEqual(before + 4 * HOUR - 1000);
      expect(ends).toBeLessThanOrEqual(Date.now() + 4 * HOUR + 1000);
      const grants = (await gql(VIEWER_GRANTS, {}, requester.token)).data.viewer.memberships.find((m: any) => m.organisation.id === org.id).roleGrants;
      expect(grants.find((g: any) => g.role.id === adminRole).expiresAt).toBe(approved.data.decideElevation.expiresAt);
      expect((await gql(UPDATE_ORGANISATION, { id: org.id, input: { maxElevationHours: 12 } }, requester.token)).errors).toBeUndefined();
      expect(await audits(org.id, 'elevation.requested')).toEqual(expect.arrayContaining([expect.objectContaining({ target_id: id })]));
      expect(await audits(org.id, 'elevation.approved')).toEqual([expect.objectContaining({ target_id: id, details: expect.objectContaining({ comment: 'go ahead' }) })]);
      expect((await audits(org.id, 'member.roles-assigned')).some((row: any) => row.details.elevationRequestId === id)).toBe(true);
      // Decided: deciding or cancelling again is CONFLICT.
      expect(errorCodes(await expectNothingWritten(db(), () => gql(DECIDE, { id, approve: false }, secondApprover.token)))).toEqual(['CONFLICT']);
      expect(errorCodes(await expectNothingWritten(db(), () => gql(CANCEL, { id }, requester.token)))).toEqual(['CONFLICT']);
      await gql(ASSIGN, { input: { organisationId: org.id, membershipIds: [requester.membershipId], roleIds: [adminRole], mode: 'REMOVE' } }, org.owner.token);
    });

    it('two approvers at once: one decides, the other gets CONFLICT', async () => {
      for (let round = 0; round < 3; round += 1) {
        const id = (await request(requester.token, { roleId: managerRole, hours: 1, reason: `race ${round}` })).data.requestElevation.id;
        const answers = await Promise.all([gql(DECIDE, { id, approve: true }, approver.token), gql(DECIDE, { id, approve: false }, secondApprover.token)]);
        const codes = answers.map((answer) => errorCodes(answer)[0] ?? 'OK').sort();
        expect(codes).toEqual(['CONFLICT', 'OK']);
        const [row] = await db().query('SELECT status FROM elevation_requests WHERE id = $1', [id]);
        const winner = answers.find((answer) => !answer.errors)!.data.decideElevation.status;
        expect(row.status).toBe(winner);
        expect((await audits(org.id, 'elevation.approved')).filter((r: any) => r.target_id === id).length + (await audits(org.id, 'elevation.denied')).filter((r: any) => r.target_id === id).length).toBe(1);
        await gql(ASSIGN, { input: { organisationId: org.id, membershipIds: [requester.membershipId], roleIds: [managerRole], mode: 'REMOVE' } }, org.owner.token);
      }
    });

    it('a revoke racing a re-grant (an approval): the end state is one of the two orders, never a mix', async () => {
      for (let round = 0; round < 3; round += 1) {
        await gql(ASSIGN, { input: { organisationId: org.id, membershipIds: [requester.membershipId], roleIds: [managerRole], mode: 'ADD', expiresAt: inHours(1) } }, org.owner.token);
        await expireDirect(requester.membershipId, managerRole);
        const id = (await request(requester.token, { roleId: managerRole, hours: 2, reason: `regrant ${round}` })).data.requestElevation.id;
        const [revoked, approved] = await Promise.all([
          gql(ASSIGN, { input: { organisationId: org.id, membershipIds: [requester.membershipId], roleIds: [managerRole], mode: 'REMOVE' } }, org.owner.token),
          gql(DECIDE, { id, approve: true }, approver.token),
        ]);
        expect(revoked.errors).toBeUndefined();
        expect(approved.errors).toBeUndefined();
        const rows = await db().query('SELECT expires_at FROM membership_roles WHERE membership_id = $1 AND role_id = $2', [requester.membershipId, managerRole]);
        // Approval last: a fresh grant ending with the approval; revoke last: nothing.
        if (rows.length === 1) expect(rows[0].expires_at.toISOString()).toBe(new Date(approved.data.decideElevation.expiresAt).toISOString());
        else expect(rows).toHaveLength(0);
        await gql(ASSIGN, { input: { organisationId: org.id, membershipIds: [requester.membershipId], roleIds: [managerRole], mode: 'REMOVE' } }, org.owner.token);
      }
    });

    it('a decision and a cancellation read the request once: the rule and the service share the lookup', async () => {
      const lookups = (statements: string[]) => statements.filter((sql) => /FROM elevation_requests e\b/.test(sql) && /WHERE e\.id = \$1/.test(sql) && !/FOR UPDATE/.test(sql));
      const denied = (await request(requester.token, { roleId: managerRole, hours: 1, reason: 'count the lookups' })).data.requestElevation.id;
      const decision = await service.countStatements(DECIDE, { id: denied, approve: false }, approver.token);
      expect(decision.response.data.decideElevation.status).toBe('DENIED');
      expect(lookups(decision.statements)).toHaveLength(1);
      const withdrawn = (await request(requester.token, { roleId: managerRole, hours: 1, reason: 'count the lookups' })).data.requestElevation.id;
      const cancellation = await service.countStatements(CANCEL, { id: withdrawn }, requester.token);
      expect(cancellation.response.data.cancelElevation.status).toBe('CANCELLED');
      expect(lookups(cancellation.statements)).toHaveLength(1);
      // Two mutations in one document: the second reads the request again (the first may have changed it).
      const twice = (await request(requester.token, { roleId: managerRole, hours: 1, reason: 'twice' })).data.requestElevation.id;
      const both = await service.countStatements(
        `mutation($id: ID!) { first: cancelElevation(id: $id) { status } second: cancelElevation(id: $id) { status } }`,
        { id: twice },
        requester.token,
      );
      // The second is CONFLICT (already cancelled), and its non-null field nulls the data; the first committed.
      expect(errorCodes(both.response)).toEqual(['CONFLICT']);
      expect(await db().query('SELECT status FROM elevation_requests WHERE id = $1', [twice])).toEqual([{ status: 'CANCELLED' }]);
      expect(lookups(both.statements)).toHaveLength(2);
    });

    it('the requester cancels; a request nobody decides in time reads EXPIRED at once and is stored EXPIRED by the sweeper', async () => {
      const cancelled = (await request(requester.token, { roleId: managerRole, hours: 1, reason: 'not needed' })).data.requestElevation.id;
      expect((await gql(CANCEL, { id: cancelled }, requester.token)).data.cancelElevation.status).toBe('CANCELLED');
      expect((await audits(org.id, 'elevation.cancelled')).filter((row: any) => row.target_id === cancelled)).toEqual([expect.objectContaining({ actor_user_id: requester.userId })]);

      const stale = (await request(requester.token, { roleId: managerRole, hours: 1, reason: 'slow approvers' })).data.requestElevation.id;
      await db().query(`UPDATE elevation_requests SET pending_until = now() - interval '1 second' WHERE id = $1`, [stale]);
      const mine = await gql(MINE, { status: 'EXPIRED' }, requester.token);
      expect(mine.data.viewer.elevationRequests.edges.map((edge: any) => edge.node.id)).toEqual([stale]);
      expect((await gql(MINE, { status: 'PENDING' }, requester.token)).data.viewer.elevationRequests.totalCount).toBe(0);
      expect(errorCodes(await expectNothingWritten(db(), () => gql(DECIDE, { id: stale, approve: true }, approver.token)))).toEqual(['CONFLICT']);
      // A new request for the role is possible at once (the stale one is stored EXPIRED on the way).
      const renewed = await request(requester.token, { roleId: managerRole, hours: 1, reason: 'asking again' });
      expect(renewed.errors).toBeUndefined();
      expect((await db().query('SELECT status FROM elevation_requests WHERE id = $1', [stale]))[0].status).toBe('EXPIRED');
      await db().query(`UPDATE elevation_requests SET pending_until = now() - interval '1 second' WHERE id = $1`, [renewed.data.requestElevation.id]);
      expect(await sweeper().runOnce()).toBe(1);
      expect((await db().query('SELECT status FROM elevation_requests WHERE id = $1', [renewed.data.requestElevation.id]))[0].status).toBe('EXPIRED');
      expect((await audits(org.id, 'elevation.expired')).map((row: any) => row.target_id)).toEqual([stale, renewed.data.requestElevation.id]);
    });

    it('pages requests with the keyset paginator; other organisations see none of them', async () => {
      const page = await gql(AWAITING, { id: org.id, first: 2 }, approver.token);
      expect(page.data.organisation.elevationRequests.edges).toHaveLength(2);
      expect(page.data.organisation.elevationRequests.pageInfo.hasNextPage).toBe(true);
      const next = await gql(AWAITING, { id: org.id, first: 2, after: page.data.organisation.elevationRequests.pageInfo.endCursor }, approver.token);
      const ids = [...page.data.organisation.elevationRequests.edges, ...next.data.organisation.elevationRequests.edges].map((edge: any) => edge.node.id);
      expect(new Set(ids).size).toBe(ids.length);
      const other = await createOrganisation(service, admin);
      expect((await gql(AWAITING, { id: org.id }, other.owner.token)).data?.organisation ?? null).toBeNull();
      expect((await gql(MINE, {}, other.owner.token)).data.viewer.elevationRequests.totalCount).toBe(0);
    });
  });

  describe('statement counts of the new lists do not grow with their size', () => {
    // One list per query: each list's statements are a constant (loaders batch its items), whatever its size.
    const LISTS: Record<string, string> = {
      roleGrants: `query($organisationId: ID!) { organisation(id: $organisationId) { members(first: 100) { edges { node { id roleGrants { role { id name } expiresAt } teams { expiresAt team { id } } } } } } }`,
      expiringGrants: `query($organisationId: ID!) { organisation(id: $organisationId) { accessReview { expiringGrants(withinDays: 30) { expiresAt membership { id } role { id } team { id } } } } }`,
      elevationRequests: `query($organisationId: ID!) { organisation(id: $organisationId) { elevationRequests(first: 100) { totalCount edges { node { id status requester { id } role { id } decidedBy { id } } } } } }`,
    };

    it('roleGrants with TeamMembership.expiresAt, expiringGrants and elevationRequests: the same statements for 10 and for 100 members', async () => {
      const counts: Record<string, number[]> = { roleGrants: [], expiringGrants: [], elevationRequests: [] };
      for (const size of [10, 100]) {
        const org = await createOrganisation(service, admin);
        await seedMembers(db(), org.id, { count: size, rolesEach: 2, teamsEach: 1 });
        await db().query(`UPDATE membership_roles SET expires_at = now() + interval '3 days' WHERE organisation_id = $1 AND role_id IN (SELECT id FROM roles WHERE built_in_key IS NULL)`, [org.id]);
        await db().query(`UPDATE team_members SET expires_at = now() + interval '5 days' WHERE organisation_id = $1`, [org.id]);
        const ownerMembership = (await db().query('SELECT id FROM memberships WHERE organisation_id = $1 AND user_id = $2', [org.id, org.owner.userId]))[0].id;
        await db().query(
          `INSERT INTO elevation_requests (organisation_id, requester_membership_id, role_id, hours, reason, status, pending_until, decided_by_membership_id, decided_at)
           SELECT $1, m.id, r.id, 1, 'counting', 'DENIED', now(), $2, now() FROM memberships m JOIN roles r ON r.organisation_id = m.organisation_id AND r.built_in_key = 'admin'
           WHERE m.organisation_id = $1 AND m.id <> $2`,
          [org.id, ownerMembership],
        );
        for (const [name, query] of Object.entries(LISTS)) {
          const { response, count } = await service.countStatements(query, { organisationId: org.id }, org.owner.token);
          expect(response.errors).toBeUndefined();
          counts[name].push(count);
          if (name === 'roleGrants') {
            expect(response.data.organisation.members.edges.filter((edge: any) => edge.node.roleGrants.length === 2 && edge.node.roleGrants.every((g: any) => g.expiresAt) && edge.node.teams[0].expiresAt)).toHaveLength(Math.min(size, 99));
          }
          if (name === 'expiringGrants') expect(response.data.organisation.accessReview.expiringGrants).toHaveLength(size * 3);
          if (name === 'elevationRequests') expect(response.data.organisation.elevationRequests.totalCount).toBe(size);
        }
      }
      process.stdout.write(`statements for 10 / 100 members: ${Object.entries(counts).map(([name, [small, large]]) => `${name} ${small} / ${large}`).join(', ')}\n`);
      for (const [small, large] of Object.values(counts)) expect(large).toBe(small);
    });
  });

  describe('statement counts with 20% of grants time-bound', () => {
    const MEMBERS = contractOperation('Members');
    const ENTITIES = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Membership { id status roles { id } teams { role team { id } } effectivePermissions } } }`;

    it('the Members page and _entities cost the same statements with and without time-bound grants', async () => {
      const counts: Record<string, number[]> = { members: [], entities: [] };
      const pages: { organisationId: string; token: string; representations: unknown[] }[] = [];
      for (const timeBound of [false, true]) {
        const org = await createOrganisation(service, admin);
        const seeded = await seedMembers(db(), org.id, { count: 100, rolesEach: 3, teamsEach: 2 });
        if (timeBound) {
          await db().query(`UPDATE membership_roles SET expires_at = now() + interval '3 days' WHERE organisation_id = $1 AND random() < 0.2`, [org.id]);
          await db().query(`UPDATE team_members SET expires_at = now() + interval '3 days' WHERE organisation_id = $1 AND random() < 0.2`, [org.id]);
          // Some of them already past: still one statement, ignored at read time.
          await db().query(`UPDATE membership_roles SET expires_at = now() - interval '1 hour' WHERE organisation_id = $1 AND expires_at IS NOT NULL AND random() < 0.3`, [org.id]);
        }
        const members = await service.countStatements(MEMBERS, { organisationId: org.id, first: 100 }, org.owner.token);
        expect(members.response.errors).toBeUndefined();
        const entities = await service.countStatements(ENTITIES, { representations: seeded.membershipIds.map((id) => ({ __typename: 'Membership', id })) }, org.owner.token);
        expect(entities.response.errors).toBeUndefined();
        expect(entities.response.data._entities).toHaveLength(100);
        counts.members.push(members.count);
        counts.entities.push(entities.count);
        pages.push({ organisationId: org.id, token: org.owner.token, representations: seeded.membershipIds.map((id) => ({ __typename: 'Membership', id })) });
      }
      // CPU of this process (the service runs in it) for the same pages, interleaved; printed, not asserted
      // (the machine is shared). The evaluator alone: npm run bench:grant-expiry.
      const cpu: number[][] = [[], []];
      for (let round = 0; round < 8; round += 1) {
        for (const variant of round % 2 === 0 ? [0, 1] : [1, 0]) {
          const start = process.cpuUsage();
          for (let i = 0; i < 5; i += 1) {
            await service.graphql(MEMBERS, { organisationId: pages[variant].organisationId, first: 100 }, pages[variant].token);
            await service.graphql(ENTITIES, { representations: pages[variant].representations }, pages[variant].token);
          }
          const used = process.cpuUsage(start);
          cpu[variant].push((used.user + used.system) / 5);
        }
      }
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
      const [without, withTimeBound] = cpu.map(median);
      process.stdout.write(`Members page + _entities (100 members) CPU: ${(without / 1000).toFixed(1)} ms without, ${(withTimeBound / 1000).toFixed(1)} ms with 20% time-bound (${(((withTimeBound - without) / without) * 100).toFixed(1)}%)\n`);
      process.stdout.write(`Members: ${counts.members.join(' / ')} statements; _entities: ${counts.entities.join(' / ')} (without / with 20% time-bound grants)\n`);
      expect(counts.members[1]).toBe(counts.members[0]);
      expect(counts.entities[1]).toBe(counts.entities[0]);
    });
  });
});
