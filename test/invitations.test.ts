import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Kind, parse, type DefinitionNode } from 'graphql';
import { InvitationStatus } from '../src/invitations/invitation-status';
import { createOutboxSender } from '../src/invitations/outbox/create-outbox-worker';
import type { OutboxMessage, OutboxSender } from '../src/invitations/outbox/outbox-sender';
import { OutboxWorker } from '../src/invitations/outbox/outbox-worker';
import { MembershipStatus } from '../src/memberships/membership-status';
import { OrganisationEntity } from '../src/organisations/organisation.entity';
import { RoleEntity } from '../src/roles/role.entity';
import { TeamEntity } from '../src/teams/team.entity';
import { UserEntity } from '../src/users/user.entity';
import { addMember, createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { expectNothingWritten as expectNothingWrittenIn } from './support/nothing-written';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

// ---------- the contract's operations, verbatim (with the fragments they use) ----------

const CONTRACT = fs.readFileSync(path.resolve(__dirname, 'contract/dashboard.graphql'), 'utf8');
const DOCUMENT = parse(CONTRACT);
const textOf = (definition: DefinitionNode) => CONTRACT.slice(definition.loc?.start, definition.loc?.end);

function contractOperation(name: string): string {
  const operation = DOCUMENT.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION && definition.name?.value === name);
  if (!operation) throw new Error(`no operation ${name} in the contract`);
  const fragments = DOCUMENT.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION && textOf(operation).includes(`...${definition.name.value}`));
  return [textOf(operation), ...fragments.map(textOf)].join('\n\n');
}

const INVITATIONS = contractOperation('Invitations');
const INVITE_USER = contractOperation('InviteUser');
const RESEND_INVITATION = contractOperation('ResendInvitation');
const CANCEL_INVITATION = contractOperation('CancelInvitation');
const ACCEPT_INVITATION = contractOperation('AcceptInvitation');

const ACCEPT_URL_BASE = 'https://dashboard.example.test/invitations/accept';
const DAY_MS = 24 * 60 * 60 * 1000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

