import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createOrganisation, memberWith, platformAdmin, type SignedInUser, type TestOrganisation } from './support/factories';
import { startGateway, type TestGateway } from './support/gateway';
import { startTestService, type TestService } from './support/test-service';

/**
 * The README recipe "Gating another subgraph's fields on this service's permissions": a second subgraph
 * extends Team and declares `budgetNotes @requires(fields: "viewerPermissions")`. The router first asks
 * this service for Team.viewerPermissions (with the caller's token, under this service's rules), then
 * hands them to the other subgraph in the entity representation, which shows its field only to callers
 * holding teams:update for that team (organisation-wide, or as the team's MANAGER).
 */
const PROJECTS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@external", "@requires"])

  type Team @key(fields: "id") {
    id: ID!
    viewerPermissions: [String!]! @external
    "Only for callers who may update the team (the access subgraph decides)"
    budgetNotes: String @requires(fields: "viewerPermissions")
  }
`;

type Representation = { __typename: 'Team'; id: string; viewerPermissions?: string[] };

describe('another subgraph gates its Team fields on Team.viewerPermissions (@requires)', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  let other: TestOrganisation;
  let teamId: string;
  let admin: SignedInUser;
  let manager: SignedInUser & { membershipId: string };
  let viewer: SignedInUser;
  let projects: { server: ApolloServer<object>; url: string };
  let gateway: TestGateway;
  const representations: Representation[] = [];

  beforeAll(async () => {
    service = await startTestService();
    const platform = await platformAdmin(service);
    organisation = await createOrganisation(service, platform);
    other = await createOrganisation(service, platform);
    admin = await memberWith(service, organisation.id, ['admin']);
    manager = await memberWith(service, organisation.id, ['viewer']);
    viewer = await memberWith(service, organisation.id, ['viewer']);
    const created = await service.graphql('mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }', { input: { organisationId: organisation.id, name: 'Budget' } }, organisation.owner.token);
    teamId = created.data.createTeam.id;
    const placed = await service.graphql(
      'mutation($input: TeamMemberInput!) { addTeamMember(input: $input) { role } }',
      { input: { teamId, membershipId: manager.membershipId, role: 'MANAGER' } },
      organisation.owner.token,
    );
    expect(placed.errors).toBeUndefined();

    const projectsServer = new ApolloServer<object>({
      plugins: [ApolloServerPluginInlineTraceDisabled()],
      schema: buildSubgraphSchema([
        {
          typeDefs: parse(PROJECTS_SDL),
          resolvers: {
            Team: {
              __resolveReference: (reference: Representation) => {
                representations.push(reference);
                return reference;
              },
              // The other subgraph's whole authorization: what the access subgraph said the caller may do here.
              budgetNotes: (team: Representation) => (team.viewerPermissions?.includes('teams:update') ? `notes of ${team.id}` : null),
            },
          } as never,
        },
      ]),
    });
    const projectsStarted = await startStandaloneServer(projectsServer, { listen: { port: 0, host: '127.0.0.1' } });
    projects = { server: projectsServer, url: projectsStarted.url };

    gateway = await startGateway([{ name: 'access', url: service.url }, { name: 'projects', url: projects.url }]);
  });

  afterAll(async () => {
    await gateway?.stop();
    await projects?.server.stop();
    await service?.stop();
  });

  const TEAM = 'query($id: ID!) { team(id: $id) { id name budgetNotes } }';

  it('composes: Team.viewerPermissions is what the other subgraph may require', async () => {
    const sdl = (await service.graphql('{ _service { sdl } }')).data._service.sdl as string;
    const result = composeServices([
      { name: 'access', url: 'http://access.invalid/graphql', typeDefs: parse(sdl) },
      { name: 'projects', url: 'http://projects.invalid/graphql', typeDefs: parse(PROJECTS_SDL) },
    ]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.supergraphSdl).toContain('budgetNotes: String');
  });

  it('shows the field to an organisation-wide holder of teams:update', async () => {
    representations.length = 0;
    const response = await gateway.query(TEAM, { id: teamId }, admin.token);
    expect(response.errors).toBeUndefined();
    expect(response.data.team).toEqual({ id: teamId, name: 'Budget', budgetNotes: `notes of ${teamId}` });
    // The router fetched viewerPermissions from this service and handed them over.
    expect(representations).toEqual([{ __typename: 'Team', id: teamId, viewerPermissions: expect.arrayContaining(['teams:update', 'teams:delete']) }]);
  });

  it("shows it to the team's MANAGER (team scope), who holds teams:update only for this team", async () => {
    representations.length = 0;
    const response = await gateway.query(TEAM, { id: teamId }, manager.token);
    expect(response.errors).toBeUndefined();
    expect(response.data.team.budgetNotes).toBe(`notes of ${teamId}`);
    expect(representations[0].viewerPermissions).toContain('teams:manage-members');
    expect(representations[0].viewerPermissions).not.toContain('teams:delete');
    const organisationWide = await service.graphql('query($id: ID!) { organisation(id: $id) { viewerPermissions } }', { id: organisation.id }, manager.token);
    expect(organisationWide.data.organisation.viewerPermissions).not.toContain('teams:update');
  });

  it('hides it (null, no error) from a member who may read the team but not update it', async () => {
    const response = await gateway.query(TEAM, { id: teamId }, viewer.token);
    expect(response.errors).toBeUndefined();
    expect(response.data.team).toEqual({ id: teamId, name: 'Budget', budgetNotes: null });
  });

  it("gives another organisation's member nothing: the team is null, and _entities answers null", async () => {
    const response = await gateway.query(TEAM, { id: teamId }, other.owner.token);
    expect(response.errors).toBeUndefined();
    expect(response.data.team).toBeNull();
    // As the router would ask this service directly for the required field.
    const entities = await service.graphql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Team { id viewerPermissions } } }',
      { r: [{ __typename: 'Team', id: teamId }] },
      other.owner.token,
    );
    expect(entities.data._entities).toEqual([null]);
    const own = await service.graphql('query($r: [_Any!]!) { _entities(representations: $r) { ... on Team { id viewerPermissions } } }', { r: [{ __typename: 'Team', id: teamId }] }, manager.token);
    expect(own.data._entities[0].viewerPermissions).toEqual(expect.arrayContaining(['teams:update', 'teams:read']));
  });
});
