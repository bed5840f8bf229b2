import { OrganisationPurgeSweeper, PURGED_ORGANISATION_NAME } from '../src/organisations/organisation-purge.sweeper';
import { addMember, createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { verifiedDomain } from './support/domains';
import { expectNothingWritten as expectNothingWrittenIn } from './support/nothing-written';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

const APPOINT = 'mutation($organisationId: ID!, $email: String!) { appointOwner(organisationId: $organisationId, email: $email) { id status joinedAt } }';
const TRANSFER = `mutation($organisationId: ID!, $toMembershipId: ID!) {
  transferOwnership(organisationId: $organisationId, toMembershipId: $toMembershipId) {
    previousOwner { id roles { name } }
    newOwner { id roles { name } }
  }
}`;
const SUSPEND = 'mutation($id: ID!) { suspendOrganisation(id: $id) { id status suspendedAt deletedAt } }';
const REACTIVATE = 'mutation($id: ID!) { reactivateOrganisation(id: $id) { id status suspendedAt deletedAt } }';
const DELETE = 'mutation($id: ID!) { deleteOrganisation(id: $id) { id status suspendedAt deletedAt } }';
const ORGANISATION = 'query($id: ID, $slug: String) { organisation(id: $id, slug: $slug) { id name slug status suspendedAt deletedAt } }';
const SETTINGS = 'query($id: ID!) { organisation(id: $id) { id status settings { requireMfa } } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateOrganisationInput!) { updateOrganisation(id: $id, input: $input) { id name } }';
const CREATE_TEAM = 'mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }';
const ORGANISATIONS = `query($search: String, $first: Int, $after: String) {
  organisations(search: $search, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name slug status } }
  }
}`;
const TEAM_ENTITY = 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Team { id name } ... on Organisation { id name status } } }';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('organisation lifecycle', () => {
  let service: TestService;
  let admin: SignedInUser;

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
  });
  afterAll(() => service.stop());

  const db = () => service.database.dataSource;
  const expectNothingWritten = <T>(work: () => Promise<T>): Promise<T> => expectNothingWrittenIn(db(), work);
  const gql = (query: string, variables: Record<string, unknown>, token: string) => service.graphql(query, variables, token);
  const ok = <T = any>(response: GraphQLResponse<T>): T => {
    expect(response.errors).toBeUndefined();
    return response.data as T;
  };
  const auditRows = (organisationId: string, action: string): Promise<{ actor_user_id: string | null; target_id: string; details: any }[]> =>
    db().query('SELECT actor_user_id, target_id, details FROM audit_events WHERE organisation_id = $1 AND action = $2 ORDER BY occurred_at', [organisationId, action]);
  const events = (organisationId: string, type: string): Promise<{ data: any }[]> =>
    db().query('SELECT data FROM events WHERE organisation_id = $1 AND type = $2 ORDER BY sequence', [organisationId, type]);
  const ownerMembershipIds = async (organisationId: string): Promise<string[]> =>
    (
      await db().query(
        `SELECT m.id FROM memberships m JOIN membership_roles mr ON mr.membership_id = m.id JOIN roles r ON r.id = mr.role_id
         WHERE m.organisation_id = $1 AND r.built_in_key = 'owner' AND m.status = 'ACTIVE' ORDER BY m.id`,
        [organisationId],
      )
    ).map((row: { id: string }) => row.id);
  const directRoleKeys = async (membershipId: string): Promise<string[]> =>
    (await db().query('SELECT r.built_in_key FROM membership_roles mr JOIN roles r ON r.id = mr.role_id WHERE mr.membership_id = $1 ORDER BY 1', [membershipId])).map(
      (row: { built_in_key: string }) => row.built_in_key,
    );
  const membershipOf = async (organisationId: string, userId: string): Promise<string> =>
    (await db().query('SELECT id FROM memberships WHERE organisation_id = $1 AND user_id = $2', [organisationId, userId]))[0].id;

  async function expectRefused(query: string, variables: Record<string, unknown>, token: string, code: string, reason?: string) {
    const response = await expectNothingWritten(() => gql(query, variables, token));
    expect(errorCodes(response)).toEqual([code]);
    if (reason) expect(response.errors?.[0].extensions?.reason).toBe(reason);
    return response;
  }

  describe('appointOwner', () => {
    it('makes a new email an active Owner (a placeholder user), audited as a platform action with ids only, and published', async () => {
      const organisation = await createOrganisation(service, admin);
      const email = `rescuer-${organisation.slug}@example.com`;
      const { appointOwner } = ok(await gql(APPOINT, { organisationId: organisation.id, email: `  ${email.toUpperCase()} ` }, admin.token));
      expect(appointOwner).toMatchObject({ status: 'ACTIVE' });
      const [user] = await db().query('SELECT id, issuer, email_verified FROM users WHERE email = $1', [email]);
      expect(user).toMatchObject({ issuer: null, email_verified: false });
      expect(await membershipOf(organisation.id, user.id)).toBe(appointOwner.id);
      expect(await ownerMembershipIds(organisation.id)).toContain(appointOwner.id);
      const [audit] = await auditRows(organisation.id, 'organisation.owner-appointed');
      expect(audit).toMatchObject({ actor_user_id: admin.userId, target_id: appointOwner.id, details: { platformAction: true, userId: user.id, outcome: 'JOINED' } });
      expect(JSON.stringify(audit.details)).not.toContain(email);
      expect(await events(organisation.id, 'organisation.owner_appointed')).toEqual([
        { data: expect.objectContaining({ membershipId: appointOwner.id, userId: user.id, outcome: 'JOINED', actor: { userId: admin.userId } }) },
      ]);
    });

    it('promotes an existing member; a second call changes nothing and publishes nothing more', async () => {
      const organisation = await createOrganisation(service, admin);
      const member = await memberWith(service, organisation.id, ['member']);
      const first = ok(await gql(APPOINT, { organisationId: organisation.id, email: member.email }, admin.token));
      expect(first.appointOwner.id).toBe(member.membershipId);
      expect(await directRoleKeys(member.membershipId)).toEqual(['member', 'owner']);
      ok(await gql(APPOINT, { organisationId: organisation.id, email: member.email }, admin.token));
      expect((await auditRows(organisation.id, 'organisation.owner-appointed')).map((row) => row.details.outcome)).toEqual(['PROMOTED', 'UNCHANGED']);
      expect(await events(organisation.id, 'organisation.owner_appointed')).toHaveLength(1);
    });

    it('refuses everyone but platform administrators, bad input and unknown or deleted organisations, writing nothing', async () => {
      const organisation = await createOrganisation(service, admin);
      await expectRefused(APPOINT, { organisationId: organisation.id, email: 'someone@example.com' }, organisation.owner.token, 'FORBIDDEN');
      await expectRefused(APPOINT, { organisationId: organisation.id, email: 'not-an-email' }, admin.token, 'BAD_USER_INPUT');
      await expectRefused(APPOINT, { organisationId: organisation.id, email: `${'a'.repeat(320)}@example.com` }, admin.token, 'BAD_USER_INPUT');
      await expectRefused(APPOINT, { organisationId: 'nope', email: 'someone@example.com' }, admin.token, 'NOT_FOUND');
      await expectRefused(APPOINT, { organisationId: '00000000-0000-4000-8000-000000000000', email: 'someone@example.com' }, admin.token, 'NOT_FOUND');
      ok(await gql(DELETE, { id: organisation.id }, admin.token));
      await expectRefused(APPOINT, { organisationId: organisation.id, email: 'someone@example.com' }, admin.token, 'CONFLICT');
    });
  });

  describe('transferOwnership', () => {
    it('moves Owner to the recipient; the caller loses Owner and keeps Admin; audited and published', async () => {
      const organisation = await createOrganisation(service, admin);
      const recipient = await memberWith(service, organisation.id, ['member']);
      const ownerMembershipId = await membershipOf(organisation.id, organisation.owner.userId);
      const { transferOwnership } = ok(await gql(TRANSFER, { organisationId: organisation.id, toMembershipId: recipient.membershipId }, organisation.owner.token));
      expect(transferOwnership.previousOwner).toEqual({ id: ownerMembershipId, roles: [{ name: 'Admin' }] });
      expect(transferOwnership.newOwner.id).toBe(recipient.membershipId);
      expect(transferOwnership.newOwner.roles.map((role: { name: string }) => role.name).sort()).toEqual(['Member', 'Owner']);
      expect(await ownerMembershipIds(organisation.id)).toEqual([recipient.membershipId]);
      expect(await directRoleKeys(ownerMembershipId)).toEqual(['admin']);
      const [audit] = await auditRows(organisation.id, 'organisation.ownership-transferred');
      expect(audit).toMatchObject({
        actor_user_id: organisation.owner.userId,
        target_id: recipient.membershipId,
        details: { fromMembershipId: ownerMembershipId, toMembershipId: recipient.membershipId, callerKeeps: 'Admin' },
      });
      expect(await events(organisation.id, 'organisation.ownership_transferred')).toHaveLength(1);
      const changed = await events(organisation.id, 'membership.roles_changed');
      expect(changed.map((event) => event.data.membershipId).sort()).toEqual([ownerMembershipId, recipient.membershipId].sort());
      // The former Owner is an Admin now: Owner-only operations are refused.
      await expectRefused(TRANSFER, { organisationId: organisation.id, toMembershipId: ownerMembershipId }, organisation.owner.token, 'FORBIDDEN');
    });

    it('refuses non-Owners, other organisations, oneself, inactive recipients and existing Owners, writing nothing', async () => {
      const organisation = await createOrganisation(service, admin);
      const other = await createOrganisation(service, admin);
      const adminMember = await memberWith(service, organisation.id, ['admin']);
      const recipient = await memberWith(service, organisation.id, ['member']);
      const deactivated = await memberWith(service, organisation.id, ['member'], { status: 'DEACTIVATED' as never });
      const coOwner = await memberWith(service, organisation.id, ['owner']);
      const ownerMembershipId = await membershipOf(organisation.id, organisation.owner.userId);
      const outsiderMembership = await membershipOf(other.id, other.owner.userId);
      const variables = (toMembershipId: string, organisationId = organisation.id) => ({ organisationId, toMembershipId });
      await expectRefused(TRANSFER, variables(recipient.membershipId), adminMember.token, 'FORBIDDEN');
      await expectRefused(TRANSFER, variables(recipient.membershipId), other.owner.token, 'NOT_FOUND');
      await expectRefused(TRANSFER, variables(recipient.membershipId), admin.token, 'NOT_FOUND');
      await expectRefused(TRANSFER, variables(outsiderMembership), organisation.owner.token, 'NOT_FOUND');
      await expectRefused(TRANSFER, variables('nope'), organisation.owner.token, 'NOT_FOUND');
      await expectRefused(TRANSFER, variables(recipient.membershipId, 'nope'), organisation.owner.token, 'NOT_FOUND');
      await expectRefused(TRANSFER, variables(ownerMembershipId), organisation.owner.token, 'BAD_USER_INPUT');
      await expectRefused(TRANSFER, variables(deactivated.membershipId), organisation.owner.token, 'CONFLICT');
      await expectRefused(TRANSFER, variables(coOwner.membershipId), organisation.owner.token, 'CONFLICT');
      await db().query('UPDATE organisations SET require_mfa = true WHERE id = $1', [organisation.id]);
      await expectRefused(TRANSFER, variables(recipient.membershipId), organisation.owner.token, 'MFA_REQUIRED');
    });

    it('two transfers at once by the same Owner: exactly one wins, the other is refused and writes nothing', async () => {
      for (let round = 0; round < 3; round += 1) {
        const organisation = await createOrganisation(service, admin);
        const first = await memberWith(service, organisation.id, ['member']);
        const second = await memberWith(service, organisation.id, ['member']);
        const responses = await Promise.all(
          [first, second].map((to) => gql(TRANSFER, { organisationId: organisation.id, toMembershipId: to.membershipId }, organisation.owner.token)),
        );
        const codes = responses.map((response) => errorCodes(response));
        expect(codes.filter((list) => list.length === 0)).toHaveLength(1);
        expect(codes.filter((list) => list.length > 0)).toEqual([['FORBIDDEN']]);
        const owners = await ownerMembershipIds(organisation.id);
        expect(owners).toHaveLength(1);
        expect([first.membershipId, second.membershipId]).toContain(owners[0]);
        expect(await auditRows(organisation.id, 'organisation.ownership-transferred')).toHaveLength(1);
      }
    });

    it('a transfer racing the deactivation of its recipient never leaves the organisation without an Owner', async () => {
      const organisation = await createOrganisation(service, admin);
      const recipient = await memberWith(service, organisation.id, ['member']);
      const coOwner = await memberWith(service, organisation.id, ['owner']);
      await Promise.all([
        gql(TRANSFER, { organisationId: organisation.id, toMembershipId: recipient.membershipId }, organisation.owner.token),
        gql('mutation($id: ID!) { deactivateMember(membershipId: $id) { id } }', { id: recipient.membershipId }, coOwner.token),
      ]);
      expect((await ownerMembershipIds(organisation.id)).length).toBeGreaterThanOrEqual(1);
    });
  });

  describe('suspend, reactivate, delete', () => {
    let organisation: TestOrganisation;
    let member: SignedInUser & { membershipId: string };
    let outsider: SignedInUser;
    let teamId: string;

    beforeAll(async () => {
      organisation = await createOrganisation(service, admin);
      member = await memberWith(service, organisation.id, ['admin']);
      outsider = (await createOrganisation(service, admin)).owner;
      teamId = ok(await gql(CREATE_TEAM, { input: { organisationId: organisation.id, name: 'Support', description: '' } }, member.token)).createTeam.id;
    });

    it('only platform administrators change the status; bad ids are NOT_FOUND; nothing is written', async () => {
      for (const mutation of [SUSPEND, REACTIVATE, DELETE]) {
        await expectRefused(mutation, { id: organisation.id }, organisation.owner.token, 'FORBIDDEN');
        await expectRefused(mutation, { id: organisation.id }, outsider.token, 'FORBIDDEN');
        await expectRefused(mutation, { id: 'nope' }, admin.token, 'NOT_FOUND');
        await expectRefused(mutation, { id: '00000000-0000-4000-8000-000000000000' }, admin.token, 'NOT_FOUND');
      }
    });

    it('suspension refuses members with reason ORGANISATION_SUSPENDED (before MFA), hides nothing new from outsiders, and is undone by reactivation', async () => {
      const suspended = ok(await gql(SUSPEND, { id: organisation.id }, admin.token)).suspendOrganisation;
      expect(suspended).toMatchObject({ status: 'SUSPENDED', deletedAt: null });
      expect(Date.now() - Date.parse(suspended.suspendedAt)).toBeLessThan(60_000);
      // Asking again changes nothing and records nothing.
      await expectNothingWritten(async () => expect(ok(await gql(SUSPEND, { id: organisation.id }, admin.token)).suspendOrganisation).toEqual(suspended));
      const [audit] = await auditRows(organisation.id, 'organisation.suspended');
      expect(audit).toMatchObject({ actor_user_id: admin.userId, details: { platformAction: true, before: { status: 'ACTIVE' }, after: { status: 'SUSPENDED' } } });
      expect(await events(organisation.id, 'organisation.suspended')).toHaveLength(1);

      // Members see the organisation and its status, and nothing else.
      expect(ok(await gql(ORGANISATION, { id: organisation.id }, member.token)).organisation).toMatchObject({ status: 'SUSPENDED' });
      const settings = await gql(SETTINGS, { id: organisation.id }, member.token);
      expect(errorCodes(settings)).toEqual(['FORBIDDEN']);
      expect(settings.errors?.[0].extensions?.reason).toBe('ORGANISATION_SUSPENDED');
      await expectRefused(UPDATE, { id: organisation.id, input: { name: 'Renamed' } }, member.token, 'FORBIDDEN', 'ORGANISATION_SUSPENDED');
      await expectRefused(CREATE_TEAM, { input: { organisationId: organisation.id, name: 'Another', description: '' } }, organisation.owner.token, 'FORBIDDEN', 'ORGANISATION_SUSPENDED');
      const team = await gql('query($id: ID!) { team(id: $id) { id name } }', { id: teamId }, member.token);
      expect(team.data?.team ?? null).toBeNull();
      // The refusal comes before the MFA answer.
      await db().query('UPDATE organisations SET require_mfa = true WHERE id = $1', [organisation.id]);
      await expectRefused(UPDATE, { id: organisation.id, input: { name: 'Renamed' } }, member.token, 'FORBIDDEN', 'ORGANISATION_SUSPENDED');
      await db().query('UPDATE organisations SET require_mfa = false WHERE id = $1', [organisation.id]);
      // Outsiders learn nothing: the organisation still looks missing.
      expect(ok(await gql(ORGANISATION, { id: organisation.id }, outsider.token)).organisation).toBeNull();
      await expectRefused(UPDATE, { id: organisation.id, input: { name: 'Renamed' } }, outsider.token, 'NOT_FOUND');
      // Platform administrators still see it (support).
      expect(ok(await gql(ORGANISATION, { slug: organisation.slug }, admin.token)).organisation).toMatchObject({ id: organisation.id, status: 'SUSPENDED' });

      const reactivated = ok(await gql(REACTIVATE, { id: organisation.id }, admin.token)).reactivateOrganisation;
      expect(reactivated).toEqual({ id: organisation.id, status: 'ACTIVE', suspendedAt: null, deletedAt: null });
      expect(ok(await gql(SETTINGS, { id: organisation.id }, member.token)).organisation.settings).toEqual({ requireMfa: false });
      expect(await auditRows(organisation.id, 'organisation.reactivated')).toHaveLength(1);
    });

    it('deletion refuses members with reason ORGANISATION_DELETED on every path (root, nested, _entities) until reactivated', async () => {
      const deleted = ok(await gql(DELETE, { id: organisation.id }, admin.token)).deleteOrganisation;
      expect(deleted).toMatchObject({ status: 'DELETED', suspendedAt: null });
      const [audit] = await auditRows(organisation.id, 'organisation.deleted');
      expect(Date.parse(audit.details.purgeAfter) - Date.parse(deleted.deletedAt)).toBe(30 * DAY_MS);
      await expectRefused(UPDATE, { id: organisation.id, input: { name: 'Renamed' } }, member.token, 'FORBIDDEN', 'ORGANISATION_DELETED');
      const nested = await gql(SETTINGS, { id: organisation.id }, member.token);
      expect(nested.errors?.map((error) => error.extensions?.reason)).toEqual(['ORGANISATION_DELETED']);
      const entities = await gql(TEAM_ENTITY, { representations: [{ __typename: 'Team', id: teamId }, { __typename: 'Organisation', id: organisation.id }] }, member.token);
      expect(entities.data?._entities[1]).toEqual({ id: organisation.id, name: expect.any(String), status: 'DELETED' });
      // Through _entities the organisation's contents resolve to null, as everything the caller may not see.
      expect(entities.data?._entities[0]).toBeNull();
      // Another organisation's member: nothing at all, as before.
      const foreign = await gql(TEAM_ENTITY, { representations: [{ __typename: 'Team', id: teamId }, { __typename: 'Organisation', id: organisation.id }] }, outsider.token);
      expect(foreign).toEqual({ data: { _entities: [null, null] } });
      // Suspending a deleted organisation is a conflict; reactivating it (before the purge) restores it.
      await expectRefused(SUSPEND, { id: organisation.id }, admin.token, 'CONFLICT');
      expect(ok(await gql(REACTIVATE, { id: organisation.id }, admin.token)).reactivateOrganisation).toMatchObject({ status: 'ACTIVE', deletedAt: null });
      expect(ok(await gql(UPDATE, { id: organisation.id, input: { name: 'Back again' } }, member.token)).updateOrganisation.name).toBe('Back again');
    });

    it('a suspended organisation admits nobody by domain auto-join, may get an Owner appointed, and refuses transfers with the reason', async () => {
      const domain = `lifecycle-${Date.now().toString(36)}.example.org`;
      await verifiedDomain(service, organisation.id, domain);
      await db().query('UPDATE organisations SET auto_join_domains = $2 WHERE id = $1', [organisation.id, [domain]]);
      ok(await gql(SUSPEND, { id: organisation.id }, admin.token));
      const joiner = await signIn(service, { email: `joiner@${domain}`, emailVerified: true });
      expect(await db().query('SELECT id FROM memberships WHERE organisation_id = $1 AND user_id = $2', [organisation.id, joiner.userId])).toEqual([]);
      const appointed = ok(await gql(APPOINT, { organisationId: organisation.id, email: `rescuer@${domain}` }, admin.token)).appointOwner;
      await expectRefused(TRANSFER, { organisationId: organisation.id, toMembershipId: member.membershipId }, organisation.owner.token, 'FORBIDDEN', 'ORGANISATION_SUSPENDED');
      ok(await gql(REACTIVATE, { id: organisation.id }, admin.token));
      const later = await signIn(service, { email: `later@${domain}`, emailVerified: true });
      expect(await db().query('SELECT status FROM memberships WHERE organisation_id = $1 AND user_id = $2', [organisation.id, later.userId])).toEqual([{ status: 'ACTIVE' }]);
      await db().query(`UPDATE organisations SET auto_join_domains = '{}' WHERE id = $1`, [organisation.id]);
      await db().query('DELETE FROM memberships WHERE id = $1', [appointed.id]);
    });

    it('a suspended or deleted organisation admits nobody by invitation', async () => {
      const invitee = await signIn(service);
      const invite = await gql(
        'mutation($input: InviteUserInput!) { inviteUser(input: $input) { token } }',
        { input: { organisationId: organisation.id, email: invitee.email } },
        member.token,
      );
      const token = ok(invite).inviteUser.token as string;
      ok(await gql(SUSPEND, { id: organisation.id }, admin.token));
      await expectRefused('mutation($token: String!) { acceptInvitation(token: $token) { id } }', { token }, invitee.token, 'FORBIDDEN', 'ORGANISATION_SUSPENDED');
      ok(await gql(REACTIVATE, { id: organisation.id }, admin.token));
    });
  });

  describe('purge', () => {
    const sweeper = (purgeDays = 30) => new OrganisationPurgeSweeper(db(), service.service.services.audit, { purgeDays, intervalMs: 0 });
    const orgTables = async (): Promise<string[]> =>
      (
        await db().query(
          `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'organisation_id' ORDER BY 1`,
        )
      ).map((row: { table_name: string }) => row.table_name);
    const rowsIn = async (organisationId: string): Promise<Record<string, number>> => {
      const counts: Record<string, number> = {};
      for (const table of await orgTables()) {
        const [{ n }] = await db().query(`SELECT count(*)::int AS n FROM ${table} WHERE organisation_id = $1`, [organisationId]);
        if (n > 0) counts[table] = n;
      }
      return counts;
    };

    async function populatedDeletedOrganisation(): Promise<TestOrganisation> {
      const organisation = await createOrganisation(service, admin);
      const adminMember = await memberWith(service, organisation.id, ['admin']);
      ok(await gql('mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }', { input: { organisationId: organisation.id, url: 'http://127.0.0.1:9/hook' } }, organisation.owner.token));
      ok(await gql(CREATE_TEAM, { input: { organisationId: organisation.id, name: 'Team', description: '' } }, adminMember.token));
      ok(await gql('mutation($input: InviteUserInput!) { inviteUser(input: $input) { token } }', { input: { organisationId: organisation.id, email: `x-${organisation.slug}@example.com` } }, adminMember.token));
      expect(await db().query('SELECT status FROM email_outbox WHERE organisation_id = $1', [organisation.id])).toEqual([{ status: 'PENDING' }]);
      ok(await gql(DELETE, { id: organisation.id }, admin.token));
      // Its unsent invitation emails are withdrawn (the invitations could not be accepted).
      expect(await db().query('SELECT status FROM email_outbox WHERE organisation_id = $1', [organisation.id])).toEqual([{ status: 'SUPERSEDED' }]);
      return organisation;
    }

    it('purges an organisation deleted more than ORGANISATION_PURGE_DAYS ago: contents gone, row pseudonymised, audit trail kept', async () => {
      const organisation = await populatedDeletedOrganisation();
      const notYet = await populatedDeletedOrganisation();
      const auditBefore = Number((await db().query('SELECT count(*)::int AS n FROM audit_events WHERE organisation_id = $1', [organisation.id]))[0].n);
      await db().query(`UPDATE organisations SET deleted_at = now() - interval '30 days 1 minute' WHERE id = $1`, [organisation.id]);
      // The endpoint's deliveries were queued with the events written since it was created.
      const [{ n: deliveries }] = await db().query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE organisation_id = $1', [organisation.id]);
      expect(deliveries).toBeGreaterThan(0);
      await db().query(`UPDATE organisations SET deleted_at = now() - interval '29 days 23 hours' WHERE id = $1`, [notYet.id]);
      expect(await sweeper().runOnce()).toBeGreaterThanOrEqual(1);

      const [row] = await db().query('SELECT * FROM organisations WHERE id = $1', [organisation.id]);
      expect(row).toMatchObject({ status: 'PURGED', name: PURGED_ORGANISATION_NAME, slug: `purged-${organisation.id}`, allowed_email_domains: [] });
      expect(row.purged_at).not.toBeNull();
      const remaining = await rowsIn(organisation.id);
      expect(Object.keys(remaining).sort()).toEqual(['audit_events', 'events']);
      expect((await db().query('SELECT type FROM events WHERE organisation_id = $1', [organisation.id])).map((event: { type: string }) => event.type)).toEqual(['organisation.purged']);
      expect(remaining.audit_events).toBe(auditBefore + 1);
      const [audit] = await auditRows(organisation.id, 'organisation.purged');
      expect(audit).toMatchObject({ actor_user_id: null, details: { platformAction: true, purgeDays: 30, removed: expect.objectContaining({ memberships: 2, teams: 1, invitations: 1, webhook_endpoints: 1, webhook_deliveries: deliveries }) } });
      expect(await db().query('SELECT id FROM webhook_deliveries WHERE organisation_id = $1', [organisation.id])).toEqual([]);
      // Users are global: the members' user rows stay.
      expect((await db().query('SELECT id FROM users WHERE id = $1', [organisation.owner.userId]))).toHaveLength(1);

      // Not yet due: untouched.
      expect((await db().query('SELECT status FROM organisations WHERE id = $1', [notYet.id]))[0].status).toBe('DELETED');
      expect((await rowsIn(notYet.id)).memberships).toBe(2);

      // A purged organisation is final; its slug is free again; platform administrators still find it by id.
      await expectRefused(REACTIVATE, { id: organisation.id }, admin.token, 'CONFLICT');
      await expectRefused(DELETE, { id: organisation.id }, admin.token, 'CONFLICT');
      expect(ok(await gql(ORGANISATION, { id: organisation.id }, admin.token)).organisation).toMatchObject({ status: 'PURGED', name: PURGED_ORGANISATION_NAME });
      expect(ok(await gql(ORGANISATION, { id: organisation.id }, organisation.owner.token)).organisation).toBeNull();
      const reused = await gql('mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { slug status suspendedAt deletedAt } }', { input: { name: 'Reused', slug: organisation.slug, ownerEmail: admin.email } }, admin.token);
      expect(ok(reused).createOrganisation).toEqual({ slug: organisation.slug, status: 'ACTIVE', suspendedAt: null, deletedAt: null });
      // A second pass finds nothing to do.
      expect(await sweeper().runOnce()).toBe(0);
    });

    it('honours the configured grace period', async () => {
      const organisation = await populatedDeletedOrganisation();
      await db().query(`UPDATE organisations SET deleted_at = now() - interval '3 days' WHERE id = $1`, [organisation.id]);
      await sweeper(30).runOnce();
      expect((await db().query('SELECT status FROM organisations WHERE id = $1', [organisation.id]))[0].status).toBe('DELETED');
      await sweeper(2).runOnce();
      expect((await db().query('SELECT status FROM organisations WHERE id = $1', [organisation.id]))[0].status).toBe('PURGED');
    });

    it('several sweepers at once purge each organisation exactly once', async () => {
      const organisations = await Promise.all([populatedDeletedOrganisation(), populatedDeletedOrganisation(), populatedDeletedOrganisation()]);
      const ids = organisations.map((organisation) => organisation.id);
      await db().query(`UPDATE organisations SET deleted_at = now() - interval '31 days' WHERE id = ANY($1::uuid[])`, [ids]);
      const purged = await Promise.all([sweeper().runOnce(), sweeper().runOnce(), sweeper().runOnce()]);
      expect(purged.reduce((sum, count) => sum + count, 0)).toBe(3);
      const audits = await db().query(`SELECT organisation_id FROM audit_events WHERE action = 'organisation.purged' AND organisation_id = ANY($1::uuid[])`, [ids]);
      expect(audits.map((row: { organisation_id: string }) => row.organisation_id).sort()).toEqual([...ids].sort());
    });

    it('a reactivation that commits first wins over the sweeper', async () => {
      const organisation = await populatedDeletedOrganisation();
      await db().query(`UPDATE organisations SET deleted_at = now() - interval '31 days' WHERE id = $1`, [organisation.id]);
      const [reactivated] = await Promise.all([gql(REACTIVATE, { id: organisation.id }, admin.token), sweeper().runOnce()]);
      const [row] = await db().query('SELECT status FROM organisations WHERE id = $1', [organisation.id]);
      if (reactivated.errors) {
        expect(errorCodes(reactivated)).toEqual(['CONFLICT']);
        expect(row.status).toBe('PURGED');
      } else {
        expect(row.status).toBe('ACTIVE');
        expect((await rowsIn(organisation.id)).memberships).toBe(2);
      }
    });
  });

  describe('organisation(id, slug)', () => {
    it('finds by either argument; exactly one is required; other organisations look missing', async () => {
      const organisation = await createOrganisation(service, admin);
      const other = await createOrganisation(service, admin);
      expect(ok(await gql(ORGANISATION, { slug: organisation.slug }, organisation.owner.token)).organisation).toMatchObject({ id: organisation.id, slug: organisation.slug, status: 'ACTIVE' });
      expect(ok(await gql(ORGANISATION, { slug: organisation.slug.toUpperCase() }, organisation.owner.token)).organisation.id).toBe(organisation.id);
      expect(ok(await gql(ORGANISATION, { id: organisation.id }, organisation.owner.token)).organisation.slug).toBe(organisation.slug);
      expect(ok(await gql(ORGANISATION, { slug: other.slug }, organisation.owner.token)).organisation).toBeNull();
      expect(ok(await gql(ORGANISATION, { slug: 'no-such-organisation-here' }, organisation.owner.token)).organisation).toBeNull();
      expect(ok(await gql(ORGANISATION, { slug: 'Not A Slug!' }, organisation.owner.token)).organisation).toBeNull();
      expect(ok(await gql(ORGANISATION, { slug: other.slug }, admin.token)).organisation.id).toBe(other.id);
      for (const variables of [{}, { id: organisation.id, slug: organisation.slug }, { id: null, slug: null }]) {
        const response = await gql(ORGANISATION, variables, organisation.owner.token);
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
        expect(response.errors?.[0].message).toMatch(/exactly one of id and slug/);
      }
      expect(errorCodes(await service.graphql(ORGANISATION, { slug: organisation.slug }, null))).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('organisations(search, first, after)', () => {
    const marker = `zq${Date.now().toString(36)}`;
    let member: SignedInUser;
    let mine: TestOrganisation[];

    beforeAll(async () => {
      member = await signIn(service);
      mine = [];
      for (const name of ['Alpha', 'Beta', 'Gamma']) {
        const organisation = await createOrganisation(service, admin);
        await db().query('UPDATE organisations SET name = $2 WHERE id = $1', [organisation.id, `${name} ${marker} 50%_off`]);
        mine.push(organisation);
      }
      await addMember(service, mine[0].id, member.userId, { builtInRoles: ['member'] });
      await addMember(service, mine[1].id, member.userId, { builtInRoles: ['member'] });
    });

    it('platform administrators search every organisation by part of the name or slug, case-insensitively, page by page', async () => {
      const all = ok(await gql(ORGANISATIONS, { search: marker.toUpperCase() }, admin.token)).organisations;
      expect(all.totalCount).toBe(3);
      expect(all.edges.map((edge: any) => edge.node.id)).toEqual(mine.map((organisation) => organisation.id));
      const first = ok(await gql(ORGANISATIONS, { search: marker, first: 2 }, admin.token)).organisations;
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = ok(await gql(ORGANISATIONS, { search: marker, first: 2, after: first.pageInfo.endCursor }, admin.token)).organisations;
      expect(second.edges.map((edge: any) => edge.node.id)).toEqual([mine[2].id]);
      expect(ok(await gql(ORGANISATIONS, { search: mine[1].slug }, admin.token)).organisations.edges.map((edge: any) => edge.node.id)).toEqual([mine[1].id]);
      expect(ok(await gql(ORGANISATIONS, { search: `Beta ${marker} 50%_` }, admin.token)).organisations.totalCount).toBe(1);
      // LIKE's wildcards match themselves.
      expect(ok(await gql(ORGANISATIONS, { search: `${marker} 5_%` }, admin.token)).organisations.totalCount).toBe(0);
      // A cursor of one search is refused by another.
      expect(errorCodes(await gql(ORGANISATIONS, { search: 'alpha', first: 2, after: first.pageInfo.endCursor }, admin.token))).toEqual(['BAD_USER_INPUT']);
    });

    it('others search only their own organisations; bad input is refused', async () => {
      const own = ok(await gql(ORGANISATIONS, { search: marker }, member.token)).organisations;
      expect(own.edges.map((edge: any) => edge.node.id)).toEqual([mine[0].id, mine[1].id]);
      expect(ok(await gql(ORGANISATIONS, { search: 'gamma' }, member.token)).organisations.totalCount).toBe(0);
      expect(ok(await gql(ORGANISATIONS, { search: '   ' }, member.token)).organisations.totalCount).toBe(2);
      expect(errorCodes(await gql(ORGANISATIONS, { search: 'x'.repeat(101) }, member.token))).toEqual(['BAD_USER_INPUT']);
    });

    it('statements per request do not grow with the number of organisations listed', async () => {
      const query = `query($search: String, $first: Int) { organisations(search: $search, first: $first) { totalCount edges { node { id name slug status deletedAt viewerPermissions } } } }`;
      const one = await service.countStatements(query, { search: marker, first: 1 }, admin.token);
      const three = await service.countStatements(query, { search: marker, first: 3 }, admin.token);
      expect(one.response.errors).toBeUndefined();
      expect(three.response.data.organisations.edges).toHaveLength(3);
      expect(three.count).toBe(one.count);
    });
  });
});
