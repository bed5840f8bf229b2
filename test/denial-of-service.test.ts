import { createOrganisation, platformAdmin, type TestOrganisation } from './support/factories';
import { seedMembers } from './support/seed';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

/** What the server spent on one request: it runs in this process, so its CPU time is ours. */
interface Sent {
  status: number;
  body: GraphQLResponse;
  wallMs: number;
  cpuMs: number;
}

async function send(service: TestService, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Sent> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const response = await fetch(service.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLResponse;
  const used = process.cpuUsage(cpu);
  return { status: response.status, body, wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

/** The reported attack: fragments each spreading the next one ten times (10^levels selections, ~80 bytes a level). */
export function fragmentFanOut(levels = 8, width = 10): string {
  const fragments = Array.from({ length: levels }, (_, level) => {
    const next = level + 1 < levels ? ` ...F${level + 1}`.repeat(width) : '';
    return `fragment F${level} on User { id${next} }`;
  });
  return `{ viewer { user { ...F0 } } }\n${fragments.join('\n')}`;
}

/** A chain of fragments each going two levels deeper: deep without a single deep-looking selection. */
function deepFragmentChain(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, level) => `fragment D${level} on User { memberships { user { ${level + 1 < levels ? `...D${level + 1}` : 'id'} } } }`);
  return `{ viewer { user { ...D0 } } }\n${fragments.join('\n')}`;
}

/** The padding that made the cost estimate throw (and the limit fail open): ~10,000 cheap fields. */
function cheapPadding(fields: number): string {
  return `{ viewer { memberships { ${'id '.repeat(fields)}} } }`;
}

describe('denial of service: hostile documents are refused fast, and the service stays responsive', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  let healthz: string;
  beforeAll(async () => {
    service = await startTestService();
    organisation = await createOrganisation(service, await platformAdmin(service));
    healthz = service.url.replace(/\/graphql$/, '/healthz');
  });
  afterAll(() => service.stop());

  const attacks: [string, () => string, string, RegExp][] = [
    ['fragment fan-out (the reported 10× spreads)', () => fragmentFanOut(), 'MAX_QUERY_NODES', /more than 1000 fields and fragments/],
    ['a wider, deeper fan-out (10^12 selections)', () => fragmentFanOut(12, 10), 'MAX_QUERY_NODES', /counted with fragments expanded/],
    ['a deep chain of fragments', () => deepFragmentChain(20), 'MAX_QUERY_DEPTH', /nested 43 levels deep; at most 12 allowed/],
    ['many aliases', () => `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: viewer { isPlatformAdmin }`).join(' ')} }`, 'MAX_QUERY_ALIASES', /40 aliases; at most 30/],
    ['many directives', () => `{ viewer { ${'isPlatformAdmin @include(if: true) '.repeat(60)}} }`, 'MAX_QUERY_DIRECTIVES', /60 directives; at most 50/],
    ['a huge token count (100 kB)', () => cheapPadding(33_000), 'MAX_QUERY_TOKENS', /more than 500 tokens/],
    ['~10,000 cheap nodes through fragments (the cost estimate used to throw)', () => `{ viewer { memberships { ...P ...P } } } fragment P on Membership { ${'...Q '.repeat(100)} } fragment Q on Membership { ${'id '.repeat(100)} }`, 'MAX_QUERY_NODES', /more than 1000/],
  ];

  it.each(attacks)('refuses %s with BAD_USER_INPUT and the figures, at once', async (_name, build, limit, message) => {
    const query = build();
    const sent = await send(service, query, {}, organisation.owner.token);
    expect(sent.status).toBe(400);
    expect(errorCodes(sent.body)).toEqual(['BAD_USER_INPUT']);
    expect(sent.body.errors?.[0].message).toMatch(message);
    expect(sent.body.errors?.[0].extensions).toMatchObject({ limit, maximum: expect.any(Number) });
    expect(sent.body.data).toBeUndefined();
    process.stdout.write(`${_name}: ${query.length} bytes, refused in ${sent.cpuMs.toFixed(1)} ms CPU (${sent.wallMs.toFixed(1)} ms wall)\n`);
    // The whole round trip (client, HTTP, token check, parsing, validation) in this process; validation
    // alone is timed below. Before the fix the first attack alone took 3.5–5.4 s.
    expect(sent.cpuMs).toBeLessThan(500);
  });

  it('keeps /healthz responsive while fan-out attacks are being sent', async () => {
    const attack = fragmentFanOut();
    expect(attack.length).toBeLessThan(700);
    // The same probe with no attack first: this machine's own latency, for comparison.
    const quiet: number[] = [];
    for (let probe = 0; probe < 10; probe += 1) {
      const started = performance.now();
      await fetch(healthz);
      quiet.push(performance.now() - started);
    }
    let attacking = true;
    const latencies: number[] = [];
    const probe = (async () => {
      while (attacking) {
        const started = performance.now();
        expect((await fetch(healthz)).status).toBe(200);
        latencies.push(performance.now() - started);
      }
    })();
    const attackers = Array.from({ length: 4 }, async () => {
      const refused: number[] = [];
      for (let round = 0; round < 10; round += 1) refused.push((await send(service, attack, {}, organisation.owner.token)).status);
      return refused;
    });
    const statuses = (await Promise.all(attackers)).flat();
    attacking = false;
    await probe;
    expect(statuses).toEqual(Array(40).fill(400));
    expect(latencies.length).toBeGreaterThan(5);
    latencies.sort((a, b) => a - b);
    quiet.sort((a, b) => a - b);
    process.stdout.write(
      `/healthz under fan-out attack: ${latencies.length} probes, median ${latencies[latencies.length >> 1].toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms ` +
        `(without attack: median ${quiet[5].toFixed(1)} ms, max ${quiet[9].toFixed(1)} ms)\n`,
    );
    // Before the fix one such request held the event loop for 3.5–5.4 s (/healthz waited 10.8 s).
    expect(latencies[latencies.length - 1]).toBeLessThan(1_000);
  });

  it('validates the worst documents under the token limit (graphql-js rules that are quadratic) in under 200 ms', async () => {
    // graphql-js compares every pair of same-named fields when checking that fields merge: quadratic in
    // the repeats. MAX_QUERY_TOKENS is what bounds it; these are the worst shapes found that fit in 500 tokens.
    const { parse, specifiedRules, validate } = await import('graphql');
    const { buildAppSchema } = await import('../src/core/graphql/build-schema');
    const { documentLimitOptions } = await import('../src/core/graphql/query-limits');
    const { loadConfig } = await import('../src/core/config');
    const config = loadConfig({});
    const schema = await buildAppSchema({ rules: false });
    const rules = [...specifiedRules, ...(documentLimitOptions(config).validationRules ?? [])];
    const worst = {
      'same field and sub-selection': `{ viewer { ${'memberships { id } '.repeat(120)}} }`,
      'same field, conflicting arguments': `{ ${Array.from({ length: 54 }, (_, i) => `organisation(id: "${i}") { id }`).join(' ')} }`,
      'many fragments on one selection': `{ viewer { ${Array.from({ length: 40 }, (_, i) => `...F${i}`).join(' ')} } } ${Array.from({ length: 40 }, (_, i) => `fragment F${i} on Viewer { memberships { id } }`).join(' ')}`,
    };
    const timings: Record<string, number> = {};
    for (const [name, text] of Object.entries(worst)) {
      // Each fits the token limit (the service would parse it), then validation is timed, fastest of three.
      const document = parse(text, documentLimitOptions(config).parseOptions);
      timings[name] = Infinity;
      for (let run = 0; run < 3; run += 1) {
        const started = performance.now();
        validate(schema, document, rules);
        timings[name] = Math.min(timings[name], performance.now() - started);
      }
    }
    process.stdout.write(`worst validation under ${config.MAX_QUERY_TOKENS} tokens (ms): ${JSON.stringify(timings, (_key, value) => (typeof value === 'number' ? Math.round(value * 10) / 10 : value))}\n`);
    expect(Math.max(...Object.values(timings))).toBeLessThan(200);
    const sent = await send(service, worst['same field and sub-selection'], {}, organisation.owner.token);
    expect(sent.body.errors).toBeUndefined();
  });

  it('refuses an operation whose variables cannot be priced, instead of running it unpriced', async () => {
    const sent = await send(service, 'query($first: Int) { organisation(id: "x") { members(first: $first) { totalCount } } }', { first: 'many' }, organisation.owner.token);
    expect(sent.status).toBe(400);
    expect(errorCodes(sent.body)).toEqual(['BAD_USER_INPUT']);
    expect(sent.body.errors?.[0].message).toMatch(/Variable "\$first" got invalid value/);
  });

  it('keeps suggestions outside production (the production tests below are not vacuous)', async () => {
    const field = await send(service, '{ viewer { isPlatformAdmn } }', {}, organisation.owner.token);
    expect(field.body.errors?.[0].message).toMatch(/Did you mean "isPlatformAdmin"\?/);
    const enumValue = await send(service, 'query($id: ID!, $o: MemberOrder) { organisation(id: $id) { members(orderBy: $o) { totalCount } } }', { id: organisation.id, o: { field: 'EMAL' } }, organisation.owner.token);
    expect(enumValue.body.errors?.[0].message).toMatch(/Did you mean the enum value "EMAIL"\?/);
  });

  it('answers a subscription with BAD_USER_INPUT, not an internal error', async () => {
    const sent = await send(service, 'subscription { viewer { isPlatformAdmin } }', {}, organisation.owner.token);
    expect(sent.status).toBe(400);
    expect(errorCodes(sent.body)).toEqual(['BAD_USER_INPUT']);
    expect(sent.body.errors?.[0].message).toMatch(/Subscriptions are not supported/);
  });
});

describe('every walker is linear in the document, whatever fragments expand to', () => {
  // In the service Apollo's selection count refuses a fan-out before these run; here each runs alone.
  it('graphql-armor (depth, aliases, directives) and the cost estimate answer a 10^12 fan-out in milliseconds', async () => {
    const { parse, validate } = await import('graphql');
    const { buildAppSchema } = await import('../src/core/graphql/build-schema');
    const { documentLimitOptions } = await import('../src/core/graphql/query-limits');
    const { costLimitPlugin } = await import('../src/core/graphql/cost-limit');
    const { loadConfig } = await import('../src/core/config');
    const config = loadConfig({});
    const schema = await buildAppSchema({ rules: false });
    const fanOut = parse(fragmentFanOut(12, 10));
    // The fastest of three runs: the first one also pays for compiling graphql-js's visitor.
    const fastest = async (work: () => unknown): Promise<number> => {
      let best = Infinity;
      for (let run = 0; run < 3; run += 1) {
        const started = performance.now();
        await work();
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    const armorMs = await fastest(() => expect(validate(schema, fanOut, documentLimitOptions(config).validationRules)).toEqual([]));
    // Deep and fanned out at once: the depth found is exact (memoised per fragment, not guessed).
    const deepFanOut = parse(`{ viewer { user { ...F0 } } } ${Array.from({ length: 12 }, (_, i) => `fragment F${i} on User { memberships { user { id${i < 11 ? ` ...F${i + 1}`.repeat(10) : ''} } } }`).join(' ')}`);
    const deepMs = await fastest(() =>
      expect(validate(schema, deepFanOut, documentLimitOptions(config).validationRules).map((error) => error.message)).toEqual(['Query is nested 27 levels deep; at most 12 allowed']),
    );
    // The estimate walks fragments as often as they are spread, but never more than MAX_QUERY_NODES selections.
    const listener = (await costLimitPlugin(schema, { maximumCost: config.MAX_QUERY_COST, maximumNodes: config.MAX_QUERY_NODES, maximumRepresentations: 1_000 }).requestDidStart?.({} as never)) as {
      didResolveOperation(context: unknown): Promise<void>;
    };
    const costMs = await fastest(() => expect(listener.didResolveOperation({ request: {}, document: fanOut })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } }));
    process.stdout.write(`10^12 fan-out: armor rules ${armorMs.toFixed(1)} ms, deep fan-out ${deepMs.toFixed(1)} ms, cost estimate refused in ${costMs.toFixed(1)} ms\n`);
    expect(Math.max(armorMs, deepMs, costMs)).toBeLessThan(200);
  });
});

describe('the cost estimate fails closed', () => {
  it('refuses an operation whose cost cannot be computed, whatever the reason', async () => {
    const { costLimitPlugin } = await import('../src/core/graphql/cost-limit');
    const { buildAppSchema } = await import('../src/core/graphql/build-schema');
    const { parse } = await import('graphql');
    const schema = await buildAppSchema({ rules: false });
    const plugin = costLimitPlugin(schema, { maximumCost: 1_000, maximumNodes: 100, maximumRepresentations: 10 });
    const listener = (await plugin.requestDidStart?.({} as never)) as { didResolveOperation(context: unknown): Promise<void> };
    // An operation type graphql-query-complexity cannot price (it throws a plain Error).
    const document = parse('{ viewer { isPlatformAdmin } }');
    const unpriceable = { ...document, definitions: [{ ...document.definitions[0], operation: 'unknown' }] };
    await expect(listener.didResolveOperation({ request: {}, document: unpriceable })).rejects.toMatchObject({
      message: 'Query cost could not be computed, so the operation was not run',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    // More selections than the estimate walks (validation refuses these first; the estimate refuses too).
    const padded = parse(`{ viewer { memberships { ${'id '.repeat(150)}} } }`);
    await expect(listener.didResolveOperation({ request: {}, document: padded })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    await expect(listener.didResolveOperation({ request: {}, document: parse('{ viewer { isPlatformAdmin } }') })).resolves.toBeUndefined();
  });
});

describe('what one answer may hold (MAX_LIST_ITEMS, MAX_RESPONSE_BYTES)', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  const members = `query($id: ID!, $first: Int) { organisation(id: $id) { members(first: $first) { edges { node { id roles { id name } teams { role } user { id email displayName } } } } } }`;
  beforeAll(async () => {
    service = await startTestService({ MAX_LIST_ITEMS: '300', MAX_RESPONSE_BYTES: '20000' });
    organisation = await createOrganisation(service, await platformAdmin(service));
    await seedMembers(service.database.dataSource, organisation.id, { count: 120, rolesEach: 2, teamsEach: 1 });
  });
  afterAll(() => service.stop());

  it('answers within both limits as usual', async () => {
    const sent = await send(service, members, { id: organisation.id, first: 20 }, organisation.owner.token);
    expect(sent.body.errors).toBeUndefined();
    expect(sent.body.data.organisation.members.edges).toHaveLength(20);
  });

  it('refuses a query resolving more list items than MAX_LIST_ITEMS: one error, no partial data', async () => {
    // 100 rows × (2 roles + 1 team) + 100 edges = 400 items > 300.
    const sent = await send(service, `query($id: ID!) { organisation(id: $id) { members(first: 100) { edges { node { roles { id } teams { role } } } } } }`, { id: organisation.id }, organisation.owner.token);
    expect(sent.status).toBe(400);
    expect(sent.body.data).toBeUndefined();
    expect(sent.body.errors).toEqual([
      { message: expect.stringMatching(/more than 300 list items/), extensions: { code: 'BAD_USER_INPUT', limit: 'MAX_LIST_ITEMS', maximum: 300 } },
    ]);
  });

  it('refuses an answer larger than MAX_RESPONSE_BYTES as a whole, never a cut body', async () => {
    // 60 rows: 240 list items (under 300), but more than 20,000 bytes.
    const sent = await send(service, members, { id: organisation.id, first: 60 }, organisation.owner.token);
    expect(sent.body.data).toBeUndefined();
    expect(sent.body.errors).toEqual([
      {
        message: expect.stringMatching(/more than the 20000 allowed/),
        extensions: { code: 'BAD_USER_INPUT', limit: 'MAX_RESPONSE_BYTES', maximum: 20_000, actual: expect.any(Number) },
      },
    ]);
    expect((sent.body.errors?.[0].extensions?.actual as number) > 20_000).toBe(true);
  });

  it('tells a mutation whose answer is too large that the change was applied', async () => {
    const sent = await send(
      service,
      `mutation($input: CreateTeamInput!) { createTeam(input: $input) { id organisation { members(first: 100) { edges { node { roles { id } teams { role } } } } } } }`,
      { input: { organisationId: organisation.id, name: 'Limits' } },
      organisation.owner.token,
    );
    expect(sent.body.errors).toEqual([{ message: expect.stringMatching(/list items.*the mutation itself was applied/), extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }]);
    const teams = await service.graphql(`query($id: ID!) { organisation(id: $id) { teams(search: "Limits") { totalCount } } }`, { id: organisation.id }, organisation.owner.token);
    expect(teams.data.organisation.teams.totalCount).toBe(1);
  });
});

describe('in production', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  beforeAll(async () => {
    service = await startTestService({ NODE_ENV: 'production' });
    organisation = await createOrganisation(service, await platformAdmin(service));
  });
  afterAll(() => service.stop());

  const probes: [string, string, Record<string, unknown>][] = [
    ['a misspelt field', '{ viewer { isPlatformAdmn } }', {}],
    ['a misspelt argument', '{ organisations(frist: 10) { totalCount } }', {}],
    ['a misspelt type', 'query($f: MemberFiltr) { viewer { isPlatformAdmin } }', {}],
    ['a misspelt input field in variables', 'mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }', { input: { organisationId: 'x', nme: 'A' } }],
    ['a misspelt enum value in variables', 'query($id: ID!, $o: MemberOrder) { organisation(id: $id) { members(orderBy: $o) { totalCount } } }', { id: 'x', o: { field: 'EMAL' } }],
    ['a field on the wrong type', '{ viewer { email } }', {}],
  ];

  it.each(probes)('gives no "Did you mean" for %s, and no stack trace', async (_name, query, variables) => {
    const sent = await send(service, query, { ...variables, ...(variables.id ? { id: organisation.id } : {}) }, organisation.owner.token);
    expect(sent.body.errors?.length).toBeGreaterThan(0);
    const text = JSON.stringify(sent.body);
    expect(text).not.toMatch(/Did you mean/i);
    expect(text).not.toMatch(/stacktrace|\bat [A-Za-z.<>]+ \(/);
  });

  it('refuses introspection but still serves the gateway its SDL', async () => {
    const introspection = await send(service, '{ __schema { types { name } } }', {}, organisation.owner.token);
    expect(errorCodes(introspection.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const sdl = await send(service, '{ _service { sdl } }');
    expect(sdl.body.data._service.sdl).toMatch(/type Organisation/);
  });

  it('refuses subscriptions with BAD_USER_INPUT there too', async () => {
    const sent = await send(service, 'subscription { viewer { isPlatformAdmin } }', {}, organisation.owner.token);
    expect(errorCodes(sent.body)).toEqual(['BAD_USER_INPUT']);
  });
});
