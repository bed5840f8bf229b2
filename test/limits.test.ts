import { isEnumType, isInputObjectType, isListType, isNonNullType, Kind, typeFromAST, type GraphQLInputType, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { contractDocument, contractOperation, contractOperationNames } from './support/contract';
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
    expect(response.errors?.[0].extensions).toMatchObject({ limit: 'MAX_QUERY_COST', maximum: 250_000, actual: expect.any(Number) });
    expect(response.data).toBeUndefined();
  });

  it('refuses an operation nested deeper than MAX_QUERY_DEPTH', async () => {
    let selection = 'id';
    for (let depth = 0; depth < 7; depth += 1) selection = `user { memberships { ${selection} } }`;
    const response = await service.graphql(`{ viewer { memberships { ${selection} } } }`, {}, organisation.owner.token);
    expect(response.errors?.[0].message).toMatch(/nested \d+ levels deep/);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0].extensions).toMatchObject({ limit: 'MAX_QUERY_DEPTH', maximum: 12, actual: 17 });
    expect(response.data).toBeUndefined();
  });

  it('leaves every contract operation well inside the document limits (tokens, selections, depth)', async () => {
    const { Kind, Lexer, Source, TokenKind, parse, validate } = await import('graphql');
    const { documentLimitOptions } = await import('../src/core/graphql/query-limits');
    const { buildAppSchema } = await import('../src/core/graphql/build-schema');
    const { loadConfig } = await import('../src/core/config');
    const config = loadConfig({});
    const schema = await buildAppSchema({ rules: false });
    // Margins: an operation that grows a little must not start failing (half of each count, two levels of depth).
    const half = documentLimitOptions({ ...config, MAX_QUERY_DEPTH: config.MAX_QUERY_DEPTH - 2, MAX_QUERY_ALIASES: config.MAX_QUERY_ALIASES / 2, MAX_QUERY_DIRECTIVES: config.MAX_QUERY_DIRECTIVES / 2 });
    const tokens: Record<string, number> = {};
    const selections: Record<string, number> = {};
    for (const name of contractOperationNames()) {
      const text = contractOperation(name);
      const lexer = new Lexer(new Source(text));
      let count = 0;
      while (lexer.advance().kind !== TokenKind.EOF) count += 1;
      tokens[name] = count;
      const document = parse(text);
      const errors = validate(schema, document, half.validationRules);
      expect([name, errors.map((error) => error.message)]).toEqual([name, []]);
      // Selections with fragments expanded, as Apollo's maxRecursiveSelections counts them.
      const fragments = new Map(document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition.selectionSet] as const] : [])));
      const expanded = (set: SelectionSetNode): number =>
        set.selections.reduce((sum, selection) => sum + 1 + (selection.kind === Kind.FRAGMENT_SPREAD ? expanded(fragments.get(selection.name.value) as SelectionSetNode) : selection.selectionSet ? expanded(selection.selectionSet) : 0), 0);
      const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
      selections[name] = expanded(operation.selectionSet);
    }
    process.stdout.write(`Contract operation tokens, limit ${config.MAX_QUERY_TOKENS}: ${JSON.stringify(tokens)}\n`);
    process.stdout.write(`Contract operation selections, limit ${config.MAX_QUERY_NODES}: ${JSON.stringify(selections)}\n`);
    expect(Math.max(...Object.values(tokens))).toBeLessThanOrEqual(config.MAX_QUERY_TOKENS / 2);
    expect(Math.max(...Object.values(selections))).toBeLessThanOrEqual(config.MAX_QUERY_NODES / 2);
  });

  it('answers the heaviest dashboard page (Members, 100 rows) with a tenth of MAX_LIST_ITEMS and MAX_RESPONSE_BYTES at most', async () => {
    const { loadConfig } = await import('../src/core/config');
    const { seedMembers } = await import('./support/seed');
    const config = loadConfig({});
    await seedMembers(service.database.dataSource, organisation.id, { count: 100, rolesEach: 3, teamsEach: 2 });
    const response = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${organisation.owner.token}` },
      body: JSON.stringify({ query: contractOperation('Members'), variables: { organisationId: organisation.id, first: 100 } }),
    });
    const text = await response.text();
    const body = JSON.parse(text) as { data?: unknown; errors?: unknown };
    expect(body.errors).toBeUndefined();
    const items = (value: unknown): number =>
      Array.isArray(value) ? value.length + value.reduce((sum: number, item) => sum + items(item), 0) : value && typeof value === 'object' ? Object.values(value).reduce((sum: number, item) => sum + items(item), 0) : 0;
    const figures = { listItems: items(body.data), bytes: Buffer.byteLength(text) };
    process.stdout.write(`Members, 100 rows of 3 roles and 2 teams: ${JSON.stringify(figures)} (limits ${config.MAX_LIST_ITEMS} items, ${config.MAX_RESPONSE_BYTES} bytes)\n`);
    expect(figures.listItems).toBeLessThanOrEqual(config.MAX_LIST_ITEMS / 10);
    expect(figures.bytes).toBeLessThanOrEqual(config.MAX_RESPONSE_BYTES / 10);
  });

  it('counts _entities by their representations', async () => {
    // 1,000: the most one request may send (more are refused before pricing, test/hostile-input.test.ts).
    const representations = Array.from({ length: 1_000 }, () => ({ __typename: 'Organisation', id: organisation.id }));
    const selection = '... on Organisation { id name slug members(first: 100) { totalCount edges { node { id } } } roles { id name permissions } }';
    const response = await service.graphql(`query($r: [_Any!]!) { _entities(representations: $r) { ${selection} } }`, { r: representations }, organisation.owner.token);
    expect(response.errors?.[0].message).toMatch(/too expensive/);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('resolves the documented maximum of _entities representations (1,000) and refuses one more', async () => {
    const { loadConfig } = await import('../src/core/config');
    expect(loadConfig({}).MAX_ENTITY_REPRESENTATIONS).toBe(1_000);
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Organisation { id name slug } ... on User { id displayName } } }';
    const representations = Array.from({ length: 1_000 }, (_, index) => (index % 2 ? { __typename: 'Organisation', id: organisation.id } : { __typename: 'User', id: organisation.owner.userId }));
    const response = await service.graphql(query, { r: representations }, organisation.owner.token);
    expect(response.errors).toBeUndefined();
    expect(response.data._entities).toHaveLength(1_000);
    expect(response.data._entities[1]).toEqual({ id: organisation.id, name: expect.any(String), slug: organisation.slug });
    const tooMany = await service.graphql(query, { r: [...representations, representations[0]] }, organisation.owner.token);
    expect(errorCodes(tooMany)).toEqual(['BAD_USER_INPUT']);
    expect(tooMany.errors?.[0]).toMatchObject({
      message: 'Too many _entities representations: 1001; at most 1000 per call',
      extensions: { limit: 'MAX_ENTITY_REPRESENTATIONS', maximum: 1_000, actual: 1_001 },
    });
    expect(tooMany.data).toBeUndefined();
  });
});
