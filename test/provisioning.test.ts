import { MembershipEntity } from '../src/memberships/membership.entity';
import { OrganisationEntity } from '../src/organisations/organisation.entity';
import { UserEntity } from '../src/users/user.entity';
import { verifiedDomain } from './support/domains';
import { createOrganisation, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { startTestService, type TestService } from './support/test-service';

const MEMBERSHIPS = '{ viewer { user { id email } memberships { status organisation { id } roles { name } } } }';
const INVITE = 'mutation($input: InviteUserInput!) { inviteUser(input: $input) { token invitation { id } } }';
const ACCEPT = 'mutation($token: String!) { acceptInvitation(token: $token) { id status } }';

let sequence = 0;
const unique = () => `${process.pid}-${Date.now().toString(36)}-${(sequence += 1)}`;

describe('sign-in provisioning', () => {
  let service: TestService;
  let platform: SignedInUser;
  const db = () => service.database.dataSource;
  const membershipsOf = async (token: string) => (await service.graphql(MEMBERSHIPS, {}, token)).data.viewer.memberships;
  const joinedAudit = (userId: string, organisationId: string): Promise<{ actor_user_id: string; details: Record<string, unknown> }[]> =>
    db().query(`SELECT actor_user_id, details FROM audit_events WHERE action = 'member.joined' AND organisation_id = $1 AND details->>'userId' = $2`, [organisationId, userId]);

  beforeAll(async () => {
    service = await startTestService({ OUTBOX_POLL_INTERVAL_MS: '0' });
    platform = await platformAdmin(service);
  });
  afterAll(() => service.stop());

  /** An organisation whose autoJoinDomains hold a (verified) domain of its own. */
  async function autoJoinOrganisation(options: { requireApproval?: boolean } = {}): Promise<TestOrganisation & { domain: string }> {
    const organisation = await createOrganisation(service, platform);
    const domain = `auto-${unique()}.example`;
    await verifiedDomain(service, organisation.id, domain);
    await db().getRepository(OrganisationEntity).update({ id: organisation.id }, { autoJoinDomains: [domain], requireApproval: options.requireApproval ?? false });
    return { ...organisation, domain };
  }

  describe('autoJoinDomains', () => {
    it('joins a verified email of the domain on first sign-in, as Member; audited with the user as actor', async () => {
      const organisation = await autoJoinOrganisation();
      const user = await signIn(service, { email: `ada@${organisation.domain}` });
      expect(await membershipsOf(user.token)).toEqual([{ status: 'ACTIVE', organisation: { id: organisation.id }, roles: [{ name: 'Member' }] }]);
      const audit = await joinedAudit(user.userId, organisation.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor_user_id: user.userId, details: { via: 'auto-join-domain', status: 'ACTIVE' } });
    });

    it('joins as PENDING_APPROVAL where the organisation requires approval', async () => {
      const organisation = await autoJoinOrganisation({ requireApproval: true });
      const user = await signIn(service, { email: `grace@${organisation.domain}` });
      expect(await membershipsOf(user.token)).toEqual([{ status: 'PENDING_APPROVAL', organisation: { id: organisation.id }, roles: [{ name: 'Member' }] }]);
    });

    it('never joins an unverified email', async () => {
      const organisation = await autoJoinOrganisation();
      const user = await signIn(service, { email: `mallory@${organisation.domain}`, emailVerified: false });
      expect(await membershipsOf(user.token)).toEqual([]);
      expect(await db().getRepository(MembershipEntity).countBy({ organisationId: organisation.id, userId: user.userId })).toBe(0);
    });

    it('joins on the first sign-in only (a later domain change does not pull existing users in)', async () => {
      const domain = `later-${unique()}.example`;
      const user = await signIn(service, { email: `early@${domain}` });
      const organisation = await createOrganisation(service, platform);
      await verifiedDomain(service, organisation.id, domain);
      await db().getRepository(OrganisationEntity).update({ id: organisation.id }, { autoJoinDomains: [domain] });
      expect(await membershipsOf(user.token)).toEqual([]);
    });

    it('does not match another domain or a subdomain', async () => {
      const organisation = await autoJoinOrganisation();
      const user = await signIn(service, { email: `eve@sub.${organisation.domain}` });
      expect(await membershipsOf(user.token)).toEqual([]);
    });
  });

  describe('placeholders', () => {
    /** An invitation to a new email (which creates its placeholder user). */
    async function invitation(email: string): Promise<{ organisation: TestOrganisation; token: string }> {
      const organisation = await createOrganisation(service, platform);
      const response = await service.graphql(INVITE, { input: { organisationId: organisation.id, email } }, organisation.owner.token);
      expect(response.errors).toBeUndefined();
      return { organisation, token: response.data.inviteUser.token };
    }

    it('links the placeholder of an invitation by verified email only, never by an unverified one', async () => {
      const email = `invitee-${unique()}@example.com`;
      const { token } = await invitation(email);
      const users = db().getRepository(UserEntity);
      const placeholder = await users.findOneByOrFail({ email });
      expect(placeholder.issuer).toBeNull();

      const unverified = await signIn(service, { email, emailVerified: false });
      expect(unverified.userId).not.toBe(placeholder.id);
      expect(await users.findOneByOrFail({ id: placeholder.id })).toMatchObject({ issuer: null, subject: null });
      expect((await users.findOneByOrFail({ id: unverified.userId })).email).toBeNull();

      const verified = await signIn(service, { email });
      expect(verified.userId).toBe(placeholder.id);
      expect(await users.findOneByOrFail({ id: placeholder.id })).toMatchObject({ issuer: service.idp.issuer, subject: verified.subject, emailVerified: true });
      expect((await service.graphql(ACCEPT, { token }, verified.token)).data.acceptInvitation.status).toBe('ACTIVE');
    });

    it('gives an email held by an unverified sign-in to the person who signs in with it verified', async () => {
      const email = `contested-${unique()}@example.com`;
      const squatter = await signIn(service, { email, emailVerified: false });
      const users = db().getRepository(UserEntity);
      expect((await users.findOneByOrFail({ id: squatter.userId })).email).toBe(email);
      const owner = await signIn(service, { email });
      expect(owner.userId).not.toBe(squatter.userId);
      expect(await users.findOneByOrFail({ id: owner.userId })).toMatchObject({ email, emailVerified: true });
      expect((await users.findOneByOrFail({ id: squatter.userId })).email).toBeNull();
      const [event] = await db().query(`SELECT actor_user_id, target_id FROM audit_events WHERE action = 'user.email-reassigned' AND target_id = $1`, [squatter.userId]);
      expect(event).toMatchObject({ actor_user_id: owner.userId });
    });

    it.each([1, 2, 3, 4, 5])('makes one user when an invitation and the first sign-in of its email race (%i)', async () => {
      const email = `racer-${unique()}@example.com`;
      const organisation = await createOrganisation(service, platform);
      const subject = service.idp.nextSubject();
      const token = await service.token({ subject, email });
      const [invited, signedIn] = await Promise.all([
        service.graphql(INVITE, { input: { organisationId: organisation.id, email } }, organisation.owner.token),
        service.graphql('{ viewer { user { id } } }', {}, token),
      ]);
      expect(invited.errors).toBeUndefined();
      expect(signedIn.errors).toBeUndefined();
      const holders = await db().query('SELECT id, subject FROM users WHERE lower(email) = $1', [email]);
      expect(holders).toEqual([{ id: signedIn.data.viewer.user.id, subject }]);
      expect((await service.graphql(ACCEPT, { token: invited.data.inviteUser.token }, token)).errors).toBeUndefined();
    });
  });
});

