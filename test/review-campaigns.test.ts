import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { ReviewCampaignSweeper } from '../src/campaigns/review-campaign.sweeper';
import { MembershipStatus } from '../src/memberships/membership-status';
import { contractOperation } from './support/contract';
import { addMember, createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { expectNothingWritten } from './support/nothing-written';
import { seedMembers } from './support/seed';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

type Member = SignedInUser & { membershipId: string };

const CREATE = `mutation($input: CreateReviewCampaignInput!) {
  createReviewCampaign(input: $input) {
    id name status dueAt defaultDecision recurrenceMonths closedAt
    scope { kind roles { id } teams { id } } reviewer { id } progress { total decided kept revoked }
  }
}`;
const DECIDE = `mutation($id: ID!, $decision: ReviewDecision!, $comment: String) {
  decideReviewItem(id: $id, decision: $decision, comment: $comment) { id decision comment decidedAt outcome outcomeReason decidedBy { id } }
}`;
const CLOSE = `mutation($id: ID!) { closeReviewCampaign(id: $id) { id status closedAt progress { total decided kept revoked } } }`;
const ITEM_FIELDS = `id kind grantName effectivePermissions lastSignInAt decision comment decidedAt outcome outcomeReason
  member { id } user { id displayName } role { id name } team { id name } reviewer { id } decidedBy { id }`;
const CAMPAIGN = `query($id: ID!, $decided: Boolean, $first: Int, $after: String) {
  reviewCampaign(id: $id) {
    id name status closedAt progress { total decided kept revoked }
    items(first: $first, after: $after, decided: $decided) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${ITEM_FIELDS} } } }
  }
}`;
const CAMPAIGNS = `query($organisationId: ID!) {
  organisation(id: $organisationId) {
    reviewCampaigns(first: 5) {
      totalCount
      edges { node { id name status progress { total decided kept revoked } items(first: 20) { totalCount edges { node { id team { id } } } } } }
    }
  }
}`;
const ENTITIES = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on ReviewCampaign { id name } } }`;
const ASSIGN_ROLES = contractOperation('AssignRoles');
const CREATE_TEAM = contractOperation('CreateTeam');
const ADD_TEAM_MEMBER = contractOperation('AddTeamMember');
const SET_TEAM_ROLES = contractOperation('SetTeamRoles');
const CREATE_ROLE = contractOperation('CreateRole');
const ACCESS_REVIEW = contractOperation('AccessReview');

const DAY = 86_400_000;
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

/** One organisation with a cast: an Owner, an Admin, an auditor (access:review only), a team with its lead and two developers. */
interface World {
  org: TestOrganisation;
  owner: Member;
  admin: Member;
  auditor: Member;
  lead: Member;
  dev1: Member;
  dev2: Member;
  team: string;
  roles: Record<'owner' | 'admin' | 'member' | 'viewer' | 'auditor' | 'deployer', string>;
}

interface Item {
  id: string;
  kind: 'ROLE' | 'TEAM_PLACE';
  grantName: string;
  effectivePermissions: string[];
  lastSignInAt: string | null;
  decision: string | null;
  comment: string | null;
  decidedAt: string | null;
  outcome: string;
  outcomeReason: string | null;
  member: { id: string } | null;
  user: { id: string; displayName: string } | null;
  role: { id: string; name: string } | null;
  team: { id: string; name: string } | null;
  reviewer: { id: string } | null;
  decidedBy: { id: string } | null;
}

describe('access-review campaigns', () => {
  let service: TestService;
  let admin: SignedInUser;
  let other: TestOrganisation;
  let otherMember: Member;

  const sql = (text: string, parameters: unknown[] = []) => service.database.dataSource.query(text, parameters);
  const ok = <T = any>(response: GraphQLResponse<T>): T => {
    expect(response.errors).toBeUndefined();
    return response.data as T;
  };
  const unique = () => randomBytes(3).toString('hex');
  const builtIn = async (organisationId: string, key: string) => (await sql('SELECT id FROM roles WHERE organisation_id = $1 AND built_in_key = $2', [organisationId, key]))[0].id as string;
  const membershipOf = async (organisationId: string, userId: string) => (await sql('SELECT id FROM memberships WHERE organisation_id = $1 AND user_id = $2', [organisationId, userId]))[0].id as string;
  const createRole = async (org: TestOrganisation, name: string, permissions: string[]) =>
    ok(await service.graphql(CREATE_ROLE, { input: { organisationId: org.id, name, description: '', permissions } }, org.owner.token)).createRole.id as string;
  const memberWithRole = async (org: TestOrganisation, roleId: string, name: string): Promise<Member> => {
    const user = await signIn(service, { name });
    return { ...user, membershipId: await addMember(service, org.id, user.userId, { roleIds: [roleId] }) };
  };
  const addToTeam = async (org: TestOrganisation, teamId: string, membershipId: string, role: 'MANAGER' | 'MEMBER') =>
    ok(await service.graphql(ADD_TEAM_MEMBER, { input: { teamId, membershipId, role } }, org.owner.token));
  const hasRole = async (membershipId: string, roleId: string) => (await sql('SELECT 1 FROM membership_roles WHERE membership_id = $1 AND role_id = $2', [membershipId, roleId])).length > 0;
  const inTeam = async (membershipId: string, teamId: string) => (await sql('SELECT 1 FROM team_members WHERE membership_id = $1 AND team_id = $2', [membershipId, teamId])).length > 0;
  const activeOwners = async (organisationId: string) =>
    Number(
      (
        await sql(
          `SELECT count(*) AS n FROM memberships m JOIN membership_roles mr ON mr.membership_id = m.id JOIN roles r ON r.id = mr.role_id
           WHERE m.organisation_id = $1 AND m.status = 'ACTIVE' AND r.built_in_key = 'owner'`,
          [organisationId],
        )
      )[0].n,
    );

  async function world(): Promise<World> {
    const org = await createOrganisation(service, admin, await signIn(service, { name: 'Olive Owner' }));
    const owner = { ...org.owner, membershipId: await membershipOf(org.id, org.owner.userId) };
    const roles = {
      owner: await builtIn(org.id, 'owner'),
      admin: await builtIn(org.id, 'admin'),
      member: await builtIn(org.id, 'member'),
      viewer: await builtIn(org.id, 'viewer'),
      auditor: await createRole(org, 'Auditor', ['access:review']),
      deployer: await createRole(org, 'Deployer', ['audit:read']),
    };
    const adminMember = await memberWith(service, org.id, ['admin'], { name: 'Ada Admin' });
    const auditor = await memberWithRole(org, roles.auditor, 'Aud Auditor');
    const lead = await memberWith(service, org.id, ['member'], { name: 'Lea Lead' });
    const dev1 = await memberWith(service, org.id, ['member'], { name: 'Dev One' });
    const dev2 = await memberWith(service, org.id, ['viewer'], { name: 'Dev Two' });
    const team = ok(await service.graphql(CREATE_TEAM, { input: { organisationId: org.id, name: 'Platform', description: '' } }, org.owner.token)).createTeam.id as string;
    ok(await service.graphql(SET_TEAM_ROLES, { teamId: team, roleIds: [roles.deployer] }, org.owner.token));
    await addToTeam(org, team, lead.membershipId, 'MANAGER');
    await addToTeam(org, team, dev1.membershipId, 'MEMBER');
    await addToTeam(org, team, dev2.membershipId, 'MEMBER');
    return { org, owner, admin: adminMember, auditor, lead, dev1, dev2, team, roles };
  }

  const campaignInput = (w: World, overrides: Record<string, unknown> = {}) => ({
    organisationId: w.org.id,
    name: `Quarterly review ${unique()}`,
    scope: { kind: 'ALL' },
    dueAt: inDays(14),
    ...overrides,
  });
  const create = async (w: World, overrides: Record<string, unknown> = {}, token = w.owner.token) =>
    ok(await service.graphql(CREATE, { input: campaignInput(w, overrides) }, token)).createReviewCampaign;
  const itemsOf = async (campaignId: string, token: string, decided?: boolean): Promise<Item[]> => {
    const items: Item[] = [];
    let after: string | null = null;
    do {
      const data: any = ok(await service.graphql(CAMPAIGN, { id: campaignId, decided, first: 100, after }, token));
      items.push(...data.reviewCampaign.items.edges.map((edge: { node: Item }) => edge.node));
      after = data.reviewCampaign.items.pageInfo.hasNextPage ? data.reviewCampaign.items.pageInfo.endCursor : null;
    } while (after);
    return items;
  };
  const itemOf = (items: Item[], member: Member, grantName: string): Item => {
    const found = items.find((item) => item.member?.id === member.membershipId && item.grantName === grantName);
    if (!found) throw new Error(`no item for ${member.membershipId} × ${grantName}`);
    return found;
  };
  const decide = (itemId: string, decision: 'KEEP' | 'REVOKE', token: string, comment?: string) => service.graphql(DECIDE, { id: itemId, decision, comment }, token);
  const auditActions = async (organisationId: string, prefix: string) =>
    (await sql(`SELECT action, details, target_id FROM audit_events WHERE organisation_id = $1 AND action LIKE $2 ORDER BY occurred_at, id`, [organisationId, `${prefix}%`])) as { action: string; details: any; target_id: string | null }[];
  const eventTypes = async (organisationId: string) =>
    ((await sql(`SELECT type FROM events WHERE organisation_id = $1 ORDER BY sequence`, [organisationId])) as { type: string }[]).map((row) => row.type);
  const sweeper = () => new ReviewCampaignSweeper(service.database.dataSource, service.service.services.reviewCampaignCloser, { intervalMs: 0 });
  const report = (campaignId: string, token: string | null) =>
    fetch(service.url.replace(/\/graphql$/, `/reports/review-campaigns/${campaignId}.csv`), { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
    other = await createOrganisation(service, admin);
    otherMember = await memberWith(service, other.id, ['admin']);
  });
  afterAll(() => service.stop());

  describe('creating a campaign', () => {
    it('snapshots every grant in scope ALL: member × role and member × team place, with reviewers, permissions and sign-ins', async () => {
      const w = await world();
      const campaign = await create(w);
      expect(campaign).toMatchObject({ status: 'OPEN', defaultDecision: 'KEEP', recurrenceMonths: null, closedAt: null, scope: { kind: 'ALL', roles: [], teams: [] }, reviewer: { id: w.owner.membershipId } });
      const [{ count }] = await sql(
        `SELECT (SELECT count(*) FROM membership_roles WHERE organisation_id = $1) + (SELECT count(*) FROM team_members WHERE organisation_id = $1) AS count`,
        [w.org.id],
      );
      expect(campaign.progress).toEqual({ total: Number(count), decided: 0, kept: 0, revoked: 0 });
      const items = await itemsOf(campaign.id, w.owner.token);
      expect(items).toHaveLength(Number(count));
      // In member-name order: Ada, Aud, Dev One, Dev Two, Lea, Olive.
      expect(items.map((item) => item.user?.displayName)).toEqual([...items.map((item) => item.user?.displayName)].sort((a, b) => (a as string).localeCompare(b as string)));

      const place = itemOf(items, w.dev1, 'Platform');
      expect(place).toMatchObject({ kind: 'TEAM_PLACE', role: null, team: { id: w.team, name: 'Platform' }, reviewer: { id: w.lead.membershipId }, decision: null, outcome: 'PENDING' });
      const direct = itemOf(items, w.dev1, 'Member');
      expect(direct).toMatchObject({ kind: 'ROLE', role: { id: w.roles.member }, team: null, reviewer: { id: w.owner.membershipId } });
      // The lead's own place: no other manager, so the campaign owner reviews it; the owner's own access: nobody assigned.
      expect(itemOf(items, w.lead, 'Platform').reviewer).toEqual({ id: w.owner.membershipId });
      expect(itemOf(items, w.owner, 'Owner').reviewer).toBeNull();

      // The member's effective permissions and last sign-in as they were.
      const membership = ok(await service.graphql('query($id: ID!) { organisation(id: $id) { members(first: 100) { edges { node { id effectivePermissions } } } } }', { id: w.org.id }, w.owner.token));
      const dev1Permissions = membership.organisation.members.edges.find((edge: any) => edge.node.id === w.dev1.membershipId).node.effectivePermissions;
      expect(place.effectivePermissions).toEqual(dev1Permissions);
      expect(dev1Permissions).toEqual(expect.arrayContaining(['audit:read', 'members:read']));
      const [{ last_sign_in_at: signedIn }] = await sql('SELECT last_sign_in_at FROM users WHERE id = $1', [w.dev1.userId]);
      expect(place.lastSignInAt).toBe(signedIn.toISOString());

      const [audit] = await auditActions(w.org.id, 'review_campaign.');
      expect(audit).toMatchObject({ action: 'review_campaign.created', details: { campaignId: campaign.id, items: Number(count), scope: { kind: 'ALL' }, reviewerMembershipId: w.owner.membershipId } });
      expect(await eventTypes(w.org.id)).toContain('review_campaign.created');
    });

    it('PRIVILEGED covers exactly the members accessReview calls privileged, through their privileged grants only', async () => {
      const w = await world();
      const roleManager = await createRole(w.org, 'Role manager', ['roles:manage']);
      ok(await service.graphql(ASSIGN_ROLES, { input: { organisationId: w.org.id, membershipIds: [w.dev2.membershipId], roleIds: [roleManager], mode: 'ADD' } }, w.owner.token));
      const ops = ok(await service.graphql(CREATE_TEAM, { input: { organisationId: w.org.id, name: 'Ops', description: '' } }, w.owner.token)).createTeam.id;
      ok(await service.graphql(SET_TEAM_ROLES, { teamId: ops, roleIds: [w.roles.admin] }, w.owner.token));
      await addToTeam(w.org, ops, w.dev1.membershipId, 'MEMBER');
      const campaign = await create(w, { scope: { kind: 'PRIVILEGED' } });
      const items = await itemsOf(campaign.id, w.owner.token);
      expect(items.map((item) => [item.user?.displayName, item.grantName]).sort()).toEqual(
        [['Olive Owner', 'Owner'], ['Ada Admin', 'Admin'], ['Dev Two', 'Role manager'], ['Dev One', 'Ops']].sort(),
      );
      const review = ok(await service.graphql(ACCESS_REVIEW, { organisationId: w.org.id }, w.owner.token));
      const privileged = review.organisation.accessReview.privilegedMembers.map((member: { id: string }) => member.id).sort();
      expect([...new Set(items.map((item) => item.member?.id))].sort()).toEqual(privileged);
    });

    it('ROLES covers direct holders and places in teams granting the roles; TEAMS the places of the teams', async () => {
      const w = await world();
      const byRoles = await create(w, { scope: { kind: 'ROLES', roleIds: [w.roles.deployer, w.roles.viewer] } });
      expect(byRoles.scope.roles.map((role: { id: string }) => role.id).sort()).toEqual([w.roles.deployer, w.roles.viewer].sort());
      const roleItems = await itemsOf(byRoles.id, w.owner.token);
      expect(roleItems.map((item) => [item.user?.displayName, item.grantName]).sort()).toEqual(
        [['Dev Two', 'Viewer'], ['Dev One', 'Platform'], ['Dev Two', 'Platform'], ['Lea Lead', 'Platform']].sort(),
      );
      const byTeams = await create(w, { scope: { kind: 'TEAMS', teamIds: [w.team] } });
      expect(byTeams.scope).toEqual({ kind: 'TEAMS', roles: [], teams: [{ id: w.team }] });
      expect((await itemsOf(byTeams.id, w.owner.token)).map((item) => item.user?.displayName).sort()).toEqual(['Dev One', 'Dev Two', 'Lea Lead']);
    });

    it('refuses bad input with BAD_USER_INPUT naming the field, and writes nothing', async () => {
      const w = await world();
      const otherRole = await builtIn(other.id, 'viewer');
      const otherTeam = ok(await service.graphql(CREATE_TEAM, { input: { organisationId: other.id, name: 'Theirs', description: '' } }, other.owner.token)).createTeam.id;
      const deactivated = await memberWith(service, w.org.id, ['admin'], { status: MembershipStatus.DEACTIVATED });
      const cases: [string, Record<string, unknown>, string | RegExp][] = [
        ['an empty name', { name: '   ' }, 'name'],
        ['a name too long', { name: 'x'.repeat(201) }, 'name'],
        ['a due date in the past', { dueAt: inDays(-1) }, 'dueAt'],
        ['a due date more than two years ahead', { dueAt: inDays(800) }, 'dueAt'],
        ['ROLES without roles', { scope: { kind: 'ROLES' } }, 'scope.roleIds'],
        ['ALL with roles', { scope: { kind: 'ALL', roleIds: [w.roles.member] } }, 'scope.roleIds'],
        ['TEAMS with roles', { scope: { kind: 'TEAMS', teamIds: [w.team], roleIds: [w.roles.member] } }, 'scope.roleIds'],
        ["another organisation's role", { scope: { kind: 'ROLES', roleIds: [otherRole] } }, 'scope.roleIds'],
        ['a role id that is no id', { scope: { kind: 'ROLES', roleIds: ['nope'] } }, 'scope.roleIds'],
        ["another organisation's team", { scope: { kind: 'TEAMS', teamIds: [otherTeam] } }, 'scope.teamIds'],
        ['an unknown team', { scope: { kind: 'TEAMS', teamIds: [NO_SUCH_ID] } }, 'scope.teamIds'],
        ['recurrence 0', { recurrenceMonths: 0 }, 'recurrenceMonths'],
        ['recurrence 25', { recurrenceMonths: 25 }, 'recurrenceMonths'],
        ["another organisation's member as reviewer", { reviewerMembershipId: otherMember.membershipId }, 'reviewerMembershipId'],
        ['a reviewer without access:review', { reviewerMembershipId: w.dev1.membershipId }, 'reviewerMembershipId'],
        ['a deactivated reviewer', { reviewerMembershipId: deactivated.membershipId }, 'reviewerMembershipId'],
      ];
      await expectNothingWritten(service.database.dataSource, async () => {
        for (const [label, overrides, field] of cases) {
          const response = await service.graphql(CREATE, { input: campaignInput(w, overrides) }, w.owner.token);
          expect([label, errorCodes(response), response.errors?.[0].extensions?.field]).toEqual([label, ['BAD_USER_INPUT'], field]);
        }
        const notADate = await service.graphql(CREATE, { input: campaignInput(w, { dueAt: 'next tuesday' }) }, w.owner.token);
        expect(errorCodes(notADate)).toEqual(['BAD_USER_INPUT']);
      });
    });

    it('needs access:review (FORBIDDEN); another organisation looks missing (NOT_FOUND); nobody signed in is UNAUTHENTICATED', async () => {
      const w = await world();
      await expectNothingWritten(service.database.dataSource, async () => {
        expect(errorCodes(await service.graphql(CREATE, { input: campaignInput(w) }, w.dev1.token))).toEqual(['FORBIDDEN']);
        expect(errorCodes(await service.graphql(CREATE, { input: campaignInput(w) }, other.owner.token))).toEqual(['NOT_FOUND']);
        expect(errorCodes(await service.graphql(CREATE, { input: campaignInput(w) }, null))).toEqual(['UNAUTHENTICATED']);
      });
      // An auditor (access:review only) may run one, and owns it by default.
      expect((await create(w, {}, w.auditor.token)).reviewer).toEqual({ id: w.auditor.membershipId });
    });

    it('snapshots in the same number of statements for 10 and 200 members', async () => {
      const counts: number[] = [];
      for (const size of [10, 200]) {
        const w = await world();
        await seedMembers(service.database.dataSource, w.org.id, { count: size, rolesEach: 2, teamsEach: 1 });
        const measured = await service.countStatements(CREATE, { input: campaignInput(w) }, w.owner.token);
        expect(measured.response.errors).toBeUndefined();
        expect(measured.response.data.createReviewCampaign.progress.total).toBeGreaterThan(size * 3);
        counts.push(measured.count);
      }
      process.stdout.write(`createReviewCampaign statements (10 / 200 members): ${counts.join(' / ')}\n`);
      expect(counts[1]).toBe(counts[0]);
      expect(counts[0]).toBeLessThanOrEqual(15);
    });

    it('refuses a scope larger than REVIEW_CAMPAIGN_MAX_ITEMS (BAD_USER_INPUT naming the limit), writing nothing', async () => {
      const limited = await startTestService({ REVIEW_CAMPAIGN_MAX_ITEMS: '3' });
      try {
        const organisation = await createOrganisation(limited, await platformAdmin(limited));
        await seedMembers(limited.database.dataSource, organisation.id, { count: 3, rolesEach: 1 });
        await expectNothingWritten(limited.database.dataSource, async () => {
          const response = await limited.graphql(CREATE, { input: { organisationId: organisation.id, name: 'Too big', scope: { kind: 'ALL' }, dueAt: inDays(3) } }, organisation.owner.token);
          expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
          expect(response.errors?.[0].extensions).toMatchObject({ limit: 'REVIEW_CAMPAIGN_MAX_ITEMS', maximum: 3, actual: 4 });
        });
      } finally {
        await limited.stop();
      }
    });
  });
  describe('deciding items', () => {
    it('KEEP records the decision; REVOKE takes the grant away at once through the team-membership and role-assignment services', async () => {
      const w = await world();
      const campaign = await create(w);
      const items = await itemsOf(campaign.id, w.owner.token);

      const kept = ok(await decide(itemOf(items, w.dev2, 'Viewer').id, 'KEEP', w.owner.token, '  still needed  ')).decideReviewItem;
      expect(kept).toMatchObject({ decision: 'KEEP', comment: 'still needed', outcome: 'KEPT', decidedBy: { id: w.owner.userId } });
      expect(kept.decidedAt).toEqual(expect.any(String));

      // The team's lead reviews its places.
      const place = ok(await decide(itemOf(items, w.dev1, 'Platform').id, 'REVOKE', w.lead.token, 'moved to another team')).decideReviewItem;
      expect(place).toMatchObject({ decision: 'REVOKE', outcome: 'REVOKED', decidedBy: { id: w.lead.userId } });
      expect(await inTeam(w.dev1.membershipId, w.team)).toBe(false);
      const direct = ok(await decide(itemOf(items, w.dev1, 'Member').id, 'REVOKE', w.owner.token)).decideReviewItem;
      expect(direct.outcome).toBe('REVOKED');
      expect(await hasRole(w.dev1.membershipId, w.roles.member)).toBe(false);

      // Audited and evented by the services that made the change, and as decisions.
      const removed = (await auditActions(w.org.id, 'team.member-removed')).at(-1);
      expect(removed?.details).toMatchObject({ membershipId: w.dev1.membershipId, via: 'access-review', campaignId: campaign.id });
      const assigned = (await auditActions(w.org.id, 'member.roles-assigned')).at(-1);
      expect(assigned?.details).toMatchObject({ mode: 'REMOVE', roleIds: [w.roles.member], removed: [w.roles.member], via: 'access-review' });
      expect(assigned?.target_id).toBe(w.dev1.membershipId);
      const decided = await auditActions(w.org.id, 'review_item.decided');
      expect(decided.map((row) => [row.details.decision, row.details.outcome, row.details.comment])).toEqual([
        ['KEEP', 'KEPT', 'still needed'],
        ['REVOKE', 'REVOKED', 'moved to another team'],
        ['REVOKE', 'REVOKED', null],
      ]);
      const events = await eventTypes(w.org.id);
      expect(events.slice(-5)).toEqual(['review_item.decided', 'team.member_removed', 'review_item.decided', 'membership.roles_changed', 'review_item.decided']);

      const progress = ok(await service.graphql(CAMPAIGN, { id: campaign.id, decided: true }, w.owner.token)).reviewCampaign;
      expect(progress.progress).toMatchObject({ decided: 3, kept: 1, revoked: 2 });
      expect(progress.items.totalCount).toBe(3);
      expect((await itemsOf(campaign.id, w.owner.token, false)).length).toBe(progress.progress.total - 3);
    });

    it('never lets anyone review their own access; others’ assignments are FORBIDDEN; unassigned items go to holders of access:review', async () => {
      const w = await world();
      const campaign = await create(w);
      const items = await itemsOf(campaign.id, w.owner.token);
      const ownOwner = itemOf(items, w.owner, 'Owner');
      await expectNothingWritten(service.database.dataSource, async () => {
        expect(errorCodes(await decide(ownOwner.id, 'KEEP', w.owner.token))).toEqual(['FORBIDDEN']);
        // The lead manages the team but their own place is still theirs.
        expect(errorCodes(await decide(itemOf(items, w.lead, 'Platform').id, 'KEEP', w.lead.token))).toEqual(['FORBIDDEN']);
        // An Admin holds access:review, but the campaign owner was assigned this one.
        expect(errorCodes(await decide(itemOf(items, w.dev1, 'Member').id, 'KEEP', w.admin.token))).toEqual(['FORBIDDEN']);
        // Someone who reviews nothing here does not even see it; nor does another organisation.
        expect(errorCodes(await decide(itemOf(items, w.dev1, 'Member').id, 'KEEP', w.dev2.token))).toEqual(['NOT_FOUND']);
        expect(errorCodes(await decide(itemOf(items, w.dev1, 'Member').id, 'KEEP', other.owner.token))).toEqual(['NOT_FOUND']);
        expect(errorCodes(await decide('nope', 'KEEP', w.owner.token))).toEqual(['NOT_FOUND']);
        expect(errorCodes(await decide(NO_SUCH_ID, 'KEEP', w.owner.token))).toEqual(['NOT_FOUND']);
        expect(errorCodes(await decide(itemOf(items, w.dev1, 'Member').id, 'KEEP', w.owner.token, 'x'.repeat(1001)))).toEqual(['BAD_USER_INPUT']);
      });
      // Nobody was assigned the owner's own access: another holder of access:review decides it.
      expect(ok(await decide(ownOwner.id, 'KEEP', w.admin.token)).decideReviewItem).toMatchObject({ outcome: 'KEPT', decidedBy: { id: w.admin.userId } });
      // A decision is final.
      expect(errorCodes(await decide(ownOwner.id, 'REVOKE', w.admin.token))).toEqual(['CONFLICT']);
      expect(await hasRole(w.owner.membershipId, w.roles.owner)).toBe(true);
    });

    it('a revoke follows the escalation rules of the services: a refusal rolls back and the item stays undecided', async () => {
      const w = await world();
      // The auditor owns this campaign: access:review, but not members:assign-roles.
      const audited = await create(w, { reviewerMembershipId: w.auditor.membershipId }, w.auditor.token);
      const auditedItems = await itemsOf(audited.id, w.auditor.token);
      await expectNothingWritten(service.database.dataSource, async () => {
        const refused = await decide(itemOf(auditedItems, w.dev1, 'Member').id, 'REVOKE', w.auditor.token);
        expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
        expect(refused.errors?.[0].message).toMatch(/members:assign-roles/);
      });
      expect(ok(await decide(itemOf(auditedItems, w.dev1, 'Member').id, 'KEEP', w.auditor.token)).decideReviewItem.outcome).toBe('KEPT');
      // An Admin owns this one: only an Owner takes the Owner role away.
      const byAdmin = await create(w, { scope: { kind: 'PRIVILEGED' } }, w.admin.token);
      const ownerItem = itemOf(await itemsOf(byAdmin.id, w.admin.token), w.owner, 'Owner');
      expect(ownerItem.reviewer).toEqual({ id: w.admin.membershipId });
      await expectNothingWritten(service.database.dataSource, async () => {
        const refused = await decide(ownerItem.id, 'REVOKE', w.admin.token);
        expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
        expect(refused.errors?.[0].message).toMatch(/Only an Owner/);
      });
      expect((await itemsOf(byAdmin.id, w.admin.token)).find((item) => item.id === ownerItem.id)?.decision).toBeNull();
    });

    it('a grant already gone is ALREADY_REMOVED; past the due date or once closed, deciding is CONFLICT', async () => {
      const w = await world();
      const campaign = await create(w);
      const items = await itemsOf(campaign.id, w.owner.token);
      ok(await service.graphql(ASSIGN_ROLES, { input: { organisationId: w.org.id, membershipIds: [w.dev2.membershipId], roleIds: [w.roles.viewer], mode: 'REMOVE' } }, w.owner.token));
      expect(ok(await decide(itemOf(items, w.dev2, 'Viewer').id, 'REVOKE', w.owner.token)).decideReviewItem.outcome).toBe('ALREADY_REMOVED');
      await sql(`UPDATE review_campaigns SET due_at = now() - interval '1 minute' WHERE id = $1`, [campaign.id]);
      const late = await decide(itemOf(items, w.dev1, 'Member').id, 'KEEP', w.owner.token);
      expect(errorCodes(late)).toEqual(['CONFLICT']);
      expect(late.errors?.[0].message).toMatch(/due date/);
      await sql(`UPDATE review_campaigns SET due_at = now() + interval '1 day' WHERE id = $1`, [campaign.id]);
      ok(await service.graphql(CLOSE, { id: campaign.id }, w.owner.token));
      expect(errorCodes(await decide(itemOf(items, w.dev1, 'Member').id, 'KEEP', w.owner.token))).toEqual(['CONFLICT']);
    });

    it('a reviewer without access:review sees the campaigns and items they review, and nothing else', async () => {
      const w = await world();
      const campaign = await create(w);
      await create(w, { scope: { kind: 'ROLES', roleIds: [w.roles.admin] } }); // nothing for the lead in it
      const listed = ok(await service.graphql(CAMPAIGNS, { organisationId: w.org.id }, w.lead.token)).organisation.reviewCampaigns;
      expect(listed.totalCount).toBe(1);
      const [node] = listed.edges.map((edge: any) => edge.node);
      expect(node.id).toBe(campaign.id);
      expect(node.items.totalCount).toBe(3); // the team's places, their own included (which they may not decide)
      expect(node.items.edges.every((edge: any) => edge.node.team.id === w.team)).toBe(true);
      expect(node.progress.total).toBe(campaign.progress.total);
      // What the campaign covers, and the campaign by id, are for holders of access:review.
      const scope = await service.graphql(`query($id: ID!) { organisation(id: $id) { reviewCampaigns { edges { node { scope { kind } } } } } }`, { id: w.org.id }, w.lead.token);
      expect(errorCodes(scope)).toEqual(['FORBIDDEN']);
      expect(ok(await service.graphql(CAMPAIGN, { id: campaign.id }, w.lead.token)).reviewCampaign).toBeNull();
      expect(ok(await service.graphql(ENTITIES, { representations: [{ __typename: 'ReviewCampaign', id: campaign.id }] }, w.lead.token))._entities).toEqual([null]);
      // Someone who reviews nothing sees an empty list.
      expect(ok(await service.graphql(CAMPAIGNS, { organisationId: w.org.id }, w.dev1.token)).organisation.reviewCampaigns).toEqual({ totalCount: 0, edges: [] });
    });
  });
  describe('races', () => {
    it('two reviewers deciding one item at once: one wins, the other gets CONFLICT', async () => {
      const w = await world();
      const extra = await Promise.all([1, 2, 3].map((n) => memberWith(service, w.org.id, ['viewer'], { name: `Racer ${n}` })));
      for (const member of extra) await addToTeam(w.org, w.team, member.membershipId, 'MEMBER');
      const campaign = await create(w, { scope: { kind: 'TEAMS', teamIds: [w.team] } });
      const items = await itemsOf(campaign.id, w.owner.token);
      for (const member of extra) {
        const item = itemOf(items, member, 'Platform');
        // The team's lead (its reviewer) and the campaign's owner, at the same moment.
        const [byLead, byOwner] = await Promise.all([decide(item.id, 'REVOKE', w.lead.token, 'lead'), decide(item.id, 'KEEP', w.owner.token, 'owner')]);
        const outcomes = [byLead, byOwner].map((response) => (response.errors ? errorCodes(response)[0] : 'OK')).sort();
        expect(outcomes).toEqual(['CONFLICT', 'OK']);
        const winner = byLead.errors ? byOwner.data.decideReviewItem : byLead.data.decideReviewItem;
        const [stored] = await sql('SELECT decision, comment FROM review_items WHERE id = $1', [item.id]);
        expect(stored).toEqual({ decision: winner.decision, comment: winner.comment });
        expect(await inTeam(member.membershipId, w.team)).toBe(winner.decision === 'KEEP');
        expect((await auditActions(w.org.id, 'review_item.decided')).filter((row) => row.details.itemId === item.id)).toHaveLength(1);
      }
    });

    it('a revoke racing a re-grant: both apply, one after the other, and the audit log tells in which order', async () => {
      const w = await world();
      const racers = await Promise.all([1, 2, 3, 4].map((n) => memberWith(service, w.org.id, ['member'], { name: `Holder ${n}` })));
      const campaign = await create(w, { scope: { kind: 'ROLES', roleIds: [w.roles.member] } });
      const items = await itemsOf(campaign.id, w.owner.token);
      for (const racer of racers) {
        const item = itemOf(items, racer, 'Member');
        // The campaign owner revokes while an Admin assigns the same role again (ADD of a held role is a no-op until the revoke lands).
        const [revoked, granted] = await Promise.all([
          decide(item.id, 'REVOKE', w.owner.token),
          service.graphql(ASSIGN_ROLES, { input: { organisationId: w.org.id, membershipIds: [racer.membershipId], roleIds: [w.roles.member], mode: 'ADD' } }, w.admin.token),
        ]);
        expect(revoked.errors).toBeUndefined();
        expect(granted.errors).toBeUndefined();
        expect(revoked.data.decideReviewItem.outcome).toBe('REVOKED');
        // Both took the organisation's lock in turn: whoever came second decides the final state.
        const order: { action: string }[] = await sql(
          `SELECT action FROM audit_events WHERE organisation_id = $1 AND action = 'member.roles-assigned' AND target_id = $2 ORDER BY occurred_at, id`,
          [w.org.id, racer.membershipId],
        );
        const [{ events }] = await sql(
          `SELECT array_agg(data->>'removed' ORDER BY sequence) AS events FROM events WHERE organisation_id = $1 AND type = 'membership.roles_changed' AND data->>'membershipId' = $2`,
          [w.org.id, racer.membershipId],
        );
        const revokeLast = events.length === 1; // the re-grant came first (a no-op) and published nothing
        expect(order).toHaveLength(2);
        expect(await hasRole(racer.membershipId, w.roles.member)).toBe(!revokeLast);
      }
    });

    it('the last Owner: two Owners revoking each other at once, one wins and the other is refused (CONFLICT), its item undecided', async () => {
      const w = await world();
      ok(await service.graphql(ASSIGN_ROLES, { input: { organisationId: w.org.id, membershipIds: [w.admin.membershipId], roleIds: [w.roles.owner], mode: 'ADD' } }, w.owner.token));
      const campaign = await create(w, { scope: { kind: 'ROLES', roleIds: [w.roles.owner] } });
      const items = await itemsOf(campaign.id, w.owner.token);
      const ownerItem = itemOf(items, w.owner, 'Owner'); // nobody assigned: the other Owner (access:review) decides
      const adminItem = itemOf(items, w.admin, 'Owner'); // the campaign owner reviews it
      const [first, second] = await Promise.all([decide(adminItem.id, 'REVOKE', w.owner.token), decide(ownerItem.id, 'REVOKE', w.admin.token)]);
      expect([first, second].map((response) => (response.errors ? errorCodes(response)[0] : 'OK')).sort()).toEqual(['CONFLICT', 'OK']);
      const loser = first.errors ? first : second;
      expect(loser.errors?.[0].message).toMatch(/at least one active Owner/);
      expect(await activeOwners(w.org.id)).toBe(1);
      const stored: { id: string; decision: string | null; outcome: string }[] = await sql('SELECT id, decision, outcome FROM review_items WHERE id = ANY($1::uuid[]) ORDER BY decision NULLS LAST', [[ownerItem.id, adminItem.id]]);
      expect(stored.map((row) => [row.decision, row.outcome])).toEqual([['REVOKE', 'REVOKED'], [null, 'PENDING']]);
    });
  });

  describe('closing, the due date and recurrence', () => {
    it('closing applies KEEP to undecided items; closing again changes nothing', async () => {
      const w = await world();
      const campaign = await create(w);
      const items = await itemsOf(campaign.id, w.owner.token);
      ok(await decide(itemOf(items, w.dev1, 'Member').id, 'REVOKE', w.owner.token));
      const closed = ok(await service.graphql(CLOSE, { id: campaign.id }, w.admin.token)).closeReviewCampaign;
      expect(closed).toMatchObject({ status: 'CLOSED', progress: { total: items.length, decided: items.length, kept: items.length - 1, revoked: 1 } });
      const after = await itemsOf(campaign.id, w.owner.token);
      expect(after.filter((item) => item.outcome === 'KEPT').every((item) => item.decidedBy === null || item.decidedBy.id !== w.admin.userId)).toBe(true);
      expect(after.find((item) => item.id === itemOf(items, w.dev2, 'Viewer').id)).toMatchObject({ decision: 'KEEP', outcome: 'KEPT', decidedBy: null });
      const again = await expectNothingWritten(service.database.dataSource, () => service.graphql(CLOSE, { id: campaign.id }, w.owner.token));
      expect(ok(again).closeReviewCampaign.closedAt).toBe(closed.closedAt);
      const [audit] = await auditActions(w.org.id, 'review_campaign.closed');
      expect(audit.details).toMatchObject({ campaignId: campaign.id, reason: 'closed', keptByDefault: items.length - 1, nextCampaignId: null });
      expect(await eventTypes(w.org.id)).toContain('review_campaign.closed');
    });

    it('closing applies REVOKE through the services as each item’s reviewer; what a rule refuses is recorded REVOKE_REFUSED', async () => {
      const w = await world();
      // Owned by the auditor, who may not take roles away; the team's places are the lead's to remove.
      const campaign = await create(w, { defaultDecision: 'REVOKE', reviewerMembershipId: w.auditor.membershipId, scope: { kind: 'ALL' } }, w.auditor.token);
      const items = await itemsOf(campaign.id, w.auditor.token);
      ok(await decide(itemOf(items, w.dev2, 'Viewer').id, 'KEEP', w.auditor.token));
      const closed = ok(await service.graphql(CLOSE, { id: campaign.id }, w.owner.token)).closeReviewCampaign;
      expect(closed.status).toBe('CLOSED');
      const after = await itemsOf(campaign.id, w.owner.token);
      expect(itemOf(after, w.dev1, 'Platform')).toMatchObject({ decision: 'REVOKE', outcome: 'REVOKED', decidedBy: null });
      expect(itemOf(after, w.dev2, 'Platform').outcome).toBe('REVOKED');
      expect(await inTeam(w.dev1.membershipId, w.team)).toBe(false);
      // The lead's own place was the campaign owner's (the auditor's) to review: teams:manage-members missing.
      expect(itemOf(after, w.lead, 'Platform')).toMatchObject({ decision: null, outcome: 'REVOKE_REFUSED', outcomeReason: expect.stringMatching(/teams:manage-members/) });
      expect(itemOf(after, w.dev1, 'Member')).toMatchObject({ decision: null, outcome: 'REVOKE_REFUSED', outcomeReason: expect.stringMatching(/members:assign-roles/) });
      expect(await hasRole(w.dev1.membershipId, w.roles.member)).toBe(true);
      expect(itemOf(after, w.dev2, 'Viewer').outcome).toBe('KEPT');
      expect(closed.progress).toEqual({ total: items.length, decided: 3, kept: 1, revoked: 2 });
      // The removals are the team service's own records, made by the system (no actor) on the campaign's behalf.
      const removals = (await auditActions(w.org.id, 'team.member-removed')).filter((row) => row.details.campaignId === campaign.id);
      expect(removals.map((row) => row.details.membershipId).sort()).toEqual([w.dev1.membershipId, w.dev2.membershipId].sort());
    });

    it('the default REVOKE never takes the last active Owner away: REVOKE_REFUSED, and the rest still applies', async () => {
      const w = await world();
      const campaign = await create(w, { defaultDecision: 'REVOKE', scope: { kind: 'PRIVILEGED' } });
      ok(await service.graphql(CLOSE, { id: campaign.id }, w.owner.token));
      const after = await itemsOf(campaign.id, w.owner.token);
      expect(itemOf(after, w.owner, 'Owner')).toMatchObject({ outcome: 'REVOKE_REFUSED', outcomeReason: 'The organisation must keep at least one active Owner' });
      expect(itemOf(after, w.admin, 'Admin').outcome).toBe('REVOKED');
      expect(await activeOwners(w.org.id)).toBe(1);
      expect(await hasRole(w.admin.membershipId, w.roles.admin)).toBe(false);
      const [audit] = await auditActions(w.org.id, 'review_campaign.closed');
      expect(audit.details).toMatchObject({ revokedByDefault: 1, refused: 1, refusedItemIds: [itemOf(after, w.owner, 'Owner').id] });
    });

    it('needs access:review to close (FORBIDDEN); another organisation’s campaign looks missing (NOT_FOUND)', async () => {
      const w = await world();
      const campaign = await create(w);
      await expectNothingWritten(service.database.dataSource, async () => {
        expect(errorCodes(await service.graphql(CLOSE, { id: campaign.id }, w.lead.token))).toEqual(['FORBIDDEN']);
        expect(errorCodes(await service.graphql(CLOSE, { id: campaign.id }, other.owner.token))).toEqual(['NOT_FOUND']);
        expect(errorCodes(await service.graphql(CLOSE, { id: 'nope' }, w.owner.token))).toEqual(['NOT_FOUND']);
      });
    });

    it('several sweepers at once close a campaign past its due date exactly once, and renew a recurring one once, N months on', async () => {
      const w = await world();
      const campaign = await create(w, { recurrenceMonths: 3, dueAt: inDays(1) });
      await sql(`UPDATE review_campaigns SET due_at = now() - interval '1 second' WHERE id = $1`, [campaign.id]);
      await Promise.all([sweeper().runOnce(), sweeper().runOnce(), sweeper().runOnce()]);
      const [closed] = await sql('SELECT status, closed_by_user_id FROM review_campaigns WHERE id = $1', [campaign.id]);
      expect(closed).toEqual({ status: 'CLOSED', closed_by_user_id: null });
      const next: { id: string; status: string; name: string; scope_kind: string; owner_membership_id: string; recurrence_months: number; exact: boolean }[] = await sql(
        `SELECT n.id, n.status, n.name, n.scope_kind, n.owner_membership_id, n.recurrence_months, n.due_at = p.due_at + interval '3 months' AS exact
         FROM review_campaigns n JOIN review_campaigns p ON p.id = n.previous_campaign_id WHERE p.id = $1`,
        [campaign.id],
      );
      expect(next).toEqual([{ id: expect.any(String), status: 'OPEN', name: campaign.name, scope_kind: 'ALL', owner_membership_id: w.owner.membershipId, recurrence_months: 3, exact: true }]);
      expect((await itemsOf(next[0].id, w.owner.token)).length).toBe(campaign.progress.total);
      expect((await auditActions(w.org.id, 'review_campaign.closed')).map((row) => [row.details.reason, row.details.nextCampaignId])).toEqual([['due', next[0].id]]);
      expect((await auditActions(w.org.id, 'review_campaign.created')).map((row) => row.details.previousCampaignId)).toEqual([null, campaign.id]);
      // Nothing more is due: another round changes nothing.
      expect(await sweeper().runOnce()).toBe(0);
    });

    it('closing a recurring campaign by hand renews it once, due N months after the closed one', async () => {
      const w = await world();
      const campaign = await create(w, { recurrenceMonths: 1, scope: { kind: 'TEAMS', teamIds: [w.team] } });
      await Promise.all([service.graphql(CLOSE, { id: campaign.id }, w.owner.token), service.graphql(CLOSE, { id: campaign.id }, w.admin.token)]);
      const next: { exact: boolean; scope_team_ids: string[] }[] = await sql(
        `SELECT n.due_at = p.due_at + interval '1 month' AS exact, n.scope_team_ids FROM review_campaigns n JOIN review_campaigns p ON p.id = n.previous_campaign_id WHERE p.id = $1`,
        [campaign.id],
      );
      expect(next).toEqual([{ exact: true, scope_team_ids: [w.team] }]);
      const listed = ok(await service.graphql(CAMPAIGNS, { organisationId: w.org.id }, w.owner.token)).organisation.reviewCampaigns;
      expect(listed.edges.map((edge: any) => edge.node.status)).toEqual(['OPEN', 'CLOSED']);
    });
  });
  describe('tenancy and federation', () => {
    it('another organisation’s campaigns and items look missing on every path: root, nested, _entities, mutations', async () => {
      const w = await world();
      const campaign = await create(w);
      const [item] = await itemsOf(campaign.id, w.owner.token);
      const theirs = ok(await service.graphql(CREATE, { input: { organisationId: other.id, name: 'Theirs', scope: { kind: 'ALL' }, dueAt: inDays(5) } }, other.owner.token)).createReviewCampaign;
      // Root: by id, and through the organisation.
      expect(ok(await service.graphql(CAMPAIGN, { id: campaign.id }, other.owner.token)).reviewCampaign).toBeNull();
      expect(ok(await service.graphql(CAMPAIGNS, { organisationId: w.org.id }, other.owner.token)).organisation).toBeNull();
      // Nested: their own organisation lists only their own.
      const listed = ok(await service.graphql(CAMPAIGNS, { organisationId: other.id }, other.owner.token)).organisation.reviewCampaigns;
      expect(listed.edges.map((edge: any) => edge.node.id)).toEqual([theirs.id]);
      // Federation: the same visibility.
      const representations = [{ __typename: 'ReviewCampaign', id: campaign.id }, { __typename: 'ReviewCampaign', id: theirs.id }, { __typename: 'ReviewCampaign', id: NO_SUCH_ID }];
      expect(ok(await service.graphql(ENTITIES, { representations }, other.owner.token))._entities).toEqual([null, { id: theirs.id, name: 'Theirs' }, null]);
      expect(ok(await service.graphql(ENTITIES, { representations }, w.owner.token))._entities).toEqual([{ id: campaign.id, name: campaign.name }, null, null]);
      // Mutations: NOT_FOUND, nothing written.
      await expectNothingWritten(service.database.dataSource, async () => {
        expect(errorCodes(await decide(item.id, 'REVOKE', other.owner.token))).toEqual(['NOT_FOUND']);
        expect(errorCodes(await service.graphql(CLOSE, { id: campaign.id }, other.owner.token))).toEqual(['NOT_FOUND']);
      });
      // Not signed in: nothing at all.
      expect(errorCodes(await service.graphql(CAMPAIGN, { id: campaign.id }, null))).toEqual(['UNAUTHENTICATED']);
    });

    it('reading a campaign’s items costs the same statements for 30 and 600 items; the list of campaigns with progress too', async () => {
      const READ = `query($id: ID!) { reviewCampaign(id: $id) { id progress { total decided } reviewer { id }
        items(first: 100) { totalCount edges { node { ${ITEM_FIELDS} member { id status user { displayName } } reviewer { id user { id } } } } } } }`;
      const counts: number[] = [];
      const listCounts: number[] = [];
      for (const size of [10, 200]) {
        const w = await world();
        await seedMembers(service.database.dataSource, w.org.id, { count: size, rolesEach: 2, teamsEach: 1 });
        const campaign = await create(w);
        await create(w, { scope: { kind: 'PRIVILEGED' } });
        const measured = await service.countStatements(READ, { id: campaign.id }, w.owner.token);
        expect(measured.response.errors).toBeUndefined();
        expect(measured.response.data.reviewCampaign.items.edges).toHaveLength(Math.min(100, campaign.progress.total));
        counts.push(measured.count);
        const list = await service.countStatements(CAMPAIGNS, { organisationId: w.org.id }, w.owner.token);
        expect(list.response.errors).toBeUndefined();
        listCounts.push(list.count);
      }
      process.stdout.write(`review campaign reads, statements (10 / 200 members): items page ${counts.join(' / ')}, campaigns list ${listCounts.join(' / ')}\n`);
      expect(counts[1]).toBe(counts[0]);
      expect(listCounts[1]).toBe(listCounts[0]);
    });

    it('closing costs the same statements whatever the number of items it revokes', async () => {
      const counts: number[] = [];
      for (const size of [10, 200]) {
        const w = await world();
        await seedMembers(service.database.dataSource, w.org.id, { count: size, rolesEach: 2, teamsEach: 1 });
        const campaign = await create(w, { defaultDecision: 'REVOKE', scope: { kind: 'ALL' } });
        const measured = await service.countStatements(CLOSE, { id: campaign.id }, w.owner.token);
        expect(measured.response.errors).toBeUndefined();
        expect(measured.response.data.closeReviewCampaign.progress.revoked).toBeGreaterThan(size * 3);
        counts.push(measured.count);
      }
      process.stdout.write(`closeReviewCampaign with default REVOKE, statements (10 / 200 members): ${counts.join(' / ')}\n`);
      expect(counts[1]).toBe(counts[0]);
    });
  });

  describe('the CSV report', () => {
    it('streams who decided what, when, and what was revoked, with the bearer token and access:review', async () => {
      const w = await world();
      const campaign = await create(w);
      const items = await itemsOf(campaign.id, w.owner.token);
      ok(await decide(itemOf(items, w.dev1, 'Platform').id, 'REVOKE', w.lead.token, '=HYPERLINK("http://evil.example")'));
      ok(await decide(itemOf(items, w.dev2, 'Viewer').id, 'KEEP', w.owner.token, 'fine, ask dev.two@example.com'));
      const response = await report(campaign.id, w.owner.token);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename="review-campaign-${campaign.id}.csv"`);
      const rows: Record<string, string>[] = parse(await response.text(), { columns: true });
      expect(rows).toHaveLength(items.length);
      expect(Object.keys(rows[0])).toEqual([
        'campaign_id', 'campaign_name', 'item_id', 'kind', 'membership_id', 'user_id', 'member_name', 'member_email', 'grant', 'role_id', 'team_id',
        'effective_permissions', 'last_sign_in_at', 'reviewer_membership_id', 'reviewer_name', 'decision', 'comment', 'decided_at',
        'decided_by_user_id', 'decided_by_name', 'outcome', 'outcome_reason',
      ]);
      const revoked = rows.find((row) => row.item_id === itemOf(items, w.dev1, 'Platform').id) as Record<string, string>;
      expect(revoked).toMatchObject({ kind: 'TEAM_PLACE', member_name: 'Dev One', member_email: w.dev1.email, grant: 'Platform', decision: 'REVOKE', outcome: 'REVOKED', decided_by_user_id: w.lead.userId, decided_by_name: 'Lea Lead', reviewer_name: 'Lea Lead' });
      // A spreadsheet would run it as a formula: it is quoted as text.
      expect(revoked.comment).toBe(`'=HYPERLINK("http://evil.example")`);
      expect(new Date(revoked.decided_at).toISOString()).toBe(revoked.decided_at);
      expect(revoked.effective_permissions.split(' ')).toEqual(expect.arrayContaining(['audit:read', 'members:read']));
      const pending = rows.find((row) => row.item_id === itemOf(items, w.dev1, 'Member').id);
      expect(pending).toMatchObject({ decision: '', decided_at: '', outcome: 'PENDING' });

      // The auditor holds access:review but not members:read-contact: no addresses, in any column.
      const audited: Record<string, string>[] = parse(await (await report(campaign.id, w.auditor.token)).text(), { columns: true });
      expect(audited).toHaveLength(items.length);
      expect(audited.every((row) => row.member_email === '')).toBe(true);
      expect(audited.find((row) => row.item_id === itemOf(items, w.dev2, 'Viewer').id)?.comment).toBe('fine, ask [email hidden]');
    });

    it('answers 401 without a token, 403 without access:review, 404 for another organisation’s or an unknown campaign', async () => {
      const w = await world();
      const campaign = await create(w);
      const codes = async (campaignId: string, token: string | null) => {
        const response = await report(campaignId, token);
        const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
        return [response.status, body.errors[0].extensions.code];
      };
      expect(await codes(campaign.id, null)).toEqual([401, 'UNAUTHENTICATED']);
      expect(await codes(campaign.id, 'not-a-token')).toEqual([401, 'UNAUTHENTICATED']);
      expect(await codes(campaign.id, w.lead.token)).toEqual([403, 'FORBIDDEN']);
      expect(await codes(campaign.id, other.owner.token)).toEqual([404, 'NOT_FOUND']);
      expect(await codes(NO_SUCH_ID, w.owner.token)).toEqual([404, 'NOT_FOUND']);
      expect(await codes('nope', w.owner.token)).toEqual([404, 'NOT_FOUND']);
    });

    it('streams a large campaign in batches, one statement per 500 rows', async () => {
      const w = await world();
      await seedMembers(service.database.dataSource, w.org.id, { count: 400, rolesEach: 2 });
      const campaign = await create(w);
      const response = await report(campaign.id, w.owner.token);
      expect(response.status).toBe(200);
      const rows: Record<string, string>[] = parse(await response.text(), { columns: true });
      expect(rows).toHaveLength(campaign.progress.total);
      expect(new Set(rows.map((row) => row.item_id)).size).toBe(rows.length);
    });
  });
});
