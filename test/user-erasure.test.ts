import { ERASED_USER_NAME } from '../src/users/user-erasure.service';
import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { expectNothingWritten as expectNothingWrittenIn } from './support/nothing-written';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

const ERASE = 'mutation($id: ID!) { eraseUser(id: $id) }';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { invitation { id } } }';
const AUDIT_LOG = `query($organisationId: ID!) {
  organisation(id: $organisationId) { auditLog(first: 100) { edges { node { action actor { id displayName } } } } }
}`;

describe('eraseUser', () => {
  let service: TestService;
  let admin: SignedInUser;
  let organisation: TestOrganisation;

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
    organisation = await createOrganisation(service, admin);
  });
  afterAll(() => service.stop());

  const db = () => service.database.dataSource;
  const expectNothingWritten = <T>(work: () => Promise<T>): Promise<T> => expectNothingWrittenIn(db(), work);
  const ok = <T = any>(response: GraphQLResponse<T>): T => {
    expect(response.errors).toBeUndefined();
    return response.data as T;
  };
  const userRow = async (id: string) => (await db().query('SELECT * FROM users WHERE id = $1', [id]))[0];

  it('pseudonymises the user, removes their memberships, scrubs invitations, outbox and events; audit rows keep the id', async () => {
    const person = await memberWith(service, organisation.id, ['admin'], { name: 'Ada Lovelace' });
    const other = await createOrganisation(service, admin);
    const invitation = ok(await service.graphql(INVITE, { input: { organisationId: other.id, email: person.email } }, other.owner.token)).inviteUser.invitation;
    // Something the person did, audited under their id.
    ok(await service.graphql('mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }', { input: { organisationId: organisation.id, name: 'Erasure', description: '' } }, person.token));
    const auditBefore = await db().query('SELECT id, actor_user_id, details FROM audit_events WHERE actor_user_id = $1 ORDER BY id', [person.userId]);
    expect(auditBefore.length).toBeGreaterThan(0);
    expect((await db().query('SELECT count(*)::int AS n FROM events WHERE strpos(data::text, $1) > 0', [person.email]))[0].n).toBeGreaterThan(0);

    expect(ok(await service.graphql(ERASE, { id: person.userId }, admin.token))).toEqual({ eraseUser: true });

    expect(await userRow(person.userId)).toMatchObject({ email: null, issuer: null, subject: null, last_sign_in_at: null, email_verified: false, display_name: ERASED_USER_NAME });
    expect((await userRow(person.userId)).erased_at).not.toBeNull();
    expect(await db().query('SELECT id FROM memberships WHERE user_id = $1', [person.userId])).toEqual([]);
    const [scrubbed] = await db().query('SELECT email, status, cancelled_at FROM invitations WHERE id = $1', [invitation.id]);
    expect(scrubbed).toMatchObject({ email: `erased-${invitation.id}@erased.invalid`, status: 'CANCELLED' });
    expect(await db().query('SELECT id FROM email_outbox WHERE to_address = $1', [person.email])).toEqual([]);
    expect(await db().query(`SELECT status FROM email_outbox WHERE invitation_id = $1`, [invitation.id])).toEqual([{ status: 'SUPERSEDED' }]);
    expect((await db().query('SELECT count(*)::int AS n FROM events WHERE strpos(data::text, $1) > 0', [person.email]))[0].n).toBe(0);
    // The audit log is untouched, and still names the (now anonymous) actor by id.
    expect(await db().query('SELECT id, actor_user_id, details FROM audit_events WHERE actor_user_id = $1 AND action <> $2 ORDER BY id', [person.userId, 'user.erased'])).toEqual(auditBefore);
    const log = ok(await service.graphql(AUDIT_LOG, { organisationId: organisation.id }, organisation.owner.token)).organisation.auditLog.edges.map((edge: any) => edge.node);
    expect(log.find((event: any) => event.action === 'team.created' && event.actor?.id === person.userId)?.actor.displayName).toBe(ERASED_USER_NAME);
    // Recorded: the removal in the organisation, the erasure on the platform (ids only), with events.
    const removal = await db().query(`SELECT details FROM audit_events WHERE organisation_id = $1 AND action = 'member.removed' AND target_id = $2`, [organisation.id, person.membershipId]);
    expect(removal).toEqual([{ details: { userId: person.userId, via: 'user-erased' } }]);
    const [erased] = await db().query(`SELECT organisation_id, actor_user_id, details FROM audit_events WHERE action = 'user.erased' AND target_id = $1`, [person.userId]);
    expect(erased).toMatchObject({ organisation_id: null, actor_user_id: admin.userId, details: { userId: person.userId, self: false, removedMembershipIds: [person.membershipId], invitationIds: [invitation.id] } });
    expect(await db().query(`SELECT organisation_id FROM audit_events WHERE action = 'invitation.cancelled' AND target_id = $1`, [invitation.id])).toEqual([{ organisation_id: other.id }]);
    expect(JSON.stringify(erased.details)).not.toContain(person.email);
    expect(await db().query(`SELECT data->>'userId' AS "userId" FROM events WHERE type = 'user.erased' AND subject = $1`, [`users/${person.userId}`])).toEqual([{ userId: person.userId }]);
    expect(await db().query(`SELECT data->>'via' AS via FROM events WHERE type = 'membership.removed' AND data->>'membershipId' = $1`, [person.membershipId])).toEqual([{ via: 'user-erased' }]);

    // The old token now belongs to nobody: signing in again makes a new, unrelated user.
    const again = ok(await service.graphql('{ viewer { user { id } } }', {}, person.token)).viewer.user.id;
    expect(again).not.toBe(person.userId);

    // Erasing again changes nothing.
    await expectNothingWritten(async () => expect(ok(await service.graphql(ERASE, { id: person.userId }, admin.token))).toEqual({ eraseUser: true }));
  });

  it('a person may erase themselves; nobody else but platform administrators may', async () => {
    const person = await memberWith(service, organisation.id, ['member']);
    const stranger = await signIn(service);
    const orgAdmin = await memberWith(service, organisation.id, ['admin']);
    for (const caller of [stranger, orgAdmin, organisation.owner]) {
      const response = await expectNothingWritten(() => service.graphql(ERASE, { id: person.userId }, caller.token));
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    }
    expect(errorCodes(await expectNothingWritten(() => service.graphql(ERASE, { id: person.userId }, null)))).toEqual(['UNAUTHENTICATED']);
    expect(ok(await service.graphql(ERASE, { id: person.userId }, person.token))).toEqual({ eraseUser: true });
    expect((await userRow(person.userId)).display_name).toBe(ERASED_USER_NAME);
    const [erased] = await db().query(`SELECT details FROM audit_events WHERE action = 'user.erased' AND target_id = $1`, [person.userId]);
    expect(erased.details.self).toBe(true);
  });

  it('refuses to remove the last active Owner of an organisation (CONFLICT, nothing written), but not of a deleted one', async () => {
    const owned = await createOrganisation(service, admin);
    const response = await expectNothingWritten(() => service.graphql(ERASE, { id: owned.owner.userId }, admin.token));
    expect(errorCodes(response)).toEqual(['CONFLICT']);
    expect(response.errors?.[0].extensions?.organisationIds).toEqual([owned.id]);
    expect(response.errors?.[0].message).toContain(owned.slug);
    // Suspended: still refused (it may come back).
    ok(await service.graphql('mutation($id: ID!) { suspendOrganisation(id: $id) { id } }', { id: owned.id }, admin.token));
    expect(errorCodes(await service.graphql(ERASE, { id: owned.owner.userId }, admin.token))).toEqual(['CONFLICT']);
    // With a second Owner the erasure goes through.
    const second = await memberWith(service, owned.id, ['owner']);
    expect(ok(await service.graphql(ERASE, { id: owned.owner.userId }, admin.token))).toEqual({ eraseUser: true });
    // A deleted organisation is going anyway: its last Owner may be erased.
    ok(await service.graphql('mutation($id: ID!) { deleteOrganisation(id: $id) { id } }', { id: owned.id }, admin.token));
    expect(ok(await service.graphql(ERASE, { id: second.userId }, admin.token))).toEqual({ eraseUser: true });
  });

  it('statements per erasure do not grow with the person\'s memberships and invitations', async () => {
    const measure = async (organisations: number) => {
      const person = await signIn(service);
      for (let index = 0; index < organisations; index += 1) {
        const owned = await createOrganisation(service, admin);
        ok(await service.graphql(INVITE, { input: { organisationId: owned.id, email: person.email } }, owned.owner.token));
        await db().query('INSERT INTO memberships (organisation_id, user_id) VALUES ($1, $2)', [owned.id, person.userId]);
      }
      const { response, count } = await service.countStatements(ERASE, { id: person.userId }, admin.token);
      expect(response.errors).toBeUndefined();
      const [{ details }] = await db().query(`SELECT details FROM audit_events WHERE action = 'user.erased' AND target_id = $1`, [person.userId]);
      expect([details.removedMembershipIds.length, details.invitationIds.length]).toEqual([organisations, organisations]);
      return count;
    };
    expect(await measure(5)).toBe(await measure(1));
  });

  it('unknown and malformed ids are NOT_FOUND for platform administrators', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      const response = await expectNothingWritten(() => service.graphql(ERASE, { id }, admin.token));
      expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    }
  });

  it('two erasures of the same person at once: one records it, both answer true', async () => {
    const person = await memberWith(service, organisation.id, ['member']);
    const responses = await Promise.all([service.graphql(ERASE, { id: person.userId }, admin.token), service.graphql(ERASE, { id: person.userId }, admin.token)]);
    expect(responses.map((response) => response.data?.eraseUser)).toEqual([true, true]);
    expect(await db().query(`SELECT id FROM audit_events WHERE action = 'user.erased' AND target_id = $1`, [person.userId])).toHaveLength(1);
  });

  it('erasing the other Owner while an Owner erases themselves never leaves the organisation without an Owner', async () => {
    const owned = await createOrganisation(service, admin);
    const second = await memberWith(service, owned.id, ['owner']);
    const responses = await Promise.all([
      service.graphql(ERASE, { id: owned.owner.userId }, owned.owner.token),
      service.graphql(ERASE, { id: second.userId }, second.token),
    ]);
    expect(responses.map((response) => errorCodes(response)).sort()).toEqual([[], ['CONFLICT']]);
    const [{ n }] = await db().query(
      `SELECT count(*)::int AS n FROM memberships m JOIN membership_roles mr ON mr.membership_id = m.id JOIN roles r ON r.id = mr.role_id
       WHERE m.organisation_id = $1 AND r.built_in_key = 'owner' AND m.status = 'ACTIVE'`,
      [owned.id],
    );
    expect(n).toBe(1);
  });
});
