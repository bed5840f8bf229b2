import fs from 'node:fs';
import path from 'node:path';
import { Kind, parse, visit, type ASTNode, type FragmentDefinitionNode } from 'graphql';
import { AuditEventEntity } from '../src/audit/audit-event.entity';
import { MembershipEntity } from '../src/memberships/membership.entity';
import { RoleEntity } from '../src/roles/role.entity';
import { TeamMemberRole } from '../src/teams/team-member-role';
import { TeamMemberEntity } from '../src/teams/team-member.entity';
import { TeamRoleEntity } from '../src/teams/team-role.entity';
import { TeamEntity } from '../src/teams/team.entity';
import { addMember, createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { expectNothingWritten as expectNothingWrittenIn } from './support/nothing-written';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

// The dashboards' operations, exactly as the contract writes them (with the fragments they spread).
const CONTRACT = fs.readFileSync(path.resolve(__dirname, 'contract/dashboard.graphql'), 'utf8');
const CONTRACT_DOCUMENT = parse(CONTRACT);
const sourceOf = (node: ASTNode) => CONTRACT.slice(node.loc?.start, node.loc?.end);

function contractOperation(name: string): string {
  const operation = CONTRACT_DOCUMENT.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION && definition.name?.value === name);
  if (!operation) throw new Error(`no operation ${name} in the contract`);
  const fragments = new Map(
    CONTRACT_DOCUMENT.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
  );
  const needed = new Set<string>();
  const collect = (node: ASTNode) =>
    visit(node, {
      FragmentSpread(spread) {
        if (needed.has(spread.name.value)) return;
        needed.add(spread.name.value);
        collect(fragments.get(spread.name.value) as FragmentDefinitionNode);
      },
    });
  collect(operation);
  return [operation, ...[...needed].map((name) => fragments.get(name) as FragmentDefinitionNode)].map(sourceOf).join('\n\n');
}

const OPERATIONS = Object.fromEntries(
  ['Teams', 'TeamDetail', 'CreateTeam', 'UpdateTeam', 'DeleteTeam', 'AddTeamMember', 'SetTeamMemberRole', 'RemoveTeamMember', 'SetTeamRoles', 'UserDetail', 'AssignRoles'].map((name) => [
    name,
    contractOperation(name),
  ]),
);
type OperationName = keyof typeof OPERATIONS;

