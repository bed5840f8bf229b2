import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, signIn, addMember, type SignedInUser, type TestOrganisation } from './support/factories';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

const MEMBERS = contractOperation('Members');
const INVITATIONS = contractOperation('Invitations');
const INVITE = contractOperation('InviteUser');

/** The paths (last segment) and codes of a response's errors. */
const refusals = (response: GraphQLResponse) => new Set((response.errors ?? []).map((error) => `${error.extensions?.code} ${error.path?.slice(-1)[0]}`));

/**
 * One rule for every email address the schema shows: without members:read-contact (a Manager, a custom
 * inviter) no address is visible, whichever field carries it; with it (Admin), or for yourself, it is.
 */
describe('contact details: one rule for every email address', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  let admin: SignedInUser;
  let manager: SignedInUser;
  let nameless: SignedInUser;
  let invitationId: string;
  const invitee = `invitee-${Date.now()}@example.com`;

  beforeAll(async () => {
    service = await startTestService();
    organisation = await createOrganisation(service, await platformAdmin(service));
    admin = await memberWith(service, organisation.id, ['admin']);
    manager = await memberWith(service, organisation.id, ['manager']);
    // A token without a name: the display name becomes the address.
    nameless = await signIn(service, { claims: { name: undefined } });
    await addMember(service, organisation.id, nameless.userId, { builtInRoles: ['member'] });
    const invited = await service.graphql(INVITE, { input: { organisationId: organisation.id, email: invitee } }, admin.token);
    expect(invited.errors).toBeUndefined();
    invitationId = invited.data.inviteUser.invitation.id;
  });
  afterAll(() => service.stop());

  it('hides Invitation.email from a Manager (invitations:read, no members:read-contact) and shows it to an Admin', async () => {
    const forManager = await service.graphql(INVITATIONS, { organisationId: organisation.id }, manager.token);
    expect(refusals(forManager)).toEqual(new Set()) // hidden, not refused: null with no error;
    expect(forManager.data.organisation.invitations.edges.map((edge: any) => edge.node)).toEqual([expect.objectContaining({ id: invitationId, email: null, status: 'PENDING' })]);
    const forAdmin = await service.graphql(INVITATIONS, { organisationId: organisation.id }, admin.token);
    expect(forAdmin.errors).toBeUndefined();
    expect(forAdmin.data.organisation.invitations.edges[0].node.email).toBe(invitee);
  });

  it('applies the same rule through federation (_entities)', async () => {
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Invitation { id email } } }`;
    const representations = [{ __typename: 'Invitation', id: invitationId }];
    const forManager = await service.graphql(query, { r: representations }, manager.token);
    expect(refusals(forManager)).toEqual(new Set()) // hidden, not refused: null with no error;
    expect(forManager.data._entities).toEqual([{ id: invitationId, email: null }]);
    expect((await service.graphql(query, { r: representations }, admin.token)).data._entities).toEqual([{ id: invitationId, email: invitee }]);
  });

  it('hides the address in the invitation an inviter without members:read-contact gets back (the token still comes)', async () => {
    const [role] = await service.database.dataSource.query(
      `INSERT INTO roles (organisation_id, name, permissions) VALUES ($1, 'Recruiter', '{members:invite,org:read,members:read,teams:read,roles:read}') RETURNING id`,
      [organisation.id],
    );
    const recruiter = await signIn(service);
    await addMember(service, organisation.id, recruiter.userId, { roleIds: [role.id] });
    const response = await service.graphql(INVITE, { input: { organisationId: organisation.id, email: `recruited-${Date.now()}@example.com` } }, recruiter.token);
    expect(refusals(response)).toEqual(new Set()) // hidden, not refused: null with no error;
    expect(response.data.inviteUser.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(response.data.inviteUser.invitation.email).toBeNull();
  });

  it('hides an address used as a display name from a Manager, not from an Admin or its owner', async () => {
    const row = async (token: string) => {
      const response = await service.graphql(MEMBERS, { organisationId: organisation.id, first: 100 }, token);
      return response.data.organisation.members.edges.map((edge: any) => edge.node.user).find((user: any) => user.id === nameless.userId);
    };
    expect(await row(admin.token)).toMatchObject({ displayName: nameless.email, email: nameless.email });
    expect(await row(manager.token)).toMatchObject({ displayName: '[email hidden]', email: null });
    const self = await service.graphql('{ viewer { user { displayName email } } }', {}, nameless.token);
    expect(self.data.viewer.user).toEqual({ displayName: nameless.email, email: nameless.email });
  });

  it('keeps ordinary display names readable with members:read', async () => {
    const response = await service.graphql(MEMBERS, { organisationId: organisation.id, first: 100 }, manager.token);
    const users = response.data.organisation.members.edges.map((edge: any) => edge.node.user);
    expect(users.find((user: any) => user.id === admin.userId).displayName).toBe(admin.subject);
    expect(response.errors).toBeUndefined();
  });
});
