import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import { Kind, parse, type ConstArgumentNode, type DocumentNode, type ObjectTypeDefinitionNode } from 'graphql';
import { MembershipEntity } from '../src/memberships/membership.entity';
import { RoleEntity } from '../src/roles/role.entity';
import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { startGateway, type TestGateway } from './support/gateway';
import { startTestService, type TestService } from './support/test-service';

const COMMITTED_SDL = path.resolve(__dirname, '../schema/schema.graphql');
/** DESIGN.md §5: the entity types, each keyed by id. Those the schema has must carry the key. */
const ENTITY_TYPES = ['Organisation', 'User', 'Membership', 'Role', 'Team', 'Invitation', 'ReviewCampaign'];
const REQUIRED_ENTITY_TYPES = ['Organisation', 'User', 'Membership', 'Role'];

const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Organisation { id name slug }
    ... on User { id displayName }
    ... on Membership { id status }
    ... on Role { id name }
  }
}`;

const objectTypes = (document: DocumentNode) =>
  document.definitions.filter((definition): definition is ObjectTypeDefinitionNode => definition.kind === Kind.OBJECT_TYPE_DEFINITION);

function keyFields(type: ObjectTypeDefinitionNode): string[] {
  return (type.directives ?? [])
    .filter((directive) => directive.name.value === 'key')
    .map((directive) => (directive.arguments ?? []).find((argument: ConstArgumentNode) => argument.name.value === 'fields'))
    .map((argument) => (argument?.value.kind === Kind.STRING ? argument.value.value : ''));
}

describe('federation', () => {
  let service: TestService;
  let sdl: string;
  let orgA: TestOrganisation;
  let orgB: TestOrganisation;
  let adminOfA: SignedInUser & { membershipId: string };
  let memberOfB: SignedInUser & { membershipId: string };
  let roleOfA: string;
  let roleOfB: string;

  beforeAll(async () => {
    service = await startTestService();
    const response = await service.graphql('{ _service { sdl } }');
    expect(response.errors).toBeUndefined();
    sdl = response.data._service.sdl;
    const admin = await platformAdmin(service);
    orgA = await createOrganisation(service, admin);
    orgB = await createOrganisation(service, admin);
    adminOfA = await memberWith(service, orgA.id, ['admin']);
    memberOfB = await memberWith(service, orgB.id, ['member']);
    const roles = service.database.dataSource.getRepository(RoleEntity);
    roleOfA = (await roles.findOneByOrFail({ organisationId: orgA.id, builtInKey: 'viewer' })).id;
    roleOfB = (await roles.findOneByOrFail({ organisationId: orgB.id, builtInKey: 'viewer' })).id;
  });
  afterAll(() => service.stop());

  describe('_service', () => {
    it('declares @key(fields: "id") on every entity type the schema has', () => {
      const types = new Map(objectTypes(parse(sdl)).map((type) => [type.name.value, type]));
      for (const name of REQUIRED_ENTITY_TYPES) expect(types.has(name)).toBe(true);
      const present = ENTITY_TYPES.filter((name) => types.has(name));
      expect(present.map((name) => [name, keyFields(types.get(name) as ObjectTypeDefinitionNode)])).toEqual(present.map((name) => [name, ['id']]));
      // And nothing else claims to be an entity the design does not name.
      const keyed = [...types.values()].filter((type) => keyFields(type).length > 0).map((type) => type.name.value);
      expect(keyed.filter((name) => !ENTITY_TYPES.includes(name))).toEqual([]);
    });

    it('links Federation 2', () => {
      expect(sdl).toMatch(/@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/);
    });

    it('serves exactly the committed schema/schema.graphql', () => {
      // _service adds the federation directive definitions; printSubgraphSchema (what schema:print writes) leaves
      // them out. Printing the served SDL the same way must give the committed file, byte for byte.
      const served = printSubgraphSchema(buildSubgraphSchema(parse(sdl))).trim();
      const committed = fs.readFileSync(COMMITTED_SDL, 'utf8').trim();
      if (committed !== served) {
        const committedLines = committed.split('\n');
        const servedLines = served.split('\n');
        const line = servedLines.findIndex((text, index) => text !== committedLines[index]);
        const at = line === -1 ? committedLines.length : line;
        throw new Error(
          'schema/schema.graphql is out of date with the code: run `npm run schema:print` and commit the result ' +
            `(review the diff as an API change). First difference at line ${at + 1}:\n` +
            `  committed: ${committedLines[at] ?? '<end of file>'}\n  code:      ${servedLines[at] ?? '<end of file>'}`,
        );
      }
    });
  });

  describe('_entities', () => {
    const reps = () => ({
      own: [
        { __typename: 'Organisation', id: orgA.id },
        { __typename: 'User', id: adminOfA.userId },
        { __typename: 'Membership', id: adminOfA.membershipId },
        { __typename: 'Role', id: roleOfA },
      ],
      theirs: [
        { __typename: 'Organisation', id: orgB.id },
        { __typename: 'User', id: memberOfB.userId },
        { __typename: 'Membership', id: memberOfB.membershipId },
        { __typename: 'Role', id: roleOfB },
      ],
    });

    it('resolves your own organisation, yourself, your membership and a role of your organisation', async () => {
      const response = await service.graphql(ENTITIES, { representations: reps().own }, adminOfA.token);
      expect(response.errors).toBeUndefined();
      expect(response.data._entities).toEqual([
        { __typename: 'Organisation', id: orgA.id, name: `Organisation ${orgA.slug}`, slug: orgA.slug },
        { __typename: 'User', id: adminOfA.userId, displayName: expect.any(String) },
        { __typename: 'Membership', id: adminOfA.membershipId, status: 'ACTIVE' },
        { __typename: 'Role', id: roleOfA, name: 'Viewer' },
      ]);
    });

    it('resolves other members of your organisation (members:read)', async () => {
      const colleague = await memberWith(service, orgA.id, ['viewer']);
      const response = await service.graphql(
        ENTITIES,
        { representations: [{ __typename: 'User', id: colleague.userId }, { __typename: 'Membership', id: colleague.membershipId }] },
        adminOfA.token,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data._entities).toEqual([
        { __typename: 'User', id: colleague.userId, displayName: expect.any(String) },
        { __typename: 'Membership', id: colleague.membershipId, status: 'ACTIVE' },
      ]);
    });

    it('resolves another organisation’s objects to null for an Admin of A', async () => {
      const response = await service.graphql(ENTITIES, { representations: reps().theirs }, adminOfA.token);
      expect(response).toEqual({ data: { _entities: [null, null, null, null] } });
    });

    it('mixes own and foreign representations in one request, null exactly for the foreign ones', async () => {
      const { own, theirs } = reps();
      const interleaved = own.flatMap((mine, index) => [mine, theirs[index]]);
      const response = await service.graphql(ENTITIES, { representations: interleaved }, adminOfA.token);
      expect(response.errors).toBeUndefined();
      expect(response.data._entities.map((entity: { id: string } | null) => entity?.id ?? null)).toEqual(own.flatMap((mine) => [mine.id, null]));
    });

    it('keeps the boundary through aliases', async () => {
      const response = await service.graphql(
        `query($own: [_Any!]!, $theirs: [_Any!]!) {
          mine: _entities(representations: $own) { ... on Organisation { id } ... on User { id } ... on Membership { id } ... on Role { id } }
          theirs: _entities(representations: $theirs) { ... on Organisation { id name } ... on User { id displayName } ... on Membership { id status } ... on Role { id name } }
        }`,
        reps(),
        adminOfA.token,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data.mine.map((entity: { id: string }) => entity.id)).toEqual(reps().own.map((rep) => rep.id));
      expect(response.data.theirs).toEqual([null, null, null, null]);
    });

    it('resolves nothing without a token', async () => {
      const response = await service.graphql(ENTITIES, { representations: [...reps().own, ...reps().theirs] });
      expect(response.data._entities).toEqual(Array(8).fill(null));
      expect(response.errors).toBeUndefined();
    });

    it('resolves unknown and garbage ids to null', async () => {
      const response = await service.graphql(
        ENTITIES,
        {
          representations: [
            { __typename: 'Organisation', id: 'garbage' },
            { __typename: 'User', id: '00000000-0000-4000-8000-000000000000' },
            { __typename: 'Membership', id: '' },
            { __typename: 'Role', id: '00000000-0000-4000-8000-000000000000' },
          ],
        },
        adminOfA.token,
      );
      expect(response).toEqual({ data: { _entities: [null, null, null, null] } });
    });

    it('does not let a platform admin read memberships or roles of organisations they are not in', async () => {
      const admin = await platformAdmin(service);
      const response = await service.graphql(
        ENTITIES,
        { representations: [{ __typename: 'Membership', id: memberOfB.membershipId }, { __typename: 'Role', id: roleOfB }, { __typename: 'User', id: memberOfB.userId }] },
        admin.token,
      );
      expect(response).toEqual({ data: { _entities: [null, null, null] } });
    });

    it('loads every representation of a type in one statement (batched)', async () => {
      const colleagues = await Promise.all([1, 2, 3].map(() => memberWith(service, orgA.id, ['viewer'])));
      const measure = (count: number) =>
        service.countStatements(
          ENTITIES,
          { representations: colleagues.slice(0, count).map((colleague) => ({ __typename: 'Membership', id: colleague.membershipId })) },
          adminOfA.token,
        );
      const one = await measure(1);
      const three = await measure(3);
      expect(three.response.errors).toBeUndefined();
      expect(three.response.data._entities).toHaveLength(3);
      expect(three.count).toBe(one.count);
    });
  });

  describe('composition with another subgraph', () => {
    const BUDGETS_SDL = `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

      type User @key(fields: "id") {
        id: ID!
        budget: Int
      }

      type Organisation @key(fields: "id") {
        id: ID!
        monthlyBudget: Int
      }
    `;

    it('composes with a subgraph that extends User and Organisation, without errors', () => {
      const result = composeServices([
        { name: 'access', url: 'http://access.invalid/graphql', typeDefs: parse(sdl) },
        { name: 'budgets', url: 'http://budgets.invalid/graphql', typeDefs: parse(BUDGETS_SDL) },
      ]);
      expect(result.errors ?? []).toEqual([]);
      expect(result.supergraphSdl).toContain('budget: Int');
      expect(result.supergraphSdl).toContain('viewerPermissions');
    });

    describe('through an in-process gateway', () => {
      let budgets: { server: ApolloServer<{ authorization?: string }>; url: string };
      let gateway: TestGateway;
      const seenByBudgets: (string | undefined)[] = [];

      beforeAll(async () => {
        const budgetsServer = new ApolloServer<{ authorization?: string }>({
          plugins: [ApolloServerPluginInlineTraceDisabled()],
          schema: buildSubgraphSchema([
            {
              typeDefs: parse(BUDGETS_SDL),
              resolvers: {
                User: { __resolveReference: (reference: { id: string }) => ({ id: reference.id, budget: 1000 + reference.id.length }) },
                Organisation: { __resolveReference: (reference: { id: string }) => ({ id: reference.id, monthlyBudget: 50 }) },
              } as never,
            },
          ]),
        });
        const budgetsStarted = await startStandaloneServer(budgetsServer, {
          listen: { port: 0, host: '127.0.0.1' },
          context: async ({ req }) => {
            seenByBudgets.push(req.headers.authorization);
            return { authorization: req.headers.authorization };
          },
        });
        budgets = { server: budgetsServer, url: budgetsStarted.url };

        gateway = await startGateway([{ name: 'access', url: service.url }, { name: 'budgets', url: budgets.url }]);
      });

      afterAll(async () => {
        await gateway?.stop();
        await budgets?.server.stop();
      });

      it('answers viewer { user { id budget } } with fields from both subgraphs, passing the Authorization header', async () => {
        const user = await signIn(service);
        seenByBudgets.length = 0;
        const response = await gateway.query('{ viewer { isPlatformAdmin user { id displayName budget } } }', {}, user.token);
        expect(response.errors).toBeUndefined();
        expect(response.data.viewer).toEqual({ isPlatformAdmin: false, user: { id: user.userId, displayName: expect.any(String), budget: 1000 + user.userId.length } });
        expect(seenByBudgets).toEqual([`Bearer ${user.token}`]);
      });

      it('extends Organisation, and keeps the tenant boundary through the gateway', async () => {
        const response = await gateway.query(
          'query($a: ID!, $b: ID!) { mine: organisation(id: $a) { id slug monthlyBudget } theirs: organisation(id: $b) { id slug monthlyBudget } }',
          { a: orgA.id, b: orgB.id },
          adminOfA.token,
        );
        expect(response.errors).toBeUndefined();
        expect(response.data).toEqual({ mine: { id: orgA.id, slug: orgA.slug, monthlyBudget: 50 }, theirs: null });
      });

      it('refuses an unauthenticated viewer through the gateway with UNAUTHENTICATED', async () => {
        const response = await gateway.query('{ viewer { user { id budget } } }', {});
        expect(response.data ?? null).toBeNull();
        expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      });

      it('resolves the membership entities the gateway asks for with the caller’s rights', async () => {
        const response = await gateway.query('{ viewer { memberships { id status organisation { id monthlyBudget } } } }', {}, adminOfA.token);
        expect(response.errors).toBeUndefined();
        expect(response.data.viewer.memberships).toEqual([{ id: adminOfA.membershipId, status: 'ACTIVE', organisation: { id: orgA.id, monthlyBudget: 50 } }]);
        const stored = await service.database.dataSource.getRepository(MembershipEntity).findOneByOrFail({ id: adminOfA.membershipId });
        expect(stored.organisationId).toBe(orgA.id);
      });
    });
  });
});