let sequence = 0;
const uniqueEmail = (prefix = 'invitee') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${(sequence += 1)}@example.com`.toLowerCase();
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A sender for tests: records what it was given, failing the first `failures` sends. */
class FakeSender implements OutboxSender {
  readonly name = 'fake';
  readonly sent: OutboxMessage[] = [];
  calls = 0;
  constructor(
    private failures = 0,
    private readonly delayMs = 0,
  ) {}
  async send(message: OutboxMessage): Promise<void> {
    this.calls += 1;
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('550 mailbox unavailable');
    }
    this.sent.push(message);
  }
}

describe('invitations', () => {
  let service: TestService;
  let platform: SignedInUser;
  let orgA: TestOrganisation;
  let orgB: TestOrganisation;
  let adminOfA: SignedInUser & { membershipId: string };
  let adminOfB: SignedInUser & { membershipId: string };
  let viewerOfA: SignedInUser & { membershipId: string };
  let managerOfA: SignedInUser & { membershipId: string };
  let teamOfA: TeamEntity;
  let teamOfB: TeamEntity;
  const roleIds: Record<string, Record<string, string>> = {};

  const db = () => service.database.dataSource;

  beforeAll(async () => {
    // The suite drives the outbox worker itself.
    service = await startTestService({ OUTBOX_POLL_INTERVAL_MS: '0', INVITATION_ACCEPT_URL_BASE: ACCEPT_URL_BASE });
    platform = await platformAdmin(service);
    orgA = await createOrganisation(service, platform);
    orgB = await createOrganisation(service, platform);
    adminOfA = await memberWith(service, orgA.id, ['admin']);
    adminOfB = await memberWith(service, orgB.id, ['admin']);
    viewerOfA = await memberWith(service, orgA.id, ['viewer']);
    managerOfA = await memberWith(service, orgA.id, ['manager']);
    const teams = db().getRepository(TeamEntity);
    teamOfA = await teams.save(teams.create({ organisationId: orgA.id, name: 'Platform', description: '' }));
    teamOfB = await teams.save(teams.create({ organisationId: orgB.id, name: 'Finance', description: '' }));
    for (const organisation of [orgA, orgB]) {
      const roles = await db().getRepository(RoleEntity).findBy({ organisationId: organisation.id });
      roleIds[organisation.id] = Object.fromEntries(roles.map((role) => [role.builtInKey as string, role.id]));
    }
  });
  afterAll(() => service.stop());

  const invite = (token: string, input: Record<string, unknown>) => service.graphql(INVITE_USER, { input }, token);
  const accept = (token: string, invitationToken: string) => service.graphql(ACCEPT_INVITATION, { token: invitationToken }, token);
  const outboxTo = (email: string): Promise<Record<string, any>[]> => db().query('SELECT * FROM email_outbox WHERE to_address = $1 ORDER BY created_at', [email]);
  const invitationRow = async (id: string): Promise<Record<string, any>> => (await db().query('SELECT * FROM invitations WHERE id = $1', [id]))[0];
  const auditOf = (action: string, targetId: string): Promise<{ actor_user_id: string; details: Record<string, unknown> }[]> =>
    db().query('SELECT actor_user_id, details FROM audit_events WHERE action = $1 AND target_id = $2', [action, targetId]);

  /** Invites `email` into organisation A as its Admin; returns the payload. */
  async function invited(email = uniqueEmail(), extra: Record<string, unknown> = {}, by: SignedInUser = adminOfA, organisationId = orgA.id) {
    const defaultRoles = roleIds[organisationId] ? [roleIds[organisationId].viewer] : [];
    const response = await invite(by.token, { organisationId, email, roleIds: defaultRoles, teamIds: [], ...extra });
    if (!response.data) throw new Error(`inviteUser failed: ${JSON.stringify(response.errors)}`);
    return { email, token: response.data.inviteUser.token as string, invitation: response.data.inviteUser.invitation };
  }

  /** Nothing written anywhere, and no invitation changed state. */
  const expectNothingWritten = (work: () => Promise<GraphQLResponse>): Promise<GraphQLResponse> =>
    expectNothingWrittenIn(db(), work, () => db().query('SELECT id, status, token_hash, expires_at, accepted_at FROM invitations ORDER BY id'));

  describe('inviteUser', () => {
    it('invites with roles and teams: the token once, its hash stored, the email in the outbox, audited', async () => {
      const email = uniqueEmail('Ada');
      const started = Date.now();
      const response = await invite(adminOfA.token, {
        organisationId: orgA.id,
        email: `  ${email.toUpperCase()} `,
        roleIds: [roleIds[orgA.id].viewer],
        teamIds: [teamOfA.id],
      });
      expect(response.errors).toBeUndefined();
      const { token, invitation } = response.data.inviteUser;
      expect(token).toMatch(TOKEN);
      expect(invitation).toMatchObject({
        email: email.toLowerCase(),
        status: 'PENDING',
        acceptedAt: null,
        invitedBy: { id: adminOfA.userId },
        roles: [{ id: roleIds[orgA.id].viewer, name: 'Viewer' }],
        teams: [{ id: teamOfA.id, name: 'Platform' }],
      });
      // The organisation's default: 7 days.
      expect(Date.parse(invitation.expiresAt) - started).toBeGreaterThanOrEqual(7 * DAY_MS - 1000);
      expect(Date.parse(invitation.expiresAt) - Date.now()).toBeLessThanOrEqual(7 * DAY_MS);

      // The database holds the SHA-256 hash of the token, and the token nowhere in the invitation.
      const row = await invitationRow(invitation.id);
      expect(row.token_hash).toBe(sha256(token));
      expect(JSON.stringify(row)).not.toContain(token);

      // One email, written with the invitation, linking to the configured base with the token.
      const outbox = await outboxTo(email.toLowerCase());
      expect(outbox).toHaveLength(1);
      expect(outbox[0]).toMatchObject({ organisation_id: orgA.id, status: 'PENDING', attempts: 0, sent_at: null });
      expect(outbox[0].body).toContain(`${ACCEPT_URL_BASE}?token=${token}`);
      expect(outbox[0].subject).toContain(`Organisation ${orgA.slug}`);

      // The invitee exists as a placeholder user from now on.
      const placeholder = await db().getRepository(UserEntity).findOneByOrFail({ email: email.toLowerCase() });
      expect(placeholder).toMatchObject({ issuer: null, subject: null, emailVerified: false });

      const audit = await auditOf('invitation.created', invitation.id);
      expect(audit).toHaveLength(1);
      expect(audit[0].actor_user_id).toBe(adminOfA.userId);
      expect(audit[0].details).toMatchObject({ inviteeUserId: placeholder.id, roleIds: [roleIds[orgA.id].viewer], teamIds: [teamOfA.id] });
      // Audit rows cannot be erased, so they hold ids, never the address.
      expect(JSON.stringify(audit[0].details)).not.toContain('@');
    });

    it('offers the built-in Member role when no roles are given', async () => {
      const response = await invite(adminOfA.token, { organisationId: orgA.id, email: uniqueEmail() });
      expect(response.errors).toBeUndefined();
      expect(response.data.inviteUser.invitation.roles).toEqual([{ id: roleIds[orgA.id].member, name: 'Member' }]);
      expect(response.data.inviteUser.invitation.teams).toEqual([]);
    });

    it('takes expiresInDays from 1 to 30, and refuses anything else (BAD_USER_INPUT, no email queued)', async () => {
      const { invitation } = await invited(uniqueEmail(), { expiresInDays: 30 });
      expect(Date.parse(invitation.expiresAt) - Date.now()).toBeGreaterThan(30 * DAY_MS - 60_000);
      const short = await invited(uniqueEmail(), { expiresInDays: 1 });
      expect(Date.parse(short.invitation.expiresAt) - Date.now()).toBeLessThanOrEqual(DAY_MS);
      for (const expiresInDays of [0, 31, -1]) {
        const email = uniqueEmail();
        const response = await expectNothingWritten(() => invite(adminOfA.token, { organisationId: orgA.id, email, expiresInDays }));
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
        expect(response.errors?.[0].extensions?.field).toBe('expiresInDays');
      }
    });

    it("defaults the expiry to the organisation's invitationExpiryDays", async () => {
      const organisation = await createOrganisation(service, platform);
      await db().getRepository(OrganisationEntity).update({ id: organisation.id }, { invitationExpiryDays: 2 });
      const response = await invite(organisation.owner.token, { organisationId: organisation.id, email: uniqueEmail() });
      const expiresIn = Date.parse(response.data.inviteUser.invitation.expiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan(2 * DAY_MS - 60_000);
      expect(expiresIn).toBeLessThanOrEqual(2 * DAY_MS);
    });

    it('refuses something that is not an email address (BAD_USER_INPUT)', async () => {
      for (const email of ['not-an-email', 'two@@example.com', '', `${'a'.repeat(320)}@example.com`]) {
        const response = await expectNothingWritten(() => invite(adminOfA.token, { organisationId: orgA.id, email }));
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      }
    });

    it("enforces the organisation's allowedEmailDomains (BAD_USER_INPUT, reason EMAIL_DOMAIN_NOT_ALLOWED)", async () => {
      const organisation = await createOrganisation(service, platform);
      await db().getRepository(OrganisationEntity).update({ id: organisation.id }, { allowedEmailDomains: ['corp.example'] });
      const outside = await expectNothingWritten(() => invite(organisation.owner.token, { organisationId: organisation.id, email: 'someone@example.com' }));
      expect(errorCodes(outside)).toEqual(['BAD_USER_INPUT']);
      expect(outside.errors?.[0].extensions).toMatchObject({ field: 'email', reason: 'EMAIL_DOMAIN_NOT_ALLOWED' });
      // A subdomain is another domain.
      expect(errorCodes(await invite(organisation.owner.token, { organisationId: organisation.id, email: 'someone@eu.corp.example' }))).toEqual(['BAD_USER_INPUT']);
      const inside = await invite(organisation.owner.token, { organisationId: organisation.id, email: `Someone-${sequence++}@Corp.Example` });
      expect(inside.errors).toBeUndefined();
    });

    it('refuses (CONFLICT) an active, pending-approval or deactivated member, and writes nothing', async () => {
      const pending = await memberWith(service, orgA.id, ['viewer'], { status: MembershipStatus.PENDING_APPROVAL });
      const deactivated = await memberWith(service, orgA.id, ['viewer'], { status: MembershipStatus.DEACTIVATED });
      for (const [member, status] of [
        [viewerOfA, 'ACTIVE'],
        [pending, 'PENDING_APPROVAL'],
        [deactivated, 'DEACTIVATED'],
      ] as const) {
        const response = await expectNothingWritten(() => invite(adminOfA.token, { organisationId: orgA.id, email: member.email.toUpperCase() }));
        expect(errorCodes(response)).toEqual(['CONFLICT']);
        expect(response.errors?.[0].extensions).toMatchObject({ reason: 'ALREADY_MEMBER', memberStatus: status });
      }
    });

    it('refuses (CONFLICT) a second invitation to a pending email: the first is resent instead; no second email', async () => {
      const first = await invited();
      const again = await expectNothingWritten(() => invite(adminOfA.token, { organisationId: orgA.id, email: first.email }));
      expect(errorCodes(again)).toEqual(['CONFLICT']);
      expect(again.errors?.[0].extensions).toMatchObject({ reason: 'PENDING_INVITATION', invitationId: first.invitation.id });
      expect(await outboxTo(first.email)).toHaveLength(1);
      // Another organisation may invite the same person.
      expect((await invite(adminOfB.token, { organisationId: orgB.id, email: first.email })).errors).toBeUndefined();
    });

    it('lets exactly one of concurrent invitations of one email through', async () => {
      const email = uniqueEmail('race');
      const responses = await Promise.all(Array.from({ length: 6 }, () => invite(adminOfA.token, { organisationId: orgA.id, email })));
      expect(responses.filter((response) => response.errors === undefined)).toHaveLength(1);
      expect(responses.flatMap(errorCodes).sort()).toEqual(Array(5).fill('CONFLICT'));
      expect(await outboxTo(email)).toHaveLength(1);
      expect(await db().query('SELECT count(*)::int AS n FROM invitations WHERE email = $1', [email])).toEqual([{ n: 1 }]);
    });

    it("refuses another organisation's roles and teams (BAD_USER_INPUT), writing nothing", async () => {
      const foreignRole = await expectNothingWritten(() => invite(adminOfA.token, { organisationId: orgA.id, email: uniqueEmail(), roleIds: [roleIds[orgB.id].viewer] }));
      expect(errorCodes(foreignRole)).toEqual(['BAD_USER_INPUT']);
      expect(foreignRole.errors?.[0].extensions).toMatchObject({ field: 'roleIds', unknown: [roleIds[orgB.id].viewer] });
      const foreignTeam = await expectNothingWritten(() => invite(adminOfA.token, { organisationId: orgA.id, email: uniqueEmail(), teamIds: [teamOfB.id] }));
      expect(errorCodes(foreignTeam)).toEqual(['BAD_USER_INPUT']);
      expect(foreignTeam.errors?.[0].extensions).toMatchObject({ field: 'teamIds', unknown: [teamOfB.id] });
      const junk = await invite(adminOfA.token, { organisationId: orgA.id, email: uniqueEmail(), roleIds: ['not-an-id'] });
      expect(errorCodes(junk)).toEqual(['BAD_USER_INPUT']);
    });

    it("does not let an Admin of A invite into B (NOT_FOUND)", async () => {
      const response = await expectNothingWritten(() => invite(adminOfA.token, { organisationId: orgB.id, email: uniqueEmail(), roleIds: [roleIds[orgB.id].viewer] }));
      expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    });

    it('refuses escalation: an Admin cannot invite with the Owner role (FORBIDDEN); an Owner can', async () => {
      const refused = await expectNothingWritten(() => invite(adminOfA.token, { organisationId: orgA.id, email: uniqueEmail(), roleIds: [roleIds[orgA.id].owner] }));
      expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
      const byOwner = await invite(orgA.owner.token, { organisationId: orgA.id, email: uniqueEmail(), roleIds: [roleIds[orgA.id].owner] });
      expect(byOwner.errors).toBeUndefined();
      expect(byOwner.data.inviteUser.invitation.roles).toEqual([{ id: roleIds[orgA.id].owner, name: 'Owner' }]);
    });

    it('refuses a Viewer or a Manager (FORBIDDEN: no members:invite) and the unauthenticated', async () => {
      for (const caller of [viewerOfA, managerOfA]) {
        const response = await expectNothingWritten(() => invite(caller.token, { organisationId: orgA.id, email: uniqueEmail() }));
        expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      }
      const anonymous = await service.graphql(INVITE_USER, { input: { organisationId: orgA.id, email: uniqueEmail() } });
      expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('Invitations (the list)', () => {
    let organisation: TestOrganisation;
    let admin: SignedInUser & { membershipId: string };
    const created: { email: string; token: string; invitation: any }[] = [];

    beforeAll(async () => {
      organisation = await createOrganisation(service, platform);
      admin = await memberWith(service, organisation.id, ['admin']);
      for (let index = 0; index < 4; index += 1) created.push(await invited(uniqueEmail(`list${index}`), { roleIds: [] }, admin, organisation.id));
      // One expired (past expiresAt, no sweeper), one cancelled, one accepted.
      await db().query(`UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1`, [created[0].invitation.id]);
      await db().query(`UPDATE invitations SET status = 'CANCELLED', cancelled_at = now() WHERE id = $1`, [created[1].invitation.id]);
      const invitee = await signIn(service, { email: created[2].email });
      expect((await accept(invitee.token, created[2].token)).errors).toBeUndefined();
    });

    const list = (token: string, variables: Record<string, unknown> = {}) => service.graphql(INVITATIONS, { organisationId: organisation.id, ...variables }, token);

    it('lists newest first with derived statuses and InvitationFields', async () => {
      const response = await list(admin.token);
      expect(response.errors).toBeUndefined();
      const { totalCount, edges } = response.data.organisation.invitations;
      expect(totalCount).toBe(4);
      expect(edges.map((edge: any) => [edge.node.email, edge.node.status])).toEqual([
        [created[3].email, 'PENDING'],
        [created[2].email, 'ACCEPTED'],
        [created[1].email, 'CANCELLED'],
        [created[0].email, 'EXPIRED'],
      ]);
      expect(edges[1].node.acceptedAt).not.toBeNull();
      expect(edges[0].node).toMatchObject({ invitedBy: { id: admin.userId, displayName: expect.any(String) }, roles: [{ name: 'Member' }], teams: [] });
    });

    it('filters by status as clients see it (EXPIRED without any sweeper)', async () => {
      for (const [status, index] of [
        ['PENDING', 3],
        ['ACCEPTED', 2],
        ['CANCELLED', 1],
        ['EXPIRED', 0],
      ] as const) {
        const response = await list(admin.token, { status });
        expect(response.errors).toBeUndefined();
        expect(response.data.organisation.invitations.totalCount).toBe(1);
        expect(response.data.organisation.invitations.edges.map((edge: any) => edge.node.id)).toEqual([created[index].invitation.id]);
      }
    });

    it('pages with cursors, and refuses a cursor of another organisation', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 3; page += 1) {
        const response: GraphQLResponse = await list(admin.token, { first: 2, after });
        expect(response.errors).toBeUndefined();
        const connection = response.data.organisation.invitations;
        expect(connection.totalCount).toBe(4);
        seen.push(...connection.edges.map((edge: any) => edge.node.id));
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      expect(seen).toEqual([...created].reverse().map((entry) => entry.invitation.id));
      const foreign = await service.graphql(INVITATIONS, { organisationId: orgA.id, first: 1, after }, adminOfA.token);
      expect(errorCodes(foreign)).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await list(admin.token, { first: 101 }))).toEqual(['BAD_USER_INPUT']);
    });

    it('reads a page in a number of statements that does not grow with its size', async () => {
      const small = await service.countStatements(INVITATIONS, { organisationId: organisation.id, first: 1 }, admin.token);
      const large = await service.countStatements(INVITATIONS, { organisationId: organisation.id, first: 4 }, admin.token);
      expect(small.response.errors).toBeUndefined();
      expect(large.response.data.organisation.invitations.edges).toHaveLength(4);
      expect(large.count).toBe(small.count);
    });

    it('needs invitations:read: a Manager lists, a Viewer is refused (FORBIDDEN)', async () => {
      const manager = await memberWith(service, organisation.id, ['manager']);
      const managed = await list(manager.token);
      expect(managed.data.organisation.invitations.totalCount).toBe(4);
      // A Manager has no members:read-contact but may read invitations; invitedBy needs members:read (held).
      // The addresses follow the contact rule, as User.email does: hidden (null, with no error).
      const nodes = managed.data.organisation.invitations.edges.map((edge: any) => edge.node);
      expect(nodes.every((node: any) => node.email === null && node.status && node.invitedBy?.displayName)).toBe(true);
      expect(managed.errors).toBeUndefined();
      const viewer = await memberWith(service, organisation.id, ['viewer']);
      const refused = await list(viewer.token);
      expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
      expect(refused.data?.organisation).toBeNull();
    });

    it("shows an Admin of A nothing of B's invitations (the organisation is null)", async () => {
      const response = await service.graphql(INVITATIONS, { organisationId: organisation.id }, adminOfA.token);
      expect(response.data.organisation).toBeNull();
    });

    it('resolves Invitation references (_entities) for readers of its organisation only', async () => {
      const query = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Invitation { id email status } } }`;
      const representations = [{ __typename: 'Invitation', id: created[3].invitation.id }];
      const own = await service.graphql(query, { representations }, admin.token);
      expect(own.errors).toBeUndefined();
      expect(own.data._entities).toEqual([{ id: created[3].invitation.id, email: created[3].email, status: 'PENDING' }]);
      const foreign = await service.graphql(query, { representations }, adminOfA.token);
      expect(foreign.errors).toBeUndefined();
      expect(foreign.data._entities).toEqual([null]);
    });
  });

  describe('resendInvitation', () => {
    it('issues a new token and expiry; the old token stops working; a new email; audited', async () => {
      const first = await invited(uniqueEmail(), { expiresInDays: 1 });
      const response = await service.graphql(RESEND_INVITATION, { id: first.invitation.id }, adminOfA.token);
      expect(response.errors).toBeUndefined();
      const { token, invitation } = response.data.resendInvitation;
      expect(token).toMatch(TOKEN);
      expect(token).not.toBe(first.token);
      expect(invitation).toMatchObject({ id: first.invitation.id, status: 'PENDING' });
      expect(Date.parse(invitation.expiresAt) - Date.now()).toBeGreaterThan(7 * DAY_MS - 60_000);
      expect((await invitationRow(invitation.id)).token_hash).toBe(sha256(token));
      const outbox = await outboxTo(first.email);
      expect(outbox).toHaveLength(2);
      expect(outbox[1].body).toContain(`?token=${token}`);
      // The first email, unsent, is withdrawn: its link would not work.
      expect(outbox[0]).toMatchObject({ status: 'SUPERSEDED', invitation_id: first.invitation.id });
      expect(outbox[0].body).not.toContain(first.token);
      expect(outbox[1]).toMatchObject({ status: 'PENDING', invitation_id: first.invitation.id });
      expect((await auditOf('invitation.resent', invitation.id))[0].actor_user_id).toBe(adminOfA.userId);

      const invitee = await signIn(service, { email: first.email });
      const stale = await expectNothingWritten(() => accept(invitee.token, first.token));
      expect(errorCodes(stale)).toEqual(['NOT_FOUND']);
      const fresh = await accept(invitee.token, token);
      expect(fresh.errors).toBeUndefined();
      expect(fresh.data.acceptInvitation.status).toBe('ACTIVE');
    });

    it('renews an expired invitation', async () => {
      const first = await invited();
      await db().query(`UPDATE invitations SET expires_at = now() - interval '1 day' WHERE id = $1`, [first.invitation.id]);
      const response = await service.graphql(RESEND_INVITATION, { id: first.invitation.id }, adminOfA.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.resendInvitation.invitation.status).toBe('PENDING');
      const invitee = await signIn(service, { email: first.email });
      expect((await accept(invitee.token, response.data.resendInvitation.token)).errors).toBeUndefined();
    });

    it('refuses an accepted or cancelled invitation (CONFLICT with the reason)', async () => {
      const acceptedOne = await invited();
      const invitee = await signIn(service, { email: acceptedOne.email });
      await accept(invitee.token, acceptedOne.token);
      const accepted = await expectNothingWritten(() => service.graphql(RESEND_INVITATION, { id: acceptedOne.invitation.id }, adminOfA.token));
      expect(errorCodes(accepted)).toEqual(['CONFLICT']);
      expect(accepted.errors?.[0].extensions?.reason).toBe('ALREADY_ACCEPTED');

      const cancelledOne = await invited();
      await service.graphql(CANCEL_INVITATION, { id: cancelledOne.invitation.id }, adminOfA.token);
      const cancelled = await expectNothingWritten(() => service.graphql(RESEND_INVITATION, { id: cancelledOne.invitation.id }, adminOfA.token));
      expect(errorCodes(cancelled)).toEqual(['CONFLICT']);
      expect(cancelled.errors?.[0].extensions?.reason).toBe('CANCELLED');
    });

    it("does not let an Admin of B resend A's invitation (NOT_FOUND), nor a Viewer of A (FORBIDDEN)", async () => {
      const first = await invited();
      const foreign = await expectNothingWritten(() => service.graphql(RESEND_INVITATION, { id: first.invitation.id }, adminOfB.token));
      expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
      expect(errorCodes(await service.graphql(RESEND_INVITATION, { id: first.invitation.id }, viewerOfA.token))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await service.graphql(RESEND_INVITATION, { id: randomUUID() }, adminOfA.token))).toEqual(['NOT_FOUND']);
      expect(await outboxTo(first.email)).toHaveLength(1);
    });

    it("refuses an Admin resending an invitation that grants Owner (a new token is a new grant)", async () => {
      const ownersInvitation = await invited(uniqueEmail(), { roleIds: [roleIds[orgA.id].owner] }, orgA.owner);
      const refused = await expectNothingWritten(() => service.graphql(RESEND_INVITATION, { id: ownersInvitation.invitation.id }, adminOfA.token));
      expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
      expect((await service.graphql(RESEND_INVITATION, { id: ownersInvitation.invitation.id }, orgA.owner.token)).errors).toBeUndefined();
    });
  });

  describe('cancelInvitation', () => {
    it('cancels a pending invitation: its token is refused afterwards; audited', async () => {
      const first = await invited();
      const response = await service.graphql(CANCEL_INVITATION, { id: first.invitation.id }, adminOfA.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.cancelInvitation).toMatchObject({ id: first.invitation.id, status: 'CANCELLED', email: first.email });
      expect((await invitationRow(first.invitation.id)).cancelled_at).not.toBeNull();
      expect((await auditOf('invitation.cancelled', first.invitation.id))[0].actor_user_id).toBe(adminOfA.userId);
      expect((await outboxTo(first.email)).map((email) => email.status)).toEqual(['SUPERSEDED']);
      const again = await expectNothingWritten(() => service.graphql(CANCEL_INVITATION, { id: first.invitation.id }, adminOfA.token));
      expect(errorCodes(again)).toEqual(['CONFLICT']);
      expect(again.errors?.[0].extensions?.reason).toBe('CANCELLED');
      // A new invitation to the same email is possible now.
      expect((await invite(adminOfA.token, { organisationId: orgA.id, email: first.email })).errors).toBeUndefined();
    });

    it('cancels an expired one (so it can be replaced), and refuses an accepted one (CONFLICT)', async () => {
      const expired = await invited();
      await db().query(`UPDATE invitations SET expires_at = now() - interval '1 day' WHERE id = $1`, [expired.invitation.id]);
      const blocked = await invite(adminOfA.token, { organisationId: orgA.id, email: expired.email });
      expect(errorCodes(blocked)).toEqual(['CONFLICT']);
      expect(blocked.errors?.[0].extensions?.reason).toBe('PENDING_INVITATION');
      expect((await service.graphql(CANCEL_INVITATION, { id: expired.invitation.id }, adminOfA.token)).data.cancelInvitation.status).toBe('CANCELLED');
      expect((await invite(adminOfA.token, { organisationId: orgA.id, email: expired.email })).errors).toBeUndefined();

      const acceptedOne = await invited();
      await accept((await signIn(service, { email: acceptedOne.email })).token, acceptedOne.token);
      const refused = await expectNothingWritten(() => service.graphql(CANCEL_INVITATION, { id: acceptedOne.invitation.id }, adminOfA.token));
      expect(errorCodes(refused)).toEqual(['CONFLICT']);
      expect(refused.errors?.[0].extensions?.reason).toBe('ALREADY_ACCEPTED');
    });

    it("does not let an Admin of B cancel A's invitation (NOT_FOUND), nor a Manager of A (FORBIDDEN: read only)", async () => {
      const first = await invited();
      expect(errorCodes(await expectNothingWritten(() => service.graphql(CANCEL_INVITATION, { id: first.invitation.id }, adminOfB.token)))).toEqual(['NOT_FOUND']);
      expect(errorCodes(await service.graphql(CANCEL_INVITATION, { id: first.invitation.id }, managerOfA.token))).toEqual(['FORBIDDEN']);
      expect((await invitationRow(first.invitation.id)).status).toBe('PENDING');
    });
  });

  describe('acceptInvitation', () => {
    it('makes the verified invitee a member with the roles and teams (team places as MEMBER), in one go; audited', async () => {
      const email = uniqueEmail('Grace');
      const { token, invitation } = await invited(email, { roleIds: [roleIds[orgA.id].viewer, roleIds[orgA.id].member], teamIds: [teamOfA.id] });
      const placeholder = await db().getRepository(UserEntity).findOneByOrFail({ email });
      // Case-insensitive: the token's email in another case is the same address; the placeholder is linked.
      const invitee = await signIn(service, { email: email.toUpperCase() });
      expect(invitee.userId).toBe(placeholder.id);
      const response = await accept(invitee.token, token);
      expect(response.errors).toBeUndefined();
      const membership = response.data.acceptInvitation;
      expect(membership).toMatchObject({
        status: 'ACTIVE',
        organisation: { id: orgA.id, name: `Organisation ${orgA.slug}` },
        teams: [{ role: 'MEMBER', team: { id: teamOfA.id, name: 'Platform' } }],
      });
      expect(membership.roles.map((role: { name: string }) => role.name).sort()).toEqual(['Member', 'Viewer']);
      expect(await invitationRow(invitation.id)).toMatchObject({ status: 'ACCEPTED', accepted_by_id: invitee.userId });
      expect((await invitationRow(invitation.id)).accepted_at).not.toBeNull();
      const accepted = await auditOf('invitation.accepted', invitation.id);
      expect(accepted).toHaveLength(1);
      expect(accepted[0].actor_user_id).toBe(invitee.userId);
      const joined = await auditOf('member.joined', membership.id);
      expect(joined).toHaveLength(1);
      expect(joined[0]).toMatchObject({ actor_user_id: invitee.userId, details: { via: 'invitation', status: 'ACTIVE' } });
      // The new member acts with the invitation's roles at once.
      const viewer = await service.graphql('{ viewer { memberships { organisation { id } effectivePermissions } } }', {}, invitee.token);
      expect(viewer.data.viewer.memberships[0].effectivePermissions).toContain('members:read');
    });

    it('joins as PENDING_APPROVAL where the organisation requires approval', async () => {
      const organisation = await createOrganisation(service, platform);
      await db().getRepository(OrganisationEntity).update({ id: organisation.id }, { requireApproval: true });
      const { email, token } = await invited(uniqueEmail(), { roleIds: [] }, organisation.owner, organisation.id);
      const response = await accept((await signIn(service, { email })).token, token);
      expect(response.errors).toBeUndefined();
      expect(response.data.acceptInvitation).toMatchObject({ status: 'PENDING_APPROVAL', organisation: { id: organisation.id }, roles: [{ name: 'Member' }] });
    });

    it('refuses another signed-in user (FORBIDDEN, reason EMAIL_MISMATCH), writing nothing', async () => {
      const { token } = await invited();
      const someoneElse = await signIn(service);
      const response = await expectNothingWritten(() => accept(someoneElse.token, token));
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(response.errors?.[0].extensions?.reason).toBe('EMAIL_MISMATCH');
      const noEmail = await signIn(service, { email: null });
      expect(errorCodes(await accept(noEmail.token, token))).toEqual(['FORBIDDEN']);
    });

    it('refuses the invited email unverified (FORBIDDEN, reason EMAIL_NOT_VERIFIED, its own message), writing nothing', async () => {
      const { email, token } = await invited();
      const unverified = await signIn(service, { email, emailVerified: false });
      const response = await expectNothingWritten(() => accept(unverified.token, token));
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(response.errors?.[0].extensions?.reason).toBe('EMAIL_NOT_VERIFIED');
      expect(response.errors?.[0].message).toMatch(/not verified/);
      // Once the provider says verified, the same person accepts.
      const verified = await service.token({ subject: unverified.subject, email, emailVerified: true });
      expect((await accept(verified, token)).errors).toBeUndefined();
    });

    it('refuses an expired invitation (CONFLICT, reason EXPIRED), writing nothing', async () => {
      const { email, token, invitation } = await invited();
      await db().query(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [invitation.id]);
      const invitee = await signIn(service, { email });
      const response = await expectNothingWritten(() => accept(invitee.token, token));
      expect(errorCodes(response)).toEqual(['CONFLICT']);
      expect(response.errors?.[0].extensions?.reason).toBe('EXPIRED');
    });

    it('refuses a cancelled invitation (CONFLICT, reason CANCELLED), writing nothing', async () => {
      const { email, token, invitation } = await invited();
      await service.graphql(CANCEL_INVITATION, { id: invitation.id }, adminOfA.token);
      const invitee = await signIn(service, { email });
      const response = await expectNothingWritten(() => accept(invitee.token, token));
      expect(errorCodes(response)).toEqual(['CONFLICT']);
      expect(response.errors?.[0].extensions?.reason).toBe('CANCELLED');
    });

    it('refuses an invitation used already (CONFLICT, reason ALREADY_ACCEPTED), writing nothing', async () => {
      const { email, token } = await invited();
      const invitee = await signIn(service, { email });
      expect((await accept(invitee.token, token)).errors).toBeUndefined();
      const again = await expectNothingWritten(() => accept(invitee.token, token));
      expect(errorCodes(again)).toEqual(['CONFLICT']);
      expect(again.errors?.[0].extensions?.reason).toBe('ALREADY_ACCEPTED');
    });

    it('answers NOT_FOUND for an unknown or malformed token, and UNAUTHENTICATED without a user', async () => {
      const someone = await signIn(service);
      expect(errorCodes(await expectNothingWritten(() => accept(someone.token, randomBytes(32).toString('base64url'))))).toEqual(['NOT_FOUND']);
      expect(errorCodes(await accept(someone.token, 'not-a-token'))).toEqual(['NOT_FOUND']);
      const { token } = await invited();
      expect(errorCodes(await service.graphql(ACCEPT_INVITATION, { token }))).toEqual(['UNAUTHENTICATED']);
    });

    it('refuses someone who became a member meanwhile (CONFLICT, reason ALREADY_MEMBER); the invitation stays pending', async () => {
      const { email, token, invitation } = await invited();
      const invitee = await signIn(service, { email });
      await addMember(service, orgA.id, invitee.userId, { builtInRoles: ['viewer'] });
      const response = await expectNothingWritten(() => accept(invitee.token, token));
      expect(errorCodes(response)).toEqual(['CONFLICT']);
      expect(response.errors?.[0].extensions?.reason).toBe('ALREADY_MEMBER');
      expect((await invitationRow(invitation.id)).status).toBe('PENDING');
    });

    it('refuses when the allowed email domains no longer admit the invitee (FORBIDDEN)', async () => {
      const organisation = await createOrganisation(service, platform);
      const { email, token } = await invited(uniqueEmail(), { roleIds: [] }, organisation.owner, organisation.id);
      await db().getRepository(OrganisationEntity).update({ id: organisation.id }, { allowedEmailDomains: ['corp.example'] });
      const invitee = await signIn(service, { email });
      const response = await expectNothingWritten(() => accept(invitee.token, token));
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(response.errors?.[0].extensions?.reason).toBe('EMAIL_DOMAIN_NOT_ALLOWED');
    });

    it('makes exactly one membership out of 50 concurrent accepts of one token', async () => {
      const { email, token, invitation } = await invited(uniqueEmail('fifty'), { teamIds: [teamOfA.id] });
      const invitee = await signIn(service, { email });
      const responses = await Promise.all(Array.from({ length: 50 }, () => accept(invitee.token, token)));
      const succeeded = responses.filter((response) => response.errors === undefined);
      expect(succeeded).toHaveLength(1);
      const refusals = responses.filter((response) => response.errors !== undefined);
      expect(refusals.map((response) => [errorCodes(response)[0], response.errors?.[0].extensions?.reason])).toEqual(Array(49).fill(['CONFLICT', 'ALREADY_ACCEPTED']));
      expect(await db().query('SELECT count(*)::int AS n FROM memberships WHERE organisation_id = $1 AND user_id = $2', [orgA.id, invitee.userId])).toEqual([{ n: 1 }]);
      expect(await db().query('SELECT count(*)::int AS n FROM team_members WHERE membership_id = $1', [succeeded[0].data.acceptInvitation.id])).toEqual([{ n: 1 }]);
      expect(await auditOf('invitation.accepted', invitation.id)).toHaveLength(1);
    });
  });

  describe('the email outbox worker', () => {
    // Only what a test queues: everything queued so far by other tests is marked sent first.
    const clearBacklog = () => db().query(`UPDATE email_outbox SET status = 'SENT', sent_at = now() WHERE status = 'PENDING'`);
    const outboxRow = async (email: string) => (await outboxTo(email))[0];

    it('delivers a queued invitation email through the sender, marks it SENT and forgets the token', async () => {
      await clearBacklog();
      const { email, token } = await invited();
      const sender = new FakeSender();
      const worker = new OutboxWorker(db(), sender, { pollIntervalMs: 0, maxAttempts: 3 });
      expect(await worker.runOnce()).toEqual({ sent: 1, retried: 0, failed: 0 });
      expect(sender.sent).toHaveLength(1);
      expect(sender.sent[0]).toMatchObject({ to: email, organisationId: orgA.id });
      expect(sender.sent[0].body).toContain(`${ACCEPT_URL_BASE}?token=${token}`);
      const row = await outboxRow(email);
      expect(row).toMatchObject({ status: 'SENT', attempts: 1, last_error: null });
      expect(row.sent_at).not.toBeNull();
      expect(row.body).not.toContain(token);
      expect(row.body).toContain('?token=[redacted]');
      // Nothing is sent twice.
      expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
      expect(sender.calls).toBe(1);
    });

    it('retries a failing delivery with exponential backoff, then gives up (FAILED) after maxAttempts', async () => {
      await clearBacklog();
      const { email } = await invited();
      const sender = new FakeSender(Number.POSITIVE_INFINITY);
      const worker = new OutboxWorker(db(), sender, { pollIntervalMs: 0, maxAttempts: 3, backoffBaseMs: 60_000 });
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 2; attempt += 1) {
        expect(await worker.runOnce()).toEqual({ sent: 0, retried: 1, failed: 0 });
        const row = await outboxRow(email);
        expect(row).toMatchObject({ status: 'PENDING', attempts: attempt, last_error: '550 mailbox unavailable' });
        const [{ delay }] = await db().query(`SELECT extract(epoch FROM next_attempt_at - now()) * 1000 AS delay FROM email_outbox WHERE id = $1`, [row.id]);
        delays.push(Number(delay));
        // Not due yet: the worker leaves it alone.
        expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
        await db().query('UPDATE email_outbox SET next_attempt_at = now() WHERE id = $1', [row.id]); // time passes
      }
      expect(delays[0]).toBeGreaterThan(55_000);
      expect(delays[0]).toBeLessThanOrEqual(60_000);
      expect(delays[1]).toBeGreaterThan(115_000);
      expect(delays[1]).toBeLessThanOrEqual(120_000);
      expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, failed: 1 });
      expect(await outboxRow(email)).toMatchObject({ status: 'FAILED', attempts: 3, sent_at: null });
      expect(sender.calls).toBe(3);
      expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
    });

    it('sends after a transient failure', async () => {
      await clearBacklog();
      const { email } = await invited();
      const sender = new FakeSender(1);
      const worker = new OutboxWorker(db(), sender, { pollIntervalMs: 0, maxAttempts: 5, backoffBaseMs: 0 });
      expect(await worker.runOnce()).toEqual({ sent: 0, retried: 1, failed: 0 });
      expect(await worker.runOnce()).toEqual({ sent: 1, retried: 0, failed: 0 });
      expect(await outboxRow(email)).toMatchObject({ status: 'SENT', attempts: 2, last_error: null });
    });

    it('lets concurrent workers share the queue without sending anything twice (SKIP LOCKED)', async () => {
      await clearBacklog();
      const emails: string[] = [];
      for (let index = 0; index < 6; index += 1) emails.push((await invited()).email);
      const senders = [new FakeSender(0, 20), new FakeSender(0, 20), new FakeSender(0, 20)];
      const workers = senders.map((sender) => new OutboxWorker(db(), sender, { pollIntervalMs: 0, maxAttempts: 3, batchSize: 2 }));
      await Promise.all(workers.map((worker) => worker.runOnce()));
      const delivered = senders.flatMap((sender) => sender.sent.map((message) => message.to)).sort();
      expect(delivered).toEqual([...emails].sort());
    });

    it('polls by itself when started, and stops', async () => {
      await clearBacklog();
      const { email } = await invited();
      const sender = new FakeSender();
      const worker = new OutboxWorker(db(), sender, { pollIntervalMs: 50, maxAttempts: 3 });
      worker.start();
      for (let waited = 0; sender.sent.length === 0 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      await worker.stop();
      expect(sender.sent.map((message) => message.to)).toEqual([email]);
    });

    it('delivers over SMTP (nodemailer) when configured', async () => {
      await clearBacklog();
      const { email, token } = await invited();
      const smtp = await startFakeSmtpServer();
      const sender = createOutboxSender({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'Access <no-reply@example.test>' });
      const worker = new OutboxWorker(db(), sender, { pollIntervalMs: 0, maxAttempts: 3 });
      try {
        expect(await worker.runOnce()).toEqual({ sent: 1, retried: 0, failed: 0 });
      } finally {
        await worker.stop();
        await smtp.stop();
      }
      expect(smtp.messages).toHaveLength(1);
      expect(smtp.messages[0].recipients).toEqual([`<${email}>`]);
      const data = smtp.messages[0].data.replace(/=\r\n/g, '').replace(/=3D/g, '=');
      expect(data).toMatch(/^From: Access <no-reply@example\.test>$/m);
      expect(data).toContain(`${ACCEPT_URL_BASE}?token=${token}`);
      expect((await outboxRow(email)).status).toBe('SENT');
    });

    it('uses SMTP when SMTP_URL is configured, else the log', () => {
      expect(createOutboxSender({ SMTP_URL: undefined, MAIL_FROM: 'no-reply@localhost' }).name).toBe('log');
      const smtp = createOutboxSender({ SMTP_URL: 'smtp://user:secret@127.0.0.1:2525', MAIL_FROM: 'no-reply@localhost' });
      expect(smtp.name).toBe('smtp');
      void smtp.close?.();
    });
  });

  it('keeps the stored statuses to PENDING, ACCEPTED and CANCELLED (EXPIRED is derived)', async () => {
    const statuses: { status: string }[] = await db().query('SELECT DISTINCT status FROM invitations');
    expect(statuses.map((row) => row.status).every((status) => [InvitationStatus.PENDING, InvitationStatus.ACCEPTED, InvitationStatus.CANCELLED].includes(status as InvitationStatus))).toBe(true);
  });
});

/** The least SMTP server nodemailer will talk to, on 127.0.0.1: records each message's recipients and data. */
async function startFakeSmtpServer(): Promise<{ port: number; messages: { recipients: string[]; data: string }[]; stop(): Promise<void> }> {
  const messages: { recipients: string[]; data: string }[] = [];
  const server = net.createServer((socket) => {
    let buffer = '';
    let inData = false;
    let current = { recipients: [] as string[], data: '' };
    socket.write('220 localhost ESMTP test\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          current.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          messages.push(current);
          current = { recipients: [], data: '' };
          socket.write('250 2.0.0 queued\r\n');
          continue;
        }
        const newline = buffer.indexOf('\r\n');
        if (newline === -1) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250-localhost\r\n250 8BITMIME\r\n');
        else if (verb === 'RCPT') {
          current.recipients.push(line.slice(line.indexOf(':') + 1).trim());
          socket.write('250 2.1.5 OK\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') socket.end('221 2.0.0 bye\r\n');
        else socket.write('250 2.0.0 OK\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    messages,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
