import { randomUUID } from 'node:crypto';
import { RoleEntity } from '../src/roles/role.entity';
import { runTransaction } from '../src/core/database/transaction';
import { emitEvent } from '../src/events/event-emitter';
import { EventSweeper } from '../src/events/event-sweeper';
import { contractOperation } from './support/contract';
import { addMember, createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { expectNothingWritten } from './support/nothing-written';
import { errorCodes, startTestService, type TestService } from './support/test-service';

const FEED = `query($id: ID!, $after: String, $first: Int, $types: [String!]) {
  organisation(id: $id) { id events(after: $after, first: $first, types: $types) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id sequence type subject time data organisationId } } } } }`;
const PLATFORM_FEED = `query($after: String, $first: Int, $types: [String!], $organisationId: ID) {
  platformEvents(after: $after, first: $first, types: $types, organisationId: $organisationId) {
    pageInfo { hasNextPage endCursor } edges { cursor node { id sequence type subject data organisationId } } } }`;

interface FeedEvent {
  id: string;
  sequence: number;
  type: string;
  subject: string;
  time: string;
  data: Record<string, any>;
  organisationId: string | null;
}

describe('domain events', () => {
  let service: TestService;
  let admin: SignedInUser;
  let organisation: TestOrganisation;
  let other: TestOrganisation;

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
    organisation = await createOrganisation(service, admin);
    other = await createOrganisation(service, admin);
  });
  afterAll(() => service.stop());

  const sql = (statement: string, parameters: unknown[] = []) => service.database.dataSource.query(statement, parameters);
  const roleId = async (organisationId: string, key: string) =>
    (await service.database.dataSource.getRepository(RoleEntity).findOneByOrFail({ organisationId, builtInKey: key })).id;

  /** The whole feed of an organisation (as its Owner reads it), page by page. */
  async function feed(organisationId: string, token: string, after: string | null = null): Promise<FeedEvent[]> {
    const events: FeedEvent[] = [];
    for (;;) {
      const response = await service.graphql(FEED, { id: organisationId, after, first: 100 }, token);
      expect(response.errors).toBeUndefined();
      const page = response.data.organisation.events;
      events.push(...page.edges.map((edge: { node: FeedEvent }) => edge.node));
      if (!page.pageInfo.hasNextPage) return events;
      after = page.pageInfo.endCursor;
    }
  }

  const lastSequence = async (organisationId: string): Promise<string> => {
    const [row] = await sql('SELECT coalesce(max(sequence), 0)::text AS last FROM events WHERE organisation_id = $1', [organisationId]);
    return row.last;
  };

  /** Runs `work` and answers the events it added to the organisation's feed. */
  async function eventsOf(target: TestOrganisation, work: () => Promise<unknown>): Promise<FeedEvent[]> {
    const after = await lastSequence(target.id);
    await work();
    return feed(target.id, target.owner.token, after);
  }

  /** Runs a contract mutation as `token` with a request id of its own, expecting success. */
  async function run(operation: string, variables: Record<string, unknown>, token: string, requestId = randomUUID()) {
    const response = await service.graphql(contractOperation(operation), variables, token, { 'x-request-id': requestId });
    expect(response.errors).toBeUndefined();
    return response.data;
  }

  describe('every mutation of the contract emits its events, exactly as listed', () => {
    it('organisations: created (with the Owner’s membership) and updated', async () => {
      const owner = await signIn(service);
      const slug = `events-${randomUUID().slice(0, 8)}`;
      const requestId = randomUUID();
      const created = await run('CreateOrganisation', { input: { name: 'Eventful', slug, ownerEmail: owner.email } }, admin.token, requestId);
      const target: TestOrganisation = { id: created.createOrganisation.id, slug, owner };
      const events = await feed(target.id, owner.token);
      expect(events.map((event) => [event.sequence, event.type])).toEqual([
        [1, 'organisation.created'],
        [2, 'membership.created'],
      ]);
      expect(events[0]).toMatchObject({
        subject: `organisations/${target.id}`,
        organisationId: target.id,
        data: { organisationId: target.id, name: 'Eventful', slug, ownerUserId: owner.userId, ownerEmail: owner.email, actor: { userId: admin.userId }, requestId },
      });
      expect(events[1].data).toMatchObject({ userId: owner.userId, status: 'ACTIVE', via: 'organisation-created', roleIds: [await roleId(target.id, 'owner')] });

      const updated = await eventsOf(target, () => run('UpdateOrganisation', { id: target.id, input: { name: 'Eventful Ltd', requireApproval: true } }, owner.token));
      expect(updated).toEqual([
        expect.objectContaining({ sequence: 3, type: 'organisation.updated', data: expect.objectContaining({ before: { name: 'Eventful', requireApproval: false }, after: { name: 'Eventful Ltd', requireApproval: true } }) }),
      ]);
    });

    it('members: approved, deactivated, reactivated, removed; roles changed one event per member (bulk too)', async () => {
      const pending = await memberWith(service, organisation.id, ['member'], { status: 'PENDING_APPROVAL' as never });
      const token = organisation.owner.token;
      const lifecycle = await eventsOf(organisation, async () => {
        await run('ApproveMember', { membershipId: pending.membershipId }, token);
        await run('DeactivateMember', { membershipId: pending.membershipId }, token);
        await run('ReactivateMember', { membershipId: pending.membershipId }, token);
        await run('RemoveMember', { membershipId: pending.membershipId }, token);
      });
      expect(lifecycle.map((event) => [event.type, event.subject, event.data.before?.status, event.data.after?.status])).toEqual([
        ['membership.approved', `memberships/${pending.membershipId}`, 'PENDING_APPROVAL', 'ACTIVE'],
        ['membership.deactivated', `memberships/${pending.membershipId}`, 'ACTIVE', 'DEACTIVATED'],
        ['membership.reactivated', `memberships/${pending.membershipId}`, 'DEACTIVATED', 'ACTIVE'],
        ['membership.removed', `memberships/${pending.membershipId}`, undefined, undefined],
      ]);
      expect(lifecycle.every((event) => event.data.userId === pending.userId && event.data.actor.userId === organisation.owner.userId)).toBe(true);
      // Asking again for the state a member is in changes nothing, and publishes nothing.
      const idle = await memberWith(service, organisation.id, ['member']);
      expect(await eventsOf(organisation, () => run('ReactivateMember', { membershipId: idle.membershipId }, token))).toEqual([]);

      const [viewer, member] = [await roleId(organisation.id, 'viewer'), await roleId(organisation.id, 'member')];
      const first = await memberWith(service, organisation.id, ['member']);
      const second = await memberWith(service, organisation.id, ['viewer']);
      const unchanged = await memberWith(service, organisation.id, ['viewer', 'member']);
      const assigned = await eventsOf(organisation, () =>
        run('AssignRoles', { input: { organisationId: organisation.id, membershipIds: [first.membershipId, second.membershipId, unchanged.membershipId], roleIds: [viewer], mode: 'ADD' } }, token),
      );
      expect(assigned.map((event) => [event.type, event.data.membershipId, event.data.before.roleIds, event.data.after.roleIds])).toEqual([
        ['membership.roles_changed', first.membershipId, [member], [member, viewer].sort()],
      ]);
      const replaced = await eventsOf(organisation, () =>
        run('AssignRoles', { input: { organisationId: organisation.id, membershipIds: [first.membershipId, second.membershipId, unchanged.membershipId], roleIds: [member], mode: 'REPLACE' } }, token),
      );
      expect(replaced.map((event) => [event.data.membershipId, event.data.before.roleIds, event.data.after.roleIds, event.data.added, event.data.removed])).toEqual([
        [first.membershipId, [member, viewer].sort(), [member], [], [viewer]],
        [second.membershipId, [viewer], [member], [member], [viewer]],
        [unchanged.membershipId, [member, viewer].sort(), [member], [], [viewer]],
      ]);
    });

    it('imports: a membership per new member, roles changed per existing member, a team place per team', async () => {
      const token = organisation.owner.token;
      const team = (await run('CreateTeam', { input: { organisationId: organisation.id, name: `Import ${randomUUID().slice(0, 6)}` } }, token)).createTeam;
      const existing = await memberWith(service, organisation.id, ['viewer']);
      const newcomer = `newcomer-${randomUUID().slice(0, 8)}@example.com`;
      const csv = `email,name,initial_roles,teams\n${newcomer},New Comer,Member,${team.name}\n${existing.email},Existing,"Viewer,Manager",`;
      const events = await eventsOf(organisation, () => run('ImportMembers', { input: { organisationId: organisation.id, csv, dryRun: false } }, token));
      const [viewer, member, manager] = [await roleId(organisation.id, 'viewer'), await roleId(organisation.id, 'member'), await roleId(organisation.id, 'manager')];
      expect(events.map((event) => event.type)).toEqual(['membership.created', 'membership.roles_changed', 'team.member_added']);
      const [created, changed, placed] = events;
      expect(created.data).toMatchObject({ via: 'import', status: 'ACTIVE', roleIds: [member] });
      expect(changed.data).toMatchObject({ membershipId: existing.membershipId, before: { roleIds: [viewer] }, after: { roleIds: [manager, viewer].sort() }, added: [manager] });
      expect(placed).toMatchObject({ subject: `teams/${team.id}`, data: { teamId: team.id, membershipId: created.data.membershipId, role: 'MEMBER' } });
      // A dry run publishes nothing.
      expect(await eventsOf(organisation, () => run('ImportMembers', { input: { organisationId: organisation.id, csv: `email,name,initial_roles\nx-${randomUUID()}@example.com,X,`, dryRun: true } }, token))).toEqual([]);
    });

    it('teams: created, updated, member added / role changed / removed, roles changed, deleted', async () => {
      const token = organisation.owner.token;
      const member = await memberWith(service, organisation.id, ['member']);
      const viewer = await roleId(organisation.id, 'viewer');
      let teamId = '';
      const events = await eventsOf(organisation, async () => {
        teamId = (await run('CreateTeam', { input: { organisationId: organisation.id, name: 'Squad', description: 'first' } }, token)).createTeam.id;
        await run('UpdateTeam', { id: teamId, input: { description: 'second' } }, token);
        await run('AddTeamMember', { input: { teamId, membershipId: member.membershipId, role: 'MEMBER' } }, token);
        await run('SetTeamMemberRole', { input: { teamId, membershipId: member.membershipId, role: 'MANAGER' } }, token);
        await run('SetTeamRoles', { teamId, roleIds: [viewer] }, token);
        await run('SetTeamRoles', { teamId, roleIds: [viewer] }, token); // no change: no event
        await run('RemoveTeamMember', { teamId, membershipId: member.membershipId }, token);
        await run('AddTeamMember', { input: { teamId, membershipId: member.membershipId, role: 'MEMBER' } }, token);
        await run('DeleteTeam', { id: teamId }, token);
      });
      expect(events.map((event) => event.type)).toEqual([
        'team.created',
        'team.updated',
        'team.member_added',
        'team.member_role_changed',
        'team.roles_changed',
        'team.member_removed',
        'team.member_added',
        'team.deleted',
      ]);
      expect(events.every((event) => event.subject === `teams/${teamId}` && event.data.teamId === teamId)).toBe(true);
      expect(events[1].data).toMatchObject({ before: { description: 'first' }, after: { description: 'second' } });
      expect(events[3].data).toMatchObject({ membershipId: member.membershipId, before: { role: 'MEMBER' }, after: { role: 'MANAGER' } });
      expect(events[4].data).toMatchObject({ before: { roleIds: [] }, after: { roleIds: [viewer] }, added: [viewer], removed: [] });
      expect(events[7].data).toMatchObject({ name: 'Squad', membershipIds: [member.membershipId], grantedRoleIds: [viewer] });
    });

    it('roles: created, updated and deleted with the effective-permission delta per member (as previewRoleChange computes it)', async () => {
      const token = organisation.owner.token;
      const holder = await memberWith(service, organisation.id, ['viewer']);
      const unaffected = await memberWith(service, organisation.id, ['admin']);
      let roleIdCreated = '';
      const created = await eventsOf(organisation, async () => {
        roleIdCreated = (await run('CreateRole', { input: { organisationId: organisation.id, name: 'Auditor', permissions: ['audit:read'] } }, token)).createRole.id;
      });
      expect(created).toEqual([expect.objectContaining({ type: 'role.created', subject: `roles/${roleIdCreated}`, data: expect.objectContaining({ name: 'Auditor', permissions: ['audit:read'] }) })]);
      await run('AssignRoles', { input: { organisationId: organisation.id, membershipIds: [holder.membershipId, unaffected.membershipId], roleIds: [roleIdCreated], mode: 'ADD' } }, token);

      const proposal = ['access:review', 'events:read'];
      const preview = (await run('PreviewRoleChange', { roleId: roleIdCreated, permissions: proposal }, token)).previewRoleChange;
      const updated = await eventsOf(organisation, () => run('UpdateRole', { id: roleIdCreated, input: { permissions: proposal } }, token));
      expect(updated).toHaveLength(1);
      expect(updated[0]).toMatchObject({ type: 'role.updated', data: { before: { permissions: ['audit:read'] }, after: { permissions: proposal } } });
      const fromPreview = preview.affected
        .filter((entry: { gained: string[]; lost: string[] }) => entry.gained.length + entry.lost.length > 0)
        .map((entry: { membership: { id: string }; gained: string[]; lost: string[] }) => ({ membershipId: entry.membership.id, gained: entry.gained, lost: entry.lost }));
      expect(updated[0].data.affectedMembers.map(({ membershipId, gained, lost }: any) => ({ membershipId, gained, lost }))).toEqual(fromPreview);
      expect(updated[0].data.affectedMembers).toEqual([
        { membershipId: holder.membershipId, userId: holder.userId, gained: ['access:review', 'events:read', 'roles:read'], lost: ['audit:read'] },
      ]);

      const deleted = await eventsOf(organisation, () => run('DeleteRole', { id: roleIdCreated }, token));
      expect(deleted).toEqual([
        expect.objectContaining({
          type: 'role.deleted',
          data: expect.objectContaining({ name: 'Auditor', affectedMembers: [{ membershipId: holder.membershipId, userId: holder.userId, gained: [], lost: ['access:review', 'events:read', 'roles:read'] }] }),
        }),
      ]);
    });

    it('invitations: created, resent, cancelled, accepted (with membership and team place), expired once', async () => {
      const token = organisation.owner.token;
      const team = (await run('CreateTeam', { input: { organisationId: organisation.id, name: `Invited ${randomUUID().slice(0, 6)}` } }, token)).createTeam;
      const email = `invitee-${randomUUID().slice(0, 8)}@example.com`;
      let invitationId = '';
      let acceptToken = '';
      const offered = await eventsOf(organisation, async () => {
        const invited = (await run('InviteUser', { input: { organisationId: organisation.id, email, teamIds: [team.id] } }, token)).inviteUser;
        invitationId = invited.invitation.id;
        await run('ResendInvitation', { id: invitationId }, token);
        acceptToken = (await run('ResendInvitation', { id: invitationId }, token)).resendInvitation.token;
      });
      expect(offered.map((event) => event.type)).toEqual(['invitation.created', 'invitation.resent', 'invitation.resent']);
      expect(offered[0].data).toMatchObject({ invitationId, email, teamIds: [team.id] });
      expect(offered[1].data).toMatchObject({ before: { expiresAt: expect.any(String) }, after: { expiresAt: expect.any(String) } });

      const invitee = await signIn(service, { email, emailVerified: true });
      const accepted = await eventsOf(organisation, () => run('AcceptInvitation', { token: acceptToken }, invitee.token));
      expect(accepted.map((event) => event.type)).toEqual(['membership.created', 'invitation.accepted', 'team.member_added']);
      const membershipId = accepted[0].data.membershipId;
      expect(accepted[0].data).toMatchObject({ userId: invitee.userId, via: 'invitation', actor: { userId: invitee.userId } });
      expect(accepted[1].data).toMatchObject({ invitationId, membershipId, userId: invitee.userId });
      expect(accepted[2].data).toMatchObject({ teamId: team.id, membershipId, via: 'invitation' });

      const cancelledEmail = `cancelled-${randomUUID().slice(0, 8)}@example.com`;
      const cancelled = await eventsOf(organisation, async () => {
        const id = (await run('InviteUser', { input: { organisationId: organisation.id, email: cancelledEmail } }, token)).inviteUser.invitation.id;
        await run('CancelInvitation', { id }, token);
      });
      expect(cancelled.map((event) => [event.type, event.data.email])).toEqual([
        ['invitation.created', cancelledEmail],
        ['invitation.cancelled', cancelledEmail],
      ]);

      // Expiry: nothing notices it but the sweeper, which announces it once, however often or concurrently it runs.
      const lapsing = (await run('InviteUser', { input: { organisationId: organisation.id, email: `lapsing-${randomUUID().slice(0, 8)}@example.com` } }, token)).inviteUser.invitation.id;
      await sql(`UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1`, [lapsing]);
      const sweepers = [1, 2, 3].map(() => new EventSweeper(service.database.dataSource, { intervalMs: 0, retentionDays: 30 }));
      const expired = await eventsOf(organisation, async () => {
        const results = await Promise.all(sweepers.map((sweeper) => sweeper.announceExpiredInvitations()));
        expect(results.reduce((sum, count) => sum + count, 0)).toBe(1);
        expect(await sweepers[0].announceExpiredInvitations()).toBe(0);
      });
      expect(expired).toEqual([expect.objectContaining({ type: 'invitation.expired', subject: `invitations/${lapsing}`, data: expect.objectContaining({ invitationId: lapsing, actor: null }) })]);
      // Resent, it can expire again: a new expiry, announced again.
      await run('ResendInvitation', { id: lapsing }, token);
      await sql(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [lapsing]);
      expect(await sweepers[1].announceExpiredInvitations()).toBe(1);
    });

    it('users: first sign-in and linking (user.signed_in), profile changes (user.updated), in the platform stream', async () => {
      const platformAfter = async () => {
        const [row] = await sql(`SELECT coalesce(max(sequence), 0)::text AS last FROM events WHERE organisation_id IS NULL`);
        return row.last;
      };
      const userEvents = async (after: string) =>
        (await sql(`SELECT type, subject, data, sequence::int AS sequence FROM events WHERE organisation_id IS NULL AND sequence > $1 ORDER BY sequence`, [after])) as {
          type: string;
          subject: string;
          data: Record<string, any>;
          sequence: number;
        }[];
      let after = await platformAfter();
      const fresh = await signIn(service, { name: 'First Timer' });
      let events = await userEvents(after);
      expect(events.map((event) => [event.type, event.subject, event.data.firstSignIn, event.data.linkedPlaceholder])).toEqual([
        ['user.signed_in', `users/${fresh.userId}`, true, false],
      ]);
      expect(events[0].sequence).toBe(Number(after) + 1);
      // A later sign-in is not an event; a new name is.
      after = await platformAfter();
      await service.graphql('{ viewer { user { id } } }', {}, fresh.token);
      await service.graphql('{ viewer { user { id } } }', {}, await service.token({ subject: fresh.subject, email: fresh.email, name: 'Renamed Person' }));
      events = await userEvents(after);
      expect(events.map((event) => [event.type, event.data.before, event.data.after])).toEqual([
        ['user.updated', { displayName: 'First Timer' }, { displayName: 'Renamed Person' }],
      ]);
      // A placeholder (made by an invitation) linked at the person's first verified sign-in.
      const email = `placeholder-${randomUUID().slice(0, 8)}@example.com`;
      await run('InviteUser', { input: { organisationId: organisation.id, email } }, organisation.owner.token);
      after = await platformAfter();
      const linked = await signIn(service, { email, emailVerified: true });
      events = await userEvents(after);
      expect(events.map((event) => [event.type, event.data.userId, event.data.linkedPlaceholder])).toEqual([['user.signed_in', linked.userId, true]]);
    });
  });

  describe('transactions', () => {
    it('a rolled-back mutation emits nothing and leaves no gap in the sequence', async () => {
      const token = organisation.owner.token;
      const owner = await sql('SELECT id FROM memberships WHERE organisation_id = $1 AND user_id = $2', [organisation.id, organisation.owner.userId]);
      const before = await lastSequence(organisation.id);
      await expectNothingWritten(service.database.dataSource, async () => {
        // The last Owner: refused after the change was made in the transaction (and its event buffered).
        expect(errorCodes(await service.graphql(contractOperation('RemoveMember'), { membershipId: owner[0].id }, token))).toEqual(['CONFLICT']);
        expect(errorCodes(await service.graphql(contractOperation('DeactivateMember'), { membershipId: owner[0].id }, token))).toEqual(['CONFLICT']);
        const csv = `email,name,initial_roles\nok-${randomUUID().slice(0, 6)}@example.com,Ok,\nbroken,Broken,`;
        const report = await service.graphql(contractOperation('ImportMembers'), { input: { organisationId: organisation.id, csv, dryRun: false } }, token);
        expect(report.data.importMembers.created).toBe(0);
      });
      // An error thrown after the events were emitted in the same transaction.
      await expect(
        runTransaction(service.database.dataSource, async (manager) => {
          emitEvent(manager, null, { organisationId: organisation.id, type: 'team.created', objectId: randomUUID(), data: {} });
          await manager.query('SELECT 1');
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(await lastSequence(organisation.id)).toBe(before);
      const next = await eventsOf(organisation, () => run('CreateTeam', { input: { organisationId: organisation.id, name: `After ${randomUUID().slice(0, 6)}` } }, token));
      expect(next.map((event) => event.sequence)).toEqual([Number(before) + 1]);
    });

    it('numbers committed events without gaps, in commit order, under concurrent writers (some rolling back)', async () => {
      const target = await createOrganisation(service, admin);
      const writers = Array.from({ length: 24 }, (_unused, index) =>
        runTransaction(service.database.dataSource, async (manager) => {
          emitEvent(manager, null, { organisationId: target.id, type: 'team.created', objectId: randomUUID(), data: { index } });
          emitEvent(manager, null, { organisationId: target.id, type: 'team.updated', objectId: randomUUID(), data: { index } });
          await manager.query('SELECT pg_sleep(0.01)');
          if (index % 5 === 0) throw new Error('rolled back');
          return index;
        }).catch(() => null),
      );
      const committed = (await Promise.all(writers)).filter((index) => index !== null);
      const events = await feed(target.id, target.owner.token);
      expect(events.map((event) => event.sequence)).toEqual(Array.from({ length: events.length }, (_unused, index) => index + 1));
      expect(events.length).toBe(2 + committed.length * 2); // organisation.created, membership.created, then two per writer
      // A transaction's events are contiguous (its counter row was locked from its first number to its commit).
      for (let index = 2; index < events.length; index += 2) expect(events[index].data.index).toBe(events[index + 1].data.index);
    });
  });

  describe('the organisation feed', () => {
    it('pages by sequence (cursor = sequence), filters by type, and counts only when asked', async () => {
      const token = organisation.owner.token;
      const all = await feed(organisation.id, token);
      expect(all.length).toBeGreaterThan(10);
      const first = await service.graphql(FEED, { id: organisation.id, first: 3 }, token);
      const page = first.data.organisation.events;
      expect(page.edges.map((edge: any) => edge.cursor)).toEqual(['1', '2', '3']);
      const second = await service.graphql(FEED, { id: organisation.id, first: 3, after: page.pageInfo.endCursor }, token);
      expect(second.data.organisation.events.edges.map((edge: any) => edge.node.sequence)).toEqual([4, 5, 6]);
      const onlyTeams = await service.graphql(FEED, { id: organisation.id, first: 100, types: ['team.created', 'team.deleted'] }, token);
      const types = onlyTeams.data.organisation.events.edges.map((edge: any) => edge.node.type);
      expect(new Set(types)).toEqual(new Set(['team.created', 'team.deleted']));
      expect(onlyTeams.data.organisation.events.totalCount).toBe(all.filter((event) => ['team.created', 'team.deleted'].includes(event.type)).length);
      // Organisations' feeds do not mix.
      const others = await feed(other.id, other.owner.token);
      expect(others.every((event) => event.organisationId === other.id)).toBe(true);
      expect(others.map((event) => event.sequence)).toEqual([1, 2]);
    });

    it('refuses bad input with BAD_USER_INPUT', async () => {
      const token = organisation.owner.token;
      for (const variables of [{ after: 'abc' }, { after: '-1' }, { after: '1e3' }, { after: '99999999999999999999' }, { first: 101 }, { first: -1 }, { types: ['membership.nope'] }, { types: ['%'] }]) {
        const response = await service.graphql(FEED, { id: organisation.id, ...variables }, token);
        expect([variables, errorCodes(response)]).toEqual([variables, ['BAD_USER_INPUT']]);
      }
      for (const variables of [{ after: 'x.y' }, { types: ['nope'] }, { organisationId: 'not-an-id' }]) {
        expect(errorCodes(await service.graphql(PLATFORM_FEED, variables, admin.token))).toEqual(['BAD_USER_INPUT']);
      }
    });

    it('needs events:read in the organisation; other organisations, _entities and platform administrators see nothing', async () => {
      const manager = await memberWith(service, organisation.id, ['manager']);
      const denied = await service.graphql(FEED, { id: organisation.id }, manager.token);
      expect(errorCodes(denied)).toEqual(['FORBIDDEN']);
      expect(denied.data.organisation.events).toBeNull();
      // Another organisation's Owner: the organisation is not there at all.
      const foreign = await service.graphql(FEED, { id: organisation.id }, other.owner.token);
      expect(foreign.data.organisation).toBeNull();
      // Through federation, by reference.
      const entities = await service.graphql(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on Organisation { id events(first: 5) { edges { node { id type } } } } } }',
        { r: [{ __typename: 'Organisation', id: organisation.id }] },
        other.owner.token,
      );
      expect(entities.data?._entities ?? [null]).toEqual([null]);
      // A platform administrator who is not a member sees the organisation's name, not its events.
      const platform = await service.graphql(FEED, { id: organisation.id }, admin.token);
      expect(errorCodes(platform)).toEqual(['FORBIDDEN']);
      expect(platform.data.organisation.events).toBeNull();
      // Nor the platform feed without being a platform administrator.
      expect(errorCodes(await service.graphql(PLATFORM_FEED, {}, organisation.owner.token))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await service.graphql(PLATFORM_FEED, {}, null))).toEqual(['UNAUTHENTICATED']);
    });

    it('hides email addresses from readers without members:read-contact', async () => {
      const role = (await run('CreateRole', { input: { organisationId: organisation.id, name: `Event reader ${randomUUID().slice(0, 4)}`, permissions: ['events:read'] } }, organisation.owner.token)).createRole;
      const reader = await signIn(service);
      await addMember(service, organisation.id, reader.userId, { roleIds: [role.id] });
      const email = `hidden-${randomUUID().slice(0, 8)}@example.com`;
      await run('InviteUser', { input: { organisationId: organisation.id, email } }, organisation.owner.token);
      const seen = async (token: string) => (await feed(organisation.id, token)).filter((event) => event.type === 'invitation.created').pop()?.data.email;
      expect(await seen(organisation.owner.token)).toBe(email);
      expect(await seen(reader.token)).toBe('[email hidden]');
      const platform = await service.graphql(PLATFORM_FEED, { organisationId: organisation.id, types: ['invitation.created'], first: 100 }, admin.token);
      expect(platform.data.platformEvents.edges.map((edge: any) => edge.node.data.email)).not.toContain(email);
    });

    it('deletes events past EVENT_RETENTION_DAYS; the sequence goes on', async () => {
      const target = await createOrganisation(service, admin);
      await sql(`UPDATE events SET time = now() - interval '31 days' WHERE organisation_id = $1`, [target.id]);
      const sweeper = new EventSweeper(service.database.dataSource, { intervalMs: 0, retentionDays: 30, batchSize: 1 });
      expect(await sweeper.deleteExpiredEvents()).toBeGreaterThanOrEqual(2);
      expect(await feed(target.id, target.owner.token)).toEqual([]);
      await run('CreateTeam', { input: { organisationId: target.id, name: 'After retention' } }, target.owner.token);
      expect((await feed(target.id, target.owner.token)).map((event) => event.sequence)).toEqual([3]);
    });
  });

  describe('the platform feed', () => {
    it('lists every organisation’s events and the users’ in commit order, never behind a cursor already handed out', async () => {
      // Read the feed to its end, until it holds the newest event written so far (events of transactions
      // younger than one still running anywhere on this shared server appear only once it ends).
      const [{ id: newest }] = await sql('SELECT id FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1');
      const all: any[] = [];
      let after: string | null = null;
      for (const deadline = Date.now() + 120_000; !all.some((event) => event.id === newest) && Date.now() < deadline; ) {
        const response: any = await service.graphql(PLATFORM_FEED, { after, first: 100 }, admin.token);
        expect(response.errors).toBeUndefined();
        all.push(...response.data.platformEvents.edges.map((edge: any) => edge.node));
        after = response.data.platformEvents.pageInfo.endCursor ?? after;
        if (!response.data.platformEvents.pageInfo.hasNextPage) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(all.map((event) => event.id)).toContain(newest);
      expect(new Set(all.map((event) => event.id)).size).toBe(all.length); // nothing listed twice
      const organisations = new Set(all.map((event) => event.organisationId));
      expect(organisations.has(organisation.id) && organisations.has(other.id) && organisations.has(null)).toBe(true);

      // A transaction that began writing earlier and commits later is listed before, never skipped.
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started: () => void = () => undefined;
      const begun = new Promise<void>((resolve) => {
        started = resolve;
      });
      const slow = runTransaction(service.database.dataSource, async (manager) => {
        await manager.query('SELECT pg_current_xact_id()'); // takes its transaction id now
        started();
        await gate;
        emitEvent(manager, null, { organisationId: other.id, type: 'team.created', objectId: randomUUID(), data: { slow: true } });
      });
      await begun;
      await run('CreateTeam', { input: { organisationId: organisation.id, name: `Fast ${randomUUID().slice(0, 6)}` } }, organisation.owner.token);
      const whileOpen = await service.graphql(PLATFORM_FEED, { after, first: 100 }, admin.token);
      expect(whileOpen.data.platformEvents.edges).toEqual([]); // the fast one waits behind the open (older) transaction
      release();
      await slow;
      // Visible once no older transaction is running in the cluster (other suites share this server: wait for theirs).
      let listed: [string, boolean][] = [];
      for (const deadline = Date.now() + 120_000; listed.length < 2 && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
        const afterwards = await service.graphql(PLATFORM_FEED, { after, first: 100 }, admin.token);
        listed = afterwards.data.platformEvents.edges.map((edge: any) => [edge.node.type, edge.node.data.slow ?? false]);
      }
      expect(listed).toEqual([
        ['team.created', true],
        ['team.created', false],
      ]);
    });
  });

  describe('statements', () => {
    it('writes a transaction’s events in one statement, whatever their number', async () => {
      const target = await createOrganisation(service, admin);
      const viewer = await roleId(target.id, 'viewer');
      const members = await Promise.all(Array.from({ length: 20 }, () => signIn(service)));
      const membershipIds = await Promise.all(members.map((member) => addMember(service, target.id, member.userId, { builtInRoles: ['member'] })));
      const assign = contractOperation('AssignRoles');
      const measure = async (ids: string[]) => {
        const { response, count, statements } = await service.countStatements(assign, { input: { organisationId: target.id, membershipIds: ids, roleIds: [viewer], mode: 'ADD' } }, target.owner.token);
        expect(response.errors).toBeUndefined();
        expect(statements.filter((statement) => statement.includes('INSERT INTO events')).length).toBe(1);
        return count;
      };
      const two = await measure(membershipIds.slice(0, 2));
      const eighteen = await measure(membershipIds.slice(2));
      expect(eighteen).toBe(two);
      const events = await feed(target.id, target.owner.token);
      expect(events.filter((event) => event.type === 'membership.roles_changed')).toHaveLength(20);
    });
  });
});
