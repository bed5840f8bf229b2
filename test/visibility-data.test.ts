import 'reflect-metadata';
import { MembershipStatus } from '../src/memberships/membership-status';
import { createOrganisation, memberWith, platformAdmin, type TestOrganisation } from './support/factories';
import { startTestService, type TestService } from './support/test-service';

/**
 * Visibility rules read data: a member sees their own roles, teams and team places because their
 * membership holds them (the access snapshot), whatever its status, not because a resolver flagged the
 * objects as reached through it.
 */
describe('visibility from the membership data', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  let teamId: string;
  let otherTeamId: string;

  beforeAll(async () => {
    service = await startTestService();
    organisation = await createOrganisation(service, await platformAdmin(service));
    const create = (name: string) =>
      service.graphql('mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }', { input: { organisationId: organisation.id, name } }, organisation.owner.token);
    teamId = (await create('Mine')).data.createTeam.id;
    otherTeamId = (await create('Theirs')).data.createTeam.id;
  });

  afterAll(async () => {
    await service?.stop();
  });

  const MINE = '{ viewer { memberships { status roles { name permissions } teams { role team { id name } } } } }';

  it.each([MembershipStatus.PENDING_APPROVAL, MembershipStatus.DEACTIVATED])('shows a %s member (no permissions) their own roles, teams and places', async (status) => {
    const member = await memberWith(service, organisation.id, ['member'], { status });
    await service.database.dataSource.query(`INSERT INTO team_members (team_id, membership_id, organisation_id, role) VALUES ($1, $2, $3, 'MEMBER')`, [teamId, member.membershipId, organisation.id]);
    const response = await service.graphql(MINE, {}, member.token);
    expect(response.errors).toBeUndefined();
    expect(response.data.viewer.memberships).toEqual([
      { status, roles: [{ name: 'Member', permissions: expect.arrayContaining(['org:read']) }], teams: [{ role: 'MEMBER', team: { id: teamId, name: 'Mine' } }] },
    ]);
    // Holding nothing, they see no team they are not in, nor the organisation's roles.
    const other = await service.graphql('query($id: ID!) { team(id: $id) { id } }', { id: otherTeamId }, member.token);
    expect(other.data.team).toBeNull();
    const mine = await service.graphql('query($id: ID!) { team(id: $id) { id name viewerPermissions } }', { id: teamId }, member.token);
    expect(mine.data?.team ?? null).toBeNull();
  });

  it('shows an active member the roles and teams of their own membership, and no one else’s places through it', async () => {
    const member = await memberWith(service, organisation.id, ['viewer']);
    await service.database.dataSource.query(`INSERT INTO team_members (team_id, membership_id, organisation_id, role) VALUES ($1, $2, $3, 'MEMBER')`, [otherTeamId, member.membershipId, organisation.id]);
    const response = await service.graphql(MINE, {}, member.token);
    expect(response.errors).toBeUndefined();
    expect(response.data.viewer.memberships[0].teams).toEqual([{ role: 'MEMBER', team: { id: otherTeamId, name: 'Theirs' } }]);
    const team = await service.graphql('query($id: ID!) { team(id: $id) { id viewerPermissions } }', { id: otherTeamId }, member.token);
    expect(team.errors).toBeUndefined();
    expect(team.data.team.viewerPermissions).toEqual(['members:read', 'org:read', 'teams:read']);
  });
});
