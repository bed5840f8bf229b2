import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

const INVITE = `mutation($input: InviteUserInput!) { inviteUser(input: $input) { token invitation { id } } }`;
const CANCEL = `mutation($id: ID!) { cancelInvitation(id: $id) { id } }`;
const RESEND = `mutation($id: ID!) { resendInvitation(id: $id) { token } }`;
const ACCEPT = `mutation($token: String!) { acceptInvitation(token: $token) { id } }`;
const CREATE_TEAM = `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }`;
const PREVIEW = `query($token: String!) { invitationPreview(token: $token) { organisationName inviterName roles { name } teams { name } expiresAt status } }`;
const MY_INVITATIONS = `{ viewer { invitations { id status expiresAt email organisation { id name } roles { id name } teams { id name } } } }`;

describe('invitationPreview and Viewer.invitations', () => {
  let service: TestService;
  let orgA: TestOrganisation;
  let orgB: TestOrganisation;
  let teamA: string;
  let roles: Record<string, string>;

  const ok = <T = any>(response: GraphQLResponse<T>): T => {
    expect(response.errors).toBeUndefined();
    return response.data as T;
  };
  const unique = () => Math.random().toString(36).slice(2, 10);
  const sql = (text: string, parameters: unknown[] = []) => service.database.dataSource.query(text, parameters);

  async function invite(org: TestOrganisation, email: string, extra: Record<string, unknown> = {}): Promise<{ token: string; id: string }> {
    const data = ok(await service.graphql(INVITE, { input: { organisationId: org.id, email, ...extra } }, org.owner.token));
    return { token: data.inviteUser.token, id: data.inviteUser.invitation.id };
  }

  beforeAll(async () => {
    service = await startTestService();
    const admin = await platformAdmin(service);
    orgA = await createOrganisation(service, admin, await signIn(service, { name: 'Olivia Owner' }));
    orgB = await createOrganisation(service, admin);
    teamA = ok(await service.graphql(CREATE_TEAM, { input: { organisationId: orgA.id, name: 'Platform' } }, orgA.owner.token)).createTeam.id;
    const rows: { id: string; built_in_key: string }[] = await sql('SELECT id, built_in_key FROM roles WHERE organisation_id = $1 AND built_in_key IS NOT NULL', [orgA.id]);
    roles = Object.fromEntries(rows.map((row) => [row.built_in_key, row.id]));
  });
  afterAll(() => service.stop());

  describe('invitationPreview(token)', () => {
    it('shows what the invitation offers to any signed-in holder of the token, whatever their email', async () => {
      const email = `preview-${unique()}@example.com`;
      const { token } = await invite(orgA, email, { roleIds: [roles.viewer, roles.admin], teamIds: [teamA] });
      const stranger = await signIn(service);
      const preview = ok(await service.graphql(PREVIEW, { token }, stranger.token)).invitationPreview;
      expect(preview).toMatchObject({
        organisationName: `Organisation ${orgA.slug}`,
        inviterName: 'Olivia Owner',
        roles: [{ name: 'Admin' }, { name: 'Viewer' }],
        teams: [{ name: 'Platform' }],
        status: 'PENDING',
      });
      expect(Date.parse(preview.expiresAt)).toBeGreaterThan(Date.now());
    });

    it('says why an invitation can no longer be accepted: EXPIRED, CANCELLED, ACCEPTED', async () => {
      const viewer = await signIn(service);
      const expired = await invite(orgA, `expired-${unique()}@example.com`);
      await sql(`UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
      expect(ok(await service.graphql(PREVIEW, { token: expired.token }, viewer.token)).invitationPreview.status).toBe('EXPIRED');
      const cancelled = await invite(orgA, `cancelled-${unique()}@example.com`);
      ok(await service.graphql(CANCEL, { id: cancelled.id }, orgA.owner.token));
      expect(ok(await service.graphql(PREVIEW, { token: cancelled.token }, viewer.token)).invitationPreview.status).toBe('CANCELLED');
      const invitee = await signIn(service);
      const accepted = await invite(orgA, invitee.email);
      ok(await service.graphql(ACCEPT, { token: accepted.token }, invitee.token));
      expect(ok(await service.graphql(PREVIEW, { token: accepted.token }, viewer.token)).invitationPreview.status).toBe('ACCEPTED');
    });

    it('unknown, replaced and malformed tokens are null (no error); without a token of ours to sign in, UNAUTHENTICATED', async () => {
      const viewer = await signIn(service);
      const replaced = await invite(orgA, `resent-${unique()}@example.com`);
      const renewed = ok(await service.graphql(RESEND, { id: replaced.id }, orgA.owner.token)).resendInvitation.token;
      for (const token of [replaced.token, 'A'.repeat(43), 'not a token', '', 'x'.repeat(5000)]) {
        const response = await service.graphql(PREVIEW, { token }, viewer.token);
        expect([token.slice(0, 10), response.errors, response.data?.invitationPreview]).toEqual([token.slice(0, 10), undefined, null]);
      }
      expect(ok(await service.graphql(PREVIEW, { token: renewed }, viewer.token)).invitationPreview.status).toBe('PENDING');
      const anonymous = await service.graphql(PREVIEW, { token: renewed });
      expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
      expect(anonymous.data?.invitationPreview ?? null).toBeNull();
    });

    it('one SQL statement after sign-in, whatever the number of roles and teams', async () => {
      const viewer = await signIn(service);
      const few = await invite(orgA, `few-${unique()}@example.com`, { roleIds: [roles.viewer] });
      const many = await invite(orgA, `many-${unique()}@example.com`, { roleIds: [roles.viewer, roles.admin, roles.member], teamIds: [teamA] });
      const small = await service.countStatements(PREVIEW, { token: few.token }, viewer.token);
      const large = await service.countStatements(PREVIEW, { token: many.token }, viewer.token);
      expect(large.response.data.invitationPreview.roles).toHaveLength(3);
      expect(large.count).toBe(small.count);
    });
  });

  describe('Viewer.invitations', () => {
    it('lists pending, unexpired invitations to my verified email across organisations, with what the invitee needs to accept', async () => {
      const email = `invitee-${unique()}@example.com`;
      const inA = await invite(orgA, email, { roleIds: [roles.viewer], teamIds: [teamA] });
      const inB = await invite(orgB, email);
      // Neither an expired nor a cancelled one, nor one to someone else.
      const expired = await invite(orgB, `other-${unique()}@example.com`);
      await sql(`UPDATE invitations SET email = $2, status = 'PENDING', expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id, `old-${email}`]);
      const invitee = await signIn(service, { email: email.toUpperCase() });
      const list = ok(await service.graphql(MY_INVITATIONS, {}, invitee.token)).viewer.invitations;
      expect(list.map((invitation: { id: string }) => invitation.id)).toEqual([inB.id, inA.id]);
      expect(list[1]).toMatchObject({
        status: 'PENDING',
        email,
        organisation: { id: orgA.id, name: `Organisation ${orgA.slug}` },
        roles: [{ id: roles.viewer, name: 'Viewer' }],
        teams: [{ id: teamA, name: 'Platform' }],
      });
      // Accepting takes it off the list.
      ok(await service.graphql(ACCEPT, { token: inB.token }, invitee.token));
      expect(ok(await service.graphql(MY_INVITATIONS, {}, invitee.token)).viewer.invitations.map((invitation: { id: string }) => invitation.id)).toEqual([inA.id]);
    });

    it('an unverified email sees none (and cannot read them by id either)', async () => {
      const email = `unverified-${unique()}@example.com`;
      const { id } = await invite(orgA, email);
      const unverified = await signIn(service, { email, emailVerified: false });
      expect(ok(await service.graphql(MY_INVITATIONS, {}, unverified.token)).viewer.invitations).toEqual([]);
      const entities = await service.graphql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Invitation { id } } }`, { r: [{ __typename: 'Invitation', id }] }, unverified.token);
      expect(entities.data?._entities).toEqual([null]);
    });

    it('the invitee rule reads data: not another organisation\'s roles, teams or settings, and nothing once the invitation is closed', async () => {
      const email = `scoped-${unique()}@example.com`;
      const { id } = await invite(orgA, email, { roleIds: [roles.viewer] });
      const invitee = await signIn(service, { email });
      // Not a member: the organisation's own lists stay closed.
      const organisation = await service.graphql(`query($id: ID!) { organisation(id: $id) { id name roles { id } teams(first: 5) { totalCount } } }`, { id: orgA.id }, invitee.token);
      expect(organisation.data?.organisation ?? null).toBeNull();
      // A team of A the invitation does not offer, by _entities: null; the invitation itself, by _entities: theirs.
      const otherTeam = ok(await service.graphql(CREATE_TEAM, { input: { organisationId: orgA.id, name: `Hidden ${unique()}` } }, orgA.owner.token)).createTeam.id;
      const entities = await service.graphql(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Invitation { id roles { name } organisation { name } } ... on Team { id name } ... on Organisation { id name } } }`,
        { r: [{ __typename: 'Invitation', id }, { __typename: 'Team', id: otherTeam }, { __typename: 'Organisation', id: orgB.id }] },
        invitee.token,
      );
      expect(entities.errors).toBeUndefined();
      expect(entities.data._entities).toEqual([{ id, roles: [{ name: 'Viewer' }], organisation: { name: `Organisation ${orgA.slug}` } }, null, null]);
      // Another organisation's invitation (to someone else): invisible by _entities, and not listed.
      const elsewhere = await invite(orgB, `someone-${unique()}@example.com`);
      const foreign = await service.graphql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Invitation { id email } } }`, { r: [{ __typename: 'Invitation', id: elsewhere.id }] }, invitee.token);
      expect(foreign.data?._entities).toEqual([null]);
      // Cancelled: the invitee reads nothing of it any more.
      ok(await service.graphql(CANCEL, { id }, orgA.owner.token));
      const closed = await service.graphql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Invitation { id } } }`, { r: [{ __typename: 'Invitation', id }] }, invitee.token);
      expect(closed.data?._entities).toEqual([null]);
      expect(ok(await service.graphql(MY_INVITATIONS, {}, invitee.token)).viewer.invitations).toEqual([]);
    });

    it('a suspended (or deleted) organisation admits nobody: its invitations leave the list, the preview and _entities until reactivated', async () => {
      const admin = await platformAdmin(service);
      const org = await createOrganisation(service, admin);
      const email = `suspended-${unique()}@example.com`;
      const { id, token } = await invite(org, email);
      const invitee = await signIn(service, { email });
      const ids = async () => ok(await service.graphql(MY_INVITATIONS, {}, invitee.token)).viewer.invitations.map((invitation: { id: string }) => invitation.id);
      const entity = async () => (await service.graphql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Invitation { id } } }`, { r: [{ __typename: 'Invitation', id }] }, invitee.token)).data?._entities;
      expect(await ids()).toEqual([id]);
      ok(await service.graphql(`mutation($id: ID!) { suspendOrganisation(id: $id) { id } }`, { id: org.id }, admin.token));
      expect(await ids()).toEqual([]);
      expect(ok(await service.graphql(PREVIEW, { token }, invitee.token)).invitationPreview).toBeNull();
      expect(await entity()).toEqual([null]);
      ok(await service.graphql(`mutation($id: ID!) { reactivateOrganisation(id: $id) { id } }`, { id: org.id }, admin.token));
      expect(await ids()).toEqual([id]);
      expect(ok(await service.graphql(PREVIEW, { token }, invitee.token)).invitationPreview.status).toBe('PENDING');
      expect(await entity()).toEqual([{ id }]);
    });

    it('a member without invitations:read still cannot read other people\'s invitations', async () => {
      const member: SignedInUser & { membershipId: string } = await memberWith(service, orgA.id, ['member']);
      const { id } = await invite(orgA, `private-${unique()}@example.com`);
      const response = await service.graphql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Invitation { id } } }`, { r: [{ __typename: 'Invitation', id }] }, member.token);
      expect(response.data?._entities).toEqual([null]);
    });

    it('statements stay flat whatever the number of invitations and organisations', async () => {
      const admin = await platformAdmin(service);
      const measure = async (count: number) => {
        const email = `counted-${count}-${unique()}@example.com`;
        for (let index = 0; index < count; index += 1) {
          const org = await createOrganisation(service, admin);
          const team = ok(await service.graphql(CREATE_TEAM, { input: { organisationId: org.id, name: 'T' } }, org.owner.token)).createTeam.id;
          await invite(org, email, { teamIds: [team] });
        }
        const invitee = await signIn(service, { email });
        const { response, count: statements } = await service.countStatements(MY_INVITATIONS, {}, invitee.token);
        expect(response.errors).toBeUndefined();
        expect(response.data.viewer.invitations).toHaveLength(count);
        return statements;
      };
      const one = await measure(1);
      const five = await measure(5);
      process.stdout.write(`Viewer.invitations: ${one} statements for 1, ${five} for 5\n`);
      expect(five).toBe(one);
    });
  });
});