const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { __typename ... on Team { id name } }
}`;

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

describe('teams', () => {
  let service: TestService;
  let admin: SignedInUser;
  let orgA: TestOrganisation;
  let orgB: TestOrganisation;
  let adminOfA: SignedInUser & { membershipId: string };
  let viewerOfA: SignedInUser & { membershipId: string };
  let memberOfA: SignedInUser & { membershipId: string };
  let adminOfB: SignedInUser & { membershipId: string };
  let memberOfB: SignedInUser & { membershipId: string };
  let sequence = 0;

  beforeAll(async () => {
    service = await startTestService({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
    admin = await platformAdmin(service);
    [orgA, orgB] = [await createOrganisation(service, admin), await createOrganisation(service, admin)];
    adminOfA = await memberWith(service, orgA.id, ['admin']);
    viewerOfA = await memberWith(service, orgA.id, ['viewer']);
    memberOfA = await memberWith(service, orgA.id, ['member']);
    adminOfB = await memberWith(service, orgB.id, ['admin']);
    memberOfB = await memberWith(service, orgB.id, ['member']);
  });
  afterAll(() => service.stop());

  const db = () => service.database.dataSource;
  const run = <T = any>(name: OperationName, variables: Record<string, unknown>, token: string): Promise<GraphQLResponse<T>> => service.graphql<T>(OPERATIONS[name], variables, token);
  const uniqueName = (prefix = 'Team') => `${prefix} ${process.pid}-${(sequence += 1)}`;

  const expectNothingWritten = <T>(work: () => Promise<T>): Promise<T> => expectNothingWrittenIn(db(), work);

  /** Runs the operation and expects exactly this error code, with nothing written. */
  async function expectRefused(code: string, name: OperationName, variables: Record<string, unknown>, token: string): Promise<void> {
    const response = await expectNothingWritten(() => run(name, variables, token));
    expect(errorCodes(response)).toEqual([code]);
  }

  async function createTeam(organisationId: string, token: string, name = uniqueName()): Promise<string> {
    const response = await run('CreateTeam', { input: { organisationId, name, description: '' } }, token);
    if (!response.data) throw new Error(`CreateTeam failed: ${JSON.stringify(response.errors)}`);
    return response.data.createTeam.id;
  }

  async function addToTeam(teamId: string, membershipId: string, token: string, role = TeamMemberRole.MEMBER): Promise<void> {
    const response = await run('AddTeamMember', { input: { teamId, membershipId, role } }, token);
    if (!response.data) throw new Error(`AddTeamMember failed: ${JSON.stringify(response.errors)}`);
  }

  const builtInRole = (organisationId: string, key: string) => db().getRepository(RoleEntity).findOneByOrFail({ organisationId, builtInKey: key });
  const customRole = (organisationId: string, permissions: string[]) =>
    db().getRepository(RoleEntity).save(db().getRepository(RoleEntity).create({ organisationId, name: uniqueName('Role'), description: '', builtInKey: null, permissions }));
  const lastAudit = (action: string, targetId: string) => db().getRepository(AuditEventEntity).findOneOrFail({ where: { action, targetId }, order: { occurredAt: 'DESC' } });
  const placesOf = (teamId: string) => db().getRepository(TeamMemberEntity).findBy({ teamId });

  /** A Member of A (no team permissions of their own) who is MANAGER of a new team. */
  async function teamManager(): Promise<{ manager: SignedInUser & { membershipId: string }; teamId: string }> {
    const manager = await memberWith(service, orgA.id, ['member']);
    const teamId = await createTeam(orgA.id, adminOfA.token);
    await addToTeam(teamId, manager.membershipId, adminOfA.token, TeamMemberRole.MANAGER);
    return { manager, teamId };
  }

  it('refuses every team mutation without a token (UNAUTHENTICATED), writing nothing', async () => {
    const teamId = await createTeam(orgA.id, adminOfA.token);
    const cases: [OperationName, Record<string, unknown>][] = [
      ['CreateTeam', { input: { organisationId: orgA.id, name: uniqueName(), description: '' } }],
      ['UpdateTeam', { id: teamId, input: { name: uniqueName() } }],
      ['DeleteTeam', { id: teamId }],
      ['AddTeamMember', { input: { teamId, membershipId: memberOfA.membershipId, role: 'MEMBER' } }],
      ['SetTeamMemberRole', { input: { teamId, membershipId: memberOfA.membershipId, role: 'MANAGER' } }],
      ['RemoveTeamMember', { teamId, membershipId: memberOfA.membershipId }],
      ['SetTeamRoles', { teamId, roleIds: [] }],
    ];
    for (const [name, variables] of cases) {
      const response = await expectNothingWritten(() => service.graphql(OPERATIONS[name], variables, null));
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    }
  });

  describe('CreateTeam', () => {
    it('creates a team (name trimmed) with an audit row, for an Admin', async () => {
      const name = uniqueName('Platform');
      const response = await run('CreateTeam', { input: { organisationId: orgA.id, name: `  ${name}  `, description: 'Runs the platform' } }, adminOfA.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.createTeam).toEqual({ id: expect.any(String), name, description: 'Runs the platform' });
      const row = await db().getRepository(TeamEntity).findOneByOrFail({ id: response.data.createTeam.id });
      expect(row).toMatchObject({ organisationId: orgA.id, name });
      const audit = await lastAudit('team.created', row.id);
      expect(audit).toMatchObject({ organisationId: orgA.id, actorUserId: adminOfA.userId, targetType: 'Team', details: { name } });
    });

    it('accepts a missing description and a name of exactly 100 characters', async () => {
      const name = `${uniqueName('L')}-`.padEnd(100, 'x');
      const response = await run('CreateTeam', { input: { organisationId: orgA.id, name } }, adminOfA.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.createTeam).toMatchObject({ name, description: '' });
    });

    it.each([['viewer'], ['member'], ['manager']])('refuses a %s with FORBIDDEN and writes nothing', async (role) => {
      const caller = role === 'viewer' ? viewerOfA : role === 'member' ? memberOfA : await memberWith(service, orgA.id, ['manager']);
      await expectRefused('FORBIDDEN', 'CreateTeam', { input: { organisationId: orgA.id, name: uniqueName(), description: '' } }, caller.token);
    });

    it('answers NOT_FOUND to an Admin of another organisation, and for unknown or garbage organisation ids', async () => {
      await expectRefused('NOT_FOUND', 'CreateTeam', { input: { organisationId: orgB.id, name: uniqueName(), description: '' } }, adminOfA.token);
      await expectRefused('NOT_FOUND', 'CreateTeam', { input: { organisationId: NO_SUCH_ID, name: uniqueName(), description: '' } }, adminOfA.token);
      await expectRefused('NOT_FOUND', 'CreateTeam', { input: { organisationId: 'nope', name: uniqueName(), description: '' } }, adminOfA.token);
    });

    it.each([[''], ['   '], ['x'.repeat(101)]])('refuses the name %j with BAD_USER_INPUT and writes nothing', async (name) => {
      await expectRefused('BAD_USER_INPUT', 'CreateTeam', { input: { organisationId: orgA.id, name, description: '' } }, adminOfA.token);
    });

    it('refuses a name taken in the organisation (case-insensitively) with CONFLICT; another organisation may use it', async () => {
      const name = uniqueName('Design');
      await createTeam(orgA.id, adminOfA.token, name);
      await expectRefused('CONFLICT', 'CreateTeam', { input: { organisationId: orgA.id, name: ` ${name.toUpperCase()} `, description: '' } }, adminOfA.token);
      expect(errorCodes(await run('CreateTeam', { input: { organisationId: orgB.id, name, description: '' } }, adminOfB.token))).toEqual([]);
    });

    it('gives one team and one CONFLICT when two requests race for a name', async () => {
      const name = uniqueName('Race');
      const responses = await Promise.all([0, 1].map(() => run('CreateTeam', { input: { organisationId: orgA.id, name, description: '' } }, adminOfA.token)));
      expect(responses.flatMap(errorCodes).sort()).toEqual(['CONFLICT']);
      expect(await db().getRepository(TeamEntity).countBy({ organisationId: orgA.id, name })).toBe(1);
    });
  });

  describe('UpdateTeam', () => {
    it('renames and describes a team, with an audit row of before and after', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const name = uniqueName('Renamed');
      const response = await run('UpdateTeam', { id: teamId, input: { name, description: 'New' } }, adminOfA.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.updateTeam).toEqual({ id: teamId, name, description: 'New' });
      expect((await lastAudit('team.updated', teamId)).details).toMatchObject({ after: { name, description: 'New' } });
    });

    it('keeps what the input leaves out', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const before = await db().getRepository(TeamEntity).findOneByOrFail({ id: teamId });
      const response = await run('UpdateTeam', { id: teamId, input: { description: 'Only this' } }, adminOfA.token);
      expect(response.data.updateTeam).toEqual({ id: teamId, name: before.name, description: 'Only this' });
    });

    it('refuses a taken name with CONFLICT and a blank or too long one with BAD_USER_INPUT, writing nothing', async () => {
      const taken = uniqueName('Taken');
      await createTeam(orgA.id, adminOfA.token, taken);
      const teamId = await createTeam(orgA.id, adminOfA.token);
      await expectRefused('CONFLICT', 'UpdateTeam', { id: teamId, input: { name: taken.toLowerCase() } }, adminOfA.token);
      await expectRefused('BAD_USER_INPUT', 'UpdateTeam', { id: teamId, input: { name: '  ' } }, adminOfA.token);
      await expectRefused('BAD_USER_INPUT', 'UpdateTeam', { id: teamId, input: { name: 'y'.repeat(101) } }, adminOfA.token);
    });

    it('refuses a Viewer or Member with FORBIDDEN', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      await expectRefused('FORBIDDEN', 'UpdateTeam', { id: teamId, input: { name: uniqueName() } }, viewerOfA.token);
      await expectRefused('FORBIDDEN', 'UpdateTeam', { id: teamId, input: { name: uniqueName() } }, memberOfA.token);
    });

    it("answers NOT_FOUND for another organisation's team and for unknown or garbage ids", async () => {
      const teamOfB = await createTeam(orgB.id, adminOfB.token);
      await expectRefused('NOT_FOUND', 'UpdateTeam', { id: teamOfB, input: { name: uniqueName() } }, adminOfA.token);
      await expectRefused('NOT_FOUND', 'UpdateTeam', { id: NO_SUCH_ID, input: { name: uniqueName() } }, adminOfA.token);
      await expectRefused('NOT_FOUND', 'UpdateTeam', { id: 'garbage', input: { name: uniqueName() } }, adminOfA.token);
    });
  });

  describe('DeleteTeam', () => {
    it('deletes the team, its places and grants, never the members; audited with counts', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const first = await memberWith(service, orgA.id, ['viewer']);
      const second = await memberWith(service, orgA.id, ['viewer']);
      await addToTeam(teamId, first.membershipId, adminOfA.token);
      await addToTeam(teamId, second.membershipId, adminOfA.token, TeamMemberRole.MANAGER);
      const manager = await builtInRole(orgA.id, 'manager');
      expect(errorCodes(await run('SetTeamRoles', { teamId, roleIds: [manager.id] }, adminOfA.token))).toEqual([]);

      const response = await run('DeleteTeam', { id: teamId }, adminOfA.token);
      expect(response).toEqual({ data: { deleteTeam: true } });
      expect(await db().getRepository(TeamEntity).countBy({ id: teamId })).toBe(0);
      expect(await placesOf(teamId)).toEqual([]);
      expect(await db().getRepository(TeamRoleEntity).countBy({ teamId })).toBe(0);
      expect(await db().getRepository(MembershipEntity).countBy({ id: first.membershipId })).toBe(1);
      expect(await db().getRepository(MembershipEntity).countBy({ id: second.membershipId })).toBe(1);
      expect((await lastAudit('team.deleted', teamId)).details).toMatchObject({ removedPlaces: 2, removedGrants: 1, grantedRoleIds: [manager.id] });
      // Their teams are gone from what they see, with the team's grant.
      const viewer = await service.graphql('{ viewer { memberships { teams { team { id } } effectivePermissions } } }', {}, first.token);
      expect(viewer.data.viewer.memberships[0].teams).toEqual([]);
      expect(viewer.data.viewer.memberships[0].effectivePermissions).not.toContain('invitations:read');
    });

    it('refuses a Member, a Viewer and the team MANAGER with FORBIDDEN', async () => {
      const { manager, teamId } = await teamManager();
      for (const caller of [memberOfA, viewerOfA, manager]) await expectRefused('FORBIDDEN', 'DeleteTeam', { id: teamId }, caller.token);
    });

    it("answers NOT_FOUND for another organisation's team and unknown ids", async () => {
      const teamOfB = await createTeam(orgB.id, adminOfB.token);
      await expectRefused('NOT_FOUND', 'DeleteTeam', { id: teamOfB }, adminOfA.token);
      await expectRefused('NOT_FOUND', 'DeleteTeam', { id: NO_SUCH_ID }, adminOfA.token);
    });
  });

  describe('AddTeamMember / SetTeamMemberRole / RemoveTeamMember', () => {
    it('adds a member, moves them to MANAGER and back, and removes them; the membership stays', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const person = await memberWith(service, orgA.id, ['viewer']);

      const added = await run('AddTeamMember', { input: { teamId, membershipId: person.membershipId, role: 'MEMBER' } }, adminOfA.token);
      expect(added.errors).toBeUndefined();
      expect(added.data.addTeamMember).toEqual({ role: 'MEMBER', addedAt: expect.any(String), team: { id: teamId }, member: { id: person.membershipId } });
      expect((await lastAudit('team.member-added', teamId)).details).toMatchObject({ membershipId: person.membershipId, userId: person.userId, role: 'MEMBER' });

      const promoted = await run('SetTeamMemberRole', { input: { teamId, membershipId: person.membershipId, role: 'MANAGER' } }, adminOfA.token);
      expect(promoted).toEqual({ data: { setTeamMemberRole: { role: 'MANAGER', team: { id: teamId }, member: { id: person.membershipId } } } });
      expect((await lastAudit('team.member-role-changed', teamId)).details).toMatchObject({ membershipId: person.membershipId, from: 'MEMBER', to: 'MANAGER' });

      // The same role again changes nothing.
      const again = await expectNothingWritten(() => run('SetTeamMemberRole', { input: { teamId, membershipId: person.membershipId, role: 'MANAGER' } }, adminOfA.token));
      expect(again.data.setTeamMemberRole.role).toBe('MANAGER');

      const removed = await run('RemoveTeamMember', { teamId, membershipId: person.membershipId }, adminOfA.token);
      expect(removed).toEqual({ data: { removeTeamMember: true } });
      expect(await placesOf(teamId)).toEqual([]);
      expect(await db().getRepository(MembershipEntity).countBy({ id: person.membershipId })).toBe(1);
      expect((await lastAudit('team.member-removed', teamId)).details).toMatchObject({ membershipId: person.membershipId, role: 'MANAGER' });
    });

    it('defaults to MEMBER when the role is left out', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const person = await memberWith(service, orgA.id, ['viewer']);
      const response = await run('AddTeamMember', { input: { teamId, membershipId: person.membershipId } }, adminOfA.token);
      expect(response.data.addTeamMember.role).toBe('MEMBER');
    });

    it('refuses a member already in the team with CONFLICT (whatever the role asked)', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      await addToTeam(teamId, memberOfA.membershipId, adminOfA.token);
      await expectRefused('CONFLICT', 'AddTeamMember', { input: { teamId, membershipId: memberOfA.membershipId, role: 'MEMBER' } }, adminOfA.token);
      await expectRefused('CONFLICT', 'AddTeamMember', { input: { teamId, membershipId: memberOfA.membershipId, role: 'MANAGER' } }, adminOfA.token);
    });

    it("refuses another organisation's membership, an unknown and a garbage one with BAD_USER_INPUT", async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      for (const membershipId of [memberOfB.membershipId, NO_SUCH_ID, 'garbage']) {
        await expectRefused('BAD_USER_INPUT', 'AddTeamMember', { input: { teamId, membershipId, role: 'MEMBER' } }, adminOfA.token);
      }
    });

    it('refuses a role that is not MANAGER or MEMBER', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const response = await expectNothingWritten(() => run('AddTeamMember', { input: { teamId, membershipId: memberOfA.membershipId, role: 'OWNER' } }, adminOfA.token));
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });

    it('answers BAD_USER_INPUT to moving or removing a membership that is not in the team', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      await expectRefused('BAD_USER_INPUT', 'SetTeamMemberRole', { input: { teamId, membershipId: memberOfA.membershipId, role: 'MANAGER' } }, adminOfA.token);
      await expectRefused('BAD_USER_INPUT', 'RemoveTeamMember', { teamId, membershipId: memberOfA.membershipId }, adminOfA.token);
      await expectRefused('BAD_USER_INPUT', 'RemoveTeamMember', { teamId, membershipId: memberOfB.membershipId }, adminOfA.token);
    });

    it('refuses a Viewer and a Member (not managing the team) with FORBIDDEN', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const person = await memberWith(service, orgA.id, ['viewer']);
      await addToTeam(teamId, person.membershipId, adminOfA.token);
      for (const caller of [viewerOfA, memberOfA]) {
        await expectRefused('FORBIDDEN', 'AddTeamMember', { input: { teamId, membershipId: caller.membershipId, role: 'MEMBER' } }, caller.token);
        await expectRefused('FORBIDDEN', 'SetTeamMemberRole', { input: { teamId, membershipId: person.membershipId, role: 'MANAGER' } }, caller.token);
        await expectRefused('FORBIDDEN', 'RemoveTeamMember', { teamId, membershipId: person.membershipId }, caller.token);
      }
    });

    it('lets teams:manage-members alone add MEMBERs, but not appoint a MANAGER (who would hold teams:update there)', async () => {
      const placer = await customRole(orgA.id, ['teams:manage-members']);
      const caller = await signIn(service);
      await addMember(service, orgA.id, caller.userId, { roleIds: [placer.id] });
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const person = await memberWith(service, orgA.id, ['viewer']);
      await expectRefused('FORBIDDEN', 'AddTeamMember', { input: { teamId, membershipId: person.membershipId, role: 'MANAGER' } }, caller.token);
      await addToTeam(teamId, person.membershipId, caller.token);
      await expectRefused('FORBIDDEN', 'SetTeamMemberRole', { input: { teamId, membershipId: person.membershipId, role: 'MANAGER' } }, caller.token);
    });

    it("answers NOT_FOUND to an Admin of B on A's team, whatever the membership", async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      await addToTeam(teamId, memberOfA.membershipId, adminOfA.token);
      await expectRefused('NOT_FOUND', 'AddTeamMember', { input: { teamId, membershipId: memberOfB.membershipId, role: 'MEMBER' } }, adminOfB.token);
      await expectRefused('NOT_FOUND', 'SetTeamMemberRole', { input: { teamId, membershipId: memberOfA.membershipId, role: 'MANAGER' } }, adminOfB.token);
      await expectRefused('NOT_FOUND', 'RemoveTeamMember', { teamId, membershipId: memberOfA.membershipId }, adminOfB.token);
    });
  });

  describe('a team MANAGER', () => {
    it('adds, moves and removes members of their team and updates it', async () => {
      const { manager, teamId } = await teamManager();
      const person = await memberWith(service, orgA.id, ['viewer']);
      await addToTeam(teamId, person.membershipId, manager.token);
      const promoted = await run('SetTeamMemberRole', { input: { teamId, membershipId: person.membershipId, role: 'MANAGER' } }, manager.token);
      expect(promoted.errors).toBeUndefined();
      expect(promoted.data.setTeamMemberRole.role).toBe('MANAGER');
      expect(await run('RemoveTeamMember', { teamId, membershipId: person.membershipId }, manager.token)).toEqual({ data: { removeTeamMember: true } });
      const name = uniqueName('Managed');
      const updated = await run('UpdateTeam', { id: teamId, input: { name } }, manager.token);
      expect(updated).toEqual({ data: { updateTeam: { id: teamId, name, description: '' } } });
    });

    it('sees its members through TeamDetail', async () => {
      const { manager, teamId } = await teamManager();
      const response = await run('TeamDetail', { id: teamId }, manager.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.team.members.edges.map((edge: any) => edge.node.member.id)).toEqual([manager.membershipId]);
    });

    it('may not touch another team, set team roles, or delete their own team', async () => {
      const { manager, teamId } = await teamManager();
      const otherTeam = await createTeam(orgA.id, adminOfA.token);
      const person = await memberWith(service, orgA.id, ['viewer']);
      await expectRefused('FORBIDDEN', 'UpdateTeam', { id: otherTeam, input: { name: uniqueName() } }, manager.token);
      await expectRefused('FORBIDDEN', 'AddTeamMember', { input: { teamId: otherTeam, membershipId: person.membershipId, role: 'MEMBER' } }, manager.token);
      await expectRefused('FORBIDDEN', 'SetTeamRoles', { teamId, roleIds: [] }, manager.token);
      await expectRefused('FORBIDDEN', 'DeleteTeam', { id: teamId }, manager.token);
      await expectRefused('FORBIDDEN', 'CreateTeam', { input: { organisationId: orgA.id, name: uniqueName(), description: '' } }, manager.token);
    });

    it('loses those powers when moved back to MEMBER', async () => {
      const { manager, teamId } = await teamManager();
      await run('SetTeamMemberRole', { input: { teamId, membershipId: manager.membershipId, role: 'MEMBER' } }, adminOfA.token);
      await expectRefused('FORBIDDEN', 'UpdateTeam', { id: teamId, input: { name: uniqueName() } }, manager.token);
    });
  });

  describe('SetTeamRoles', () => {
    it("grants roles to every member: they show in the member's effectivePermissions (UserDetail) and go on removal", async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const person = await memberWith(service, orgA.id, ['viewer']);
      const manager = await builtInRole(orgA.id, 'manager');
      const auditor = await customRole(orgA.id, ['audit:read']);
      await addToTeam(teamId, person.membershipId, adminOfA.token);

      const set = await run('SetTeamRoles', { teamId, roleIds: [manager.id, auditor.id, manager.id] }, adminOfA.token);
      expect(set.errors).toBeUndefined();
      expect(set.data.setTeamRoles.id).toBe(teamId);
      expect(set.data.setTeamRoles.grantedRoles.map((role: { id: string }) => role.id).sort()).toEqual([manager.id, auditor.id].sort());
      expect((await lastAudit('team.roles-set', teamId)).details).toMatchObject({ added: expect.arrayContaining([manager.id, auditor.id]), removed: [] });

      const permissionsOf = async (token: string) => {
        const response = await run('UserDetail', { id: person.userId }, token);
        expect(response.errors).toBeUndefined();
        const membership = response.data.user.memberships.find((entry: { id: string }) => entry.id === person.membershipId);
        return membership.effectivePermissions as string[];
      };
      expect(await permissionsOf(adminOfA.token)).toEqual(expect.arrayContaining(['audit:read', 'invitations:read']));
      expect(await permissionsOf(person.token)).toEqual(expect.arrayContaining(['audit:read', 'invitations:read']));
      const detail = await run('UserDetail', { id: person.userId }, adminOfA.token);
      expect(detail.data.user.memberships[0].teams).toEqual([{ role: 'MEMBER', team: { id: teamId, name: expect.any(String) } }]);

      // Taking one grant away removes what only it gave.
      await run('SetTeamRoles', { teamId, roleIds: [manager.id] }, adminOfA.token);
      expect(await permissionsOf(person.token)).not.toContain('audit:read');
      expect(await permissionsOf(person.token)).toContain('invitations:read');

      // Leaving the team removes the rest.
      await run('RemoveTeamMember', { teamId, membershipId: person.membershipId }, adminOfA.token);
      expect((await permissionsOf(adminOfA.token)).sort()).toEqual(['members:read', 'org:read', 'teams:read']);
    });

    it("refuses another organisation's role, an unknown and a garbage id with BAD_USER_INPUT and writes nothing", async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const roleOfB = await builtInRole(orgB.id, 'viewer');
      const viewer = await builtInRole(orgA.id, 'viewer');
      for (const roleIds of [[roleOfB.id], [viewer.id, NO_SUCH_ID], ['garbage']]) await expectRefused('BAD_USER_INPUT', 'SetTeamRoles', { teamId, roleIds }, adminOfA.token);
    });

    it('does not let an Admin grant Owner through a team (no escalation), but an Owner may', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const owner = await builtInRole(orgA.id, 'owner');
      await expectRefused('FORBIDDEN', 'SetTeamRoles', { teamId, roleIds: [owner.id] }, adminOfA.token);
      expect(errorCodes(await run('SetTeamRoles', { teamId, roleIds: [owner.id] }, orgA.owner.token))).toEqual([]);
      // Nor take it away again, nor place someone in (or take someone out of) a team granting it.
      await expectRefused('FORBIDDEN', 'SetTeamRoles', { teamId, roleIds: [] }, adminOfA.token);
      await expectRefused('FORBIDDEN', 'AddTeamMember', { input: { teamId, membershipId: memberOfA.membershipId, role: 'MEMBER' } }, adminOfA.token);
      await addToTeam(teamId, memberOfA.membershipId, orgA.owner.token);
      await expectRefused('FORBIDDEN', 'RemoveTeamMember', { teamId, membershipId: memberOfA.membershipId }, adminOfA.token);
      await expectRefused('FORBIDDEN', 'DeleteTeam', { id: teamId }, adminOfA.token);
      expect(await run('RemoveTeamMember', { teamId, membershipId: memberOfA.membershipId }, orgA.owner.token)).toEqual({ data: { removeTeamMember: true } });
    });

    it('does not let a caller grant a role holding permissions they lack', async () => {
      const teamEditor = await customRole(orgA.id, ['teams:update', 'teams:manage-members']);
      const auditor = await customRole(orgA.id, ['audit:read']);
      const editor = await signIn(service);
      const editorMembership = await addMember(service, orgA.id, editor.userId, { roleIds: [teamEditor.id] });
      const teamId = await createTeam(orgA.id, adminOfA.token);
      await expectRefused('FORBIDDEN', 'SetTeamRoles', { teamId, roleIds: [auditor.id] }, editor.token);
      // Placing someone in a team that grants it is granting it too.
      expect(errorCodes(await run('SetTeamRoles', { teamId, roleIds: [auditor.id] }, adminOfA.token))).toEqual([]);
      await expectRefused('FORBIDDEN', 'AddTeamMember', { input: { teamId, membershipId: editorMembership, role: 'MEMBER' } }, editor.token);
    });

    it("answers NOT_FOUND for another organisation's team and FORBIDDEN to a Viewer", async () => {
      const teamOfB = await createTeam(orgB.id, adminOfB.token);
      const teamId = await createTeam(orgA.id, adminOfA.token);
      await expectRefused('NOT_FOUND', 'SetTeamRoles', { teamId: teamOfB, roleIds: [] }, adminOfA.token);
      await expectRefused('FORBIDDEN', 'SetTeamRoles', { teamId, roleIds: [] }, viewerOfA.token);
    });
  });

  describe('last owner through a team', () => {
    /** An organisation whose only Owners hold Owner only through one team. */
    async function ownedThroughTeam(extraOwners = 0) {
      const organisation = await createOrganisation(service, admin);
      const owner = organisation.owner;
      const ownerRole = await builtInRole(organisation.id, 'owner');
      const ownerMembership = await db().getRepository(MembershipEntity).findOneByOrFail({ organisationId: organisation.id, userId: owner.userId });
      const teamId = await createTeam(organisation.id, owner.token);
      expect(errorCodes(await run('SetTeamRoles', { teamId, roleIds: [ownerRole.id] }, owner.token))).toEqual([]);
      await addToTeam(teamId, ownerMembership.id, owner.token);
      const others = [];
      for (let index = 0; index < extraOwners; index += 1) {
        const other = await memberWith(service, organisation.id, ['viewer']);
        await addToTeam(teamId, other.membershipId, owner.token);
        others.push(other);
      }
      const removed = await run('AssignRoles', { input: { organisationId: organisation.id, membershipIds: [ownerMembership.id], roleIds: [ownerRole.id], mode: 'REMOVE' } }, owner.token);
      expect(removed.errors).toBeUndefined();
      return { organisation, owner, ownerMembershipId: ownerMembership.id, ownerRole, teamId, others };
    }

    it('refuses to remove the only Owner from the team, to take the grant away, or to delete the team (CONFLICT)', async () => {
      const { owner, ownerMembershipId, teamId } = await ownedThroughTeam();
      await expectRefused('CONFLICT', 'RemoveTeamMember', { teamId, membershipId: ownerMembershipId }, owner.token);
      await expectRefused('CONFLICT', 'SetTeamRoles', { teamId, roleIds: [] }, owner.token);
      await expectRefused('CONFLICT', 'DeleteTeam', { id: teamId }, owner.token);
    });

    it('lets one of two Owners-through-the-team go, but not both at once', async () => {
      const { owner, ownerMembershipId, teamId, others } = await ownedThroughTeam(1);
      const responses = await Promise.all([
        run('RemoveTeamMember', { teamId, membershipId: ownerMembershipId }, others[0].token),
        run('RemoveTeamMember', { teamId, membershipId: others[0].membershipId }, owner.token),
      ]);
      // Whichever runs second finds no other Owner left (CONFLICT) or, if its caller was the one removed
      // and its access computed after that, is no longer an Owner who may do it (FORBIDDEN).
      const failures = responses.flatMap(errorCodes);
      expect(failures).toHaveLength(1);
      expect(['CONFLICT', 'FORBIDDEN']).toContain(failures[0]);
      expect(await placesOf(teamId)).toHaveLength(1);
    });
  });

  describe('Teams (list)', () => {
    let organisation: TestOrganisation;
    let adminOfOrganisation: SignedInUser;
    const names = ['alpha', 'Beta', 'delta', 'Epsilon', 'gamma', 'Zeta_1'];
    beforeAll(async () => {
      organisation = await createOrganisation(service, admin);
      adminOfOrganisation = await memberWith(service, organisation.id, ['admin']);
      for (const name of [...names].reverse()) await createTeam(organisation.id, adminOfOrganisation.token, name);
    });

    it('walks the teams by name, case-insensitively, with totalCount on every page', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page += 1) {
        const response: GraphQLResponse = await run('Teams', { organisationId: organisation.id, first: 4, after }, adminOfOrganisation.token);
        expect(response.errors).toBeUndefined();
        const connection = response.data.organisation.teams;
        expect(connection.totalCount).toBe(names.length);
        seen.push(...connection.edges.map((edge: any) => edge.node.name));
        expect(connection.edges.every((edge: any) => edge.cursor && edge.node.memberCount === 0 && edge.node.createdAt)).toBe(true);
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      expect(seen).toEqual(names);
    });

    it('searches names case-insensitively as a substring, wildcards taken literally', async () => {
      const search = async (text: string) => {
        const response = await run('Teams', { organisationId: organisation.id, search: text }, adminOfOrganisation.token);
        expect(response.errors).toBeUndefined();
        return [response.data.organisation.teams.totalCount, response.data.organisation.teams.edges.map((edge: any) => edge.node.name)];
      };
      expect(await search('TA')).toEqual([3, ['Beta', 'delta', 'Zeta_1']]);
      expect(await search('_')).toEqual([1, ['Zeta_1']]);
      expect(await search('%')).toEqual([0, []]);
    });

    it('counts members', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      await addToTeam(teamId, memberOfA.membershipId, adminOfA.token);
      await addToTeam(teamId, viewerOfA.membershipId, adminOfA.token);
      const name = (await db().getRepository(TeamEntity).findOneByOrFail({ id: teamId })).name;
      const response = await run('Teams', { organisationId: orgA.id, search: name }, adminOfA.token);
      expect(response.data.organisation.teams.edges.map((edge: any) => edge.node)).toEqual([{ id: teamId, name, description: '', memberCount: 2, createdAt: expect.any(String) }]);
    });

    it("refuses a malformed cursor and another list's cursor with BAD_USER_INPUT", async () => {
      const other = await run('Teams', { organisationId: orgA.id, first: 1 }, adminOfA.token);
      for (const after of ['garbage', Buffer.from('[1,2,3]').toString('base64url'), other.data.organisation.teams.pageInfo.endCursor]) {
        const response = await run('Teams', { organisationId: organisation.id, first: 2, after }, adminOfOrganisation.token);
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      }
    });

    it("shows an Admin of A nothing of B's teams", async () => {
      const response = await run('Teams', { organisationId: organisation.id }, adminOfA.token);
      expect(response.errors).toBeUndefined();
      expect(response.data.organisation).toBeNull();
    });
  });

  describe('TeamDetail', () => {
    it('pages the members, managers first, then by when they were added, without gaps or duplicates', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const people = [];
      for (let index = 0; index < 5; index += 1) people.push(await memberWith(service, orgA.id, ['viewer'], { name: `Person ${index}` }));
      for (const person of people) await addToTeam(teamId, person.membershipId, adminOfA.token, person === people[3] ? TeamMemberRole.MANAGER : TeamMemberRole.MEMBER);
      const viewerRole = await builtInRole(orgA.id, 'viewer');
      await run('SetTeamRoles', { teamId, roleIds: [viewerRole.id] }, adminOfA.token);

      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page += 1) {
        const response: GraphQLResponse = await run('TeamDetail', { id: teamId, first: 2, after }, adminOfA.token);
        expect(response.errors).toBeUndefined();
        const team = response.data.team;
        expect(team).toMatchObject({ id: teamId, description: '', organisation: { id: orgA.id }, grantedRoles: [{ id: viewerRole.id, name: 'Viewer' }] });
        expect(team.members.totalCount).toBe(5);
        for (const edge of team.members.edges) {
          expect(edge.node).toEqual({ role: expect.any(String), addedAt: expect.any(String), member: { id: expect.any(String), status: 'ACTIVE', user: { id: expect.any(String), displayName: expect.any(String), email: expect.any(String) } } });
          seen.push(edge.node.member.id);
        }
        if (!team.members.pageInfo.hasNextPage) break;
        after = team.members.pageInfo.endCursor;
      }
      expect(seen).toEqual([people[3], people[0], people[1], people[2], people[4]].map((person) => person.membershipId));
    });

    it('refuses a malformed members cursor with BAD_USER_INPUT', async () => {
      const teamId = await createTeam(orgA.id, adminOfA.token);
      const response = await run('TeamDetail', { id: teamId, first: 2, after: 'garbage' }, adminOfA.token);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });

    it("answers null for another organisation's team", async () => {
      const teamOfB = await createTeam(orgB.id, adminOfB.token);
      expect(await run('TeamDetail', { id: teamOfB }, adminOfA.token)).toEqual({ data: { team: null } });
    });
  });

  describe('_entities', () => {
    it("resolves the caller's organisation's teams and null for another organisation's", async () => {
      const own = await createTeam(orgA.id, adminOfA.token);
      const theirs = await createTeam(orgB.id, adminOfB.token);
      const response = await service.graphql(
        ENTITIES,
        { representations: [{ __typename: 'Team', id: own }, { __typename: 'Team', id: theirs }, { __typename: 'Team', id: NO_SUCH_ID }] },
        memberOfA.token,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data._entities).toEqual([{ __typename: 'Team', id: own, name: expect.any(String) }, null, null]);
    });
  });
});