describe('DEFAULT_ORGANISATION', () => {
  const slug = `default-${process.pid}-${Date.now().toString(36)}`;
  let service: TestService;
  let defaultOrganisationId: string;
  let earlyUser: SignedInUser;

  beforeAll(async () => {
    service = await startTestService({ DEFAULT_ORGANISATION: slug, OUTBOX_POLL_INTERVAL_MS: '0' });
    // Users who signed in before the organisation existed joined nothing (and are not pulled in later).
    const admin = await platformAdmin(service);
    earlyUser = await signIn(service);
    const created = await service.graphql(
      'mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { id } }',
      { input: { name: 'Everyone', slug, ownerEmail: `owner-${slug}@example.com` } },
      admin.token,
    );
    expect(created.errors).toBeUndefined();
    defaultOrganisationId = created.data.createOrganisation.id;
  });
  afterAll(() => service.stop());

  it('is joined by every new user, as Member', async () => {
    for (const options of [{}, { emailVerified: false }, { email: null }]) {
      const user = await signIn(service, options);
      const memberships = (await service.graphql(MEMBERSHIPS, {}, user.token)).data.viewer.memberships;
      expect(memberships).toEqual([{ status: 'ACTIVE', organisation: { id: defaultOrganisationId }, roles: [{ name: 'Member' }] }]);
      const [event] = await service.database.dataSource.query(
        `SELECT actor_user_id, details FROM audit_events WHERE action = 'member.joined' AND organisation_id = $1 AND details->>'userId' = $2`,
        [defaultOrganisationId, user.userId],
      );
      expect(event).toMatchObject({ actor_user_id: user.userId, details: { via: 'default-organisation' } });
    }
  });

  it('is joined as PENDING_APPROVAL when it requires approval', async () => {
    await service.database.dataSource.getRepository(OrganisationEntity).update({ id: defaultOrganisationId }, { requireApproval: true });
    try {
      const user = await signIn(service);
      expect((await service.graphql(MEMBERSHIPS, {}, user.token)).data.viewer.memberships).toEqual([
        { status: 'PENDING_APPROVAL', organisation: { id: defaultOrganisationId }, roles: [{ name: 'Member' }] },
      ]);
    } finally {
      await service.database.dataSource.getRepository(OrganisationEntity).update({ id: defaultOrganisationId }, { requireApproval: false });
    }
  });

  it('is joined at the first sign-in only', async () => {
    expect((await service.graphql(MEMBERSHIPS, {}, earlyUser.token)).data.viewer.memberships).toEqual([]);
  });

  it('is joined besides an auto-join organisation, once each', async () => {
    const domain = `both-${process.pid}-${Date.now().toString(36)}.example`;
    await verifiedDomain(service, defaultOrganisationId, domain);
    await service.database.dataSource.query(`UPDATE organisations SET auto_join_domains = ARRAY[$1] WHERE id = $2`, [domain, defaultOrganisationId]);
    const user = await signIn(service, { email: `x@${domain}` });
    expect((await service.graphql(MEMBERSHIPS, {}, user.token)).data.viewer.memberships).toHaveLength(1);
  });
});
