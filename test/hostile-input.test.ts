import type { GraphQLSchema } from 'graphql';
import { buildAppSchema } from '../src/core/graphql/build-schema';
import { loadConfig } from '../src/core/config';

const { MAX_ENTITY_REPRESENTATIONS } = loadConfig({});
import { createOrganisation, platformAdmin, type TestOrganisation } from './support/factories';
import { expectNothingWritten } from './support/nothing-written';
import { operationFor, stringInputs, type StringInput } from './support/schema-inputs';
import { errorCodes, startTestService, type TestService } from './support/test-service';

// Strings PostgreSQL cannot store: NUL (text refuses it), and unpaired UTF-16 surrogates (jsonb refuses them).
// A surrogate cannot be written into a document at all (GraphQL's lexer refuses it, escaped or not): variables only.
const UNSTORABLE: [string, string, ('variable' | 'literal')[]][] = [
  ['a NUL character', 'before\u0000after', ['variable', 'literal']],
  ['an unpaired surrogate', 'x\ud800y', ['variable']],
];

describe('hostile input: strings the database cannot store', () => {
  let service: TestService;
  let schema: GraphQLSchema;
  let inputs: StringInput[];
  let organisation: TestOrganisation;

  beforeAll(async () => {
    service = await startTestService();
    schema = await buildAppSchema({ rules: false });
    inputs = stringInputs(schema);
    organisation = await createOrganisation(service, await platformAdmin(service));
  });
  afterAll(() => service.stop());

  it('finds every string argument and input field of the schema (a new one is covered without touching this test)', () => {
    process.stdout.write(`String inputs of the schema (${inputs.length}):\n${inputs.map((input) => `  ${input.coordinate} → ${input.name}`).join('\n')}\n`);
    const names = new Set(inputs.map((input) => `${input.coordinate} ${input.name}`));
    // The ones that reached PostgreSQL as text and answered 500 before (issue 8), among all of them.
    for (const known of [
      'Mutation.createTeam(input) input.name',
      'Mutation.createTeam(input) input.description',
      'Mutation.updateTeam(input) input.name',
      'Mutation.createRole(input) input.name',
      'Mutation.createOrganisation(input) input.name',
      'Mutation.updateOrganisation(input) input.name',
      'Mutation.importMembers(input) input.csv',
      'Mutation.inviteUser(input) input.email',
      'Organisation.members(filter) filter.search',
      'Organisation.teams(search) search',
      'Organisation.auditLog(filter) filter.action',
      'Organisation.auditLog(filter) filter.targetType',
      'Organisation.auditLog(filter) filter.targetId',
      'Query.explainAccess(permission) permission',
      'Query._entities(representations) representations.id',
    ]) {
      expect(names).toContain(known);
    }
    expect(inputs.length).toBeGreaterThanOrEqual(60);
  });

  it('refuses every one of them as BAD_USER_INPUT naming the argument, as a variable and as a literal, and writes nothing', async () => {
    const outcomes: string[] = [];
    const attempt = async (input: StringInput, label: string, text: string, mode: 'variable' | 'literal') => {
      const { query, variables } = operationFor(schema, input, text, mode);
      const response = await fetch(service.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${organisation.owner.token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string; argument?: string } }[] };
      const [error] = body.errors ?? [];
      const named = error?.extensions?.argument?.replace(/\[\d+\]/g, '');
      const refused = response.status === 400 && body.errors?.length === 1 && error.extensions?.code === 'BAD_USER_INPUT' && body.data === undefined;
      if (!refused || named !== input.name || !error.message.includes(`"${error.extensions?.argument}"`)) {
        outcomes.push(`${input.coordinate} ${input.name} (${label}, ${mode}): HTTP ${response.status} ${JSON.stringify(body).slice(0, 300)}\n    ${query}`);
      }
    };
    await expectNothingWritten(service.database.dataSource, async () => {
      const attempts = inputs.flatMap((input) => UNSTORABLE.flatMap(([label, text, modes]) => modes.map((mode) => () => attempt(input, label, text, mode))));
      // A few at a time: the machine is shared.
      for (let index = 0; index < attempts.length; index += 6) await Promise.all(attempts.slice(index, index + 6).map((run) => run()));
    });
    expect(outcomes).toEqual([]);
  });

  it('still serves the same inputs with ordinary unicode (emoji, accents, right-to-left)', async () => {
    const response = await service.graphql(
      'mutation($input: CreateTeamInput!) { createTeam(input: $input) { name description } }',
      { input: { organisationId: organisation.id, name: 'Équipe 🚀 فريق', description: 'naïve — 🧪\u200d' } },
      organisation.owner.token,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data.createTeam).toEqual({ name: 'Équipe 🚀 فريق', description: 'naïve — 🧪\u200d' });
  });

  it(`accepts ${MAX_ENTITY_REPRESENTATIONS} _entities representations and refuses one more (BAD_USER_INPUT), before running`, async () => {
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Organisation { id } } }';
    const representations = (count: number) => Array.from({ length: count }, () => ({ __typename: 'Organisation', id: organisation.id }));
    const largest = await service.countStatements(query, { r: representations(MAX_ENTITY_REPRESENTATIONS) }, organisation.owner.token);
    expect(largest.response.errors).toBeUndefined();
    expect(largest.response.data._entities).toHaveLength(MAX_ENTITY_REPRESENTATIONS);
    expect(largest.count).toBeLessThanOrEqual(4);
    const tooMany = await service.graphql(query, { r: representations(MAX_ENTITY_REPRESENTATIONS + 1) }, organisation.owner.token);
    expect(errorCodes(tooMany)).toEqual(['BAD_USER_INPUT']);
    expect(tooMany.errors?.[0].message).toMatch(/at most 1000 per call/);
  });
});

describe('hostile tokens: claims the database cannot store', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  const claims: [string, Record<string, unknown>][] = [
    ['sub with NUL', { subject: 'user\u0000x' }],
    ['email with NUL', { email: 'ada\u0000@example.com' }],
    ['name with NUL', { name: 'Ada\u0000Lovelace' }],
    ['preferred_username with NUL', { name: undefined, claims: { name: undefined, preferred_username: 'ada\u0000' } }],
    ['name with an unpaired surrogate', { name: 'Ada \ud83d' }],
    ['sub with an unpaired surrogate', { subject: '\udfff' }],
  ];

  it.each(claims)('refuses a token whose %s like any invalid token (UNAUTHENTICATED), creating no user', async (_label, options) => {
    await expectNothingWritten(service.database.dataSource, async () => {
      const token = await service.token(options);
      const response = await service.graphql('{ viewer { user { id } } }', {}, token);
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    });
  });
});
