import { isEnumType, isInputObjectType, isListType, isNonNullType, Kind, typeFromAST, type GraphQLInputType, type OperationDefinitionNode } from 'graphql';
import { contractDocument, contractOperationNames } from './support/contract';
import { createOrganisation, platformAdmin, type TestOrganisation } from './support/factories';
import { errorCodes, startTestService, type TestService } from './support/test-service';

describe('request limits', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  beforeAll(async () => {
    service = await startTestService();
    organisation = await createOrganisation(service, await platformAdmin(service));
  });
  afterAll(() => service.stop());

  it('prices every contract operation at the largest page size well under the limit', async () => {
    const { buildAppSchema } = await import('../src/core/graphql/build-schema');
    const { estimateCost } = await import('../src/core/graphql/cost-limit');
    const { getComplexity } = await import('graphql-query-complexity');
    const { loadConfig } = await import('../src/core/config');
    const schema = await buildAppSchema({ rules: false });
    const maximum = loadConfig({}).MAX_QUERY_COST;
    // A valid value for every variable, at its most expensive: pages of 100.
    const sample = (type: GraphQLInputType, name: string): unknown => {
      if (isNonNullType(type)) return sample(type.ofType, name);
      if (isListType(type)) return [sample(type.ofType, name)];
      if (isEnumType(type)) return type.getValues()[0].value;
      if (isInputObjectType(type)) {
        return Object.fromEntries(Object.values(type.getFields()).filter((field) => isNonNullType(field.type)).map((field) => [field.name, sample(field.type, field.name)]));
      }
      if (type.name === 'Int') return name === 'first' ? 100 : 90;
      if (type.name === 'Boolean') return false;
      return 'x';
    };
    const costs: Record<string, number> = {};
    for (const name of contractOperationNames()) {
      const operation = contractDocument.definitions.find(
        (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION && definition.name?.value === name,
      ) as OperationDefinitionNode;
      const variables = Object.fromEntries(
        (operation.variableDefinitions ?? []).map((definition) => [definition.variable.name.value, sample(typeFromAST(schema, definition.type as never) as GraphQLInputType, definition.variable.name.value)]),
      );
      costs[name] = getComplexity({ schema, query: contractDocument, operationName: name, variables, estimators: [estimateCost] });
    }
    process.stdout.write(`Contract operation costs (first: 100), limit ${maximum}: ${JSON.stringify(costs)}\n`);
    expect(Math.max(...Object.values(costs))).toBeLessThanOrEqual(maximum / 2);
    expect(costs.Members).toBeGreaterThan(100); // pages are priced by their size
  });

  it('refuses an operation estimated above MAX_QUERY_COST, before running it', async () => {
    const query = `query($id: ID!) { organisation(id: $id) { members(first: 100) { edges { node { user { memberships { roles { id name permissions } teams { team { members(first: 100) { totalCount } } } } } } } } } }`;
    const response = await service.graphql(query, { id: organisation.id }, organisation.owner.token);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].message).toMatch(/too expensive/);
    expect(response.data).toBeUndefined();
  });

  it('refuses an operation nested deeper than MAX_QUERY_DEPTH', async () => {
    let selection = 'id';
    for (let depth = 0; depth < 7; depth += 1) selection = `user { memberships { ${selection} } }`;
    const response = await service.graphql(`{ viewer { memberships { ${selection} } } }`, {}, organisation.owner.token);
    expect(response.errors?.[0].message).toMatch(/nested \d+ levels deep/);
    expect(response.data).toBeUndefined();
  });

  it('counts _entities by their representations', async () => {
    // 1,000: the most one request may send (more are refused before pricing, test/hostile-input.test.ts).
    const representations = Array.from({ length: 1_000 }, () => ({ __typename: 'Organisation', id: organisation.id }));
    const selection = '... on Organisation { id name slug members(first: 100) { totalCount edges { node { id } } } roles { id name permissions } }';
    const response = await service.graphql(`query($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`, { r: representations }, organisation.owner.token);
    expect(response.errors?.[0].message).toMatch(/too expensive/);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });
});
