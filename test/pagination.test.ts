import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

const PAGE_INFO = 'totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node';
const PAGE_ARGUMENTS = 'first: $first, after: $after, last: $last, before: $before';
const PAGE_VARIABLES = '$first: Int, $after: String, $last: Int, $before: String';

interface Page {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  ids: string[];
  cursors: string[];
}

/** One connection of the schema, as a client pages through it. */
interface ListCase {
  name: string;
  query: string;
  variables: () => Record<string, unknown>;
  token: () => string;
  connection: (data: any) => any;
  /** The node's identity in the page. */
  id: (node: any) => string;
  /** The same list in another organisation / order / filter: its cursors must be refused here. */
  otherList: () => { variables: Record<string, unknown>; token: string };
}

describe('keyset pagination of every connection: forward, backward, exact page facts, authenticated cursors', () => {
  let service: TestService;
  let admin: SignedInUser;
  let organisation: TestOrganisation;
  let other: TestOrganisation;
  let joiner: SignedInUser;
  let teamId: string;
  let campaignId: string;
  const sql = <T = any>(query: string, parameters: unknown[] = []): Promise<T[]> => service.database.dataSource.query(query, parameters);
  const SIZE = 7;

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
    organisation = await createOrganisation(service, admin);
    other = await createOrganisation(service, admin);
    // The other organisation's lists hold something, so they have cursors to try here.
    await sql(`INSERT INTO teams (organisation_id, name) VALUES ($1, 'Elsewhere')`, [other.id]);
    await sql(`INSERT INTO invitations (organisation_id, email, token_hash, expires_at) VALUES ($1, 'elsewhere@example.com', md5(random()::text), now() + interval '1 day')`, [other.id]);
    // Six more members (seven with the owner), some joined at the same instant (ties break on the id).
    await sql(
      `WITH people AS (
         INSERT INTO users (email, display_name, email_verified) SELECT 'page-' || n || '-' || $2 || '@example.com', 'Page Person ' || n, true
         FROM generate_series(1, 6) n RETURNING id, display_name)
       INSERT INTO memberships (organisation_id, user_id, joined_at)
       SELECT $1, id, '2024-01-01T00:00:00Z'::timestamptz + (right(display_name, 1)::int / 2) * interval '1 microsecond' FROM people`,
      [organisation.id, Date.now()],
    );
    const teams = await sql(`INSERT INTO teams (organisation_id, name) SELECT $1, 'Team ' || chr(64 + n) FROM generate_series(1, $2::int) n RETURNING id`, [organisation.id, SIZE]);
    teamId = teams[SIZE - 1].id;
    await sql(
      `INSERT INTO team_members (team_id, membership_id, organisation_id, role, added_at)
       SELECT $1, m.id, $2, CASE WHEN row_number() OVER (ORDER BY m.id) <= 2 THEN 'MANAGER' ELSE 'MEMBER' END, '2024-02-01T00:00:00Z'
       FROM memberships m WHERE m.organisation_id = $2`,
      [teamId, organisation.id],
    );
    await sql(
      `INSERT INTO invitations (organisation_id, email, token_hash, expires_at, created_at)
       SELECT $1, 'invited-' || n || '@example.com', md5(random()::text || n), now() + interval '7 days', '2024-03-01T00:00:00Z'::timestamptz + (n / 3) * interval '1 second'
       FROM generate_series(1, $2::int) n`,
      [organisation.id, SIZE],
    );
    await sql(
      `INSERT INTO audit_events (organisation_id, action, target_type, occurred_at)
       SELECT $1, 'test.page', 'Test', '2024-04-01T00:00:00Z'::timestamptz + (n / 2) * interval '1 millisecond' FROM generate_series(1, $2::int) n`,
      [organisation.id, SIZE],
    );
    // Review campaigns (some created at the same instant) and one campaign's items, half of them decided.
    const campaigns = await sql(
      `INSERT INTO review_campaigns (organisation_id, name, scope_kind, due_at, default_decision, created_at)
       SELECT $1, 'Review ' || n, 'ALL', now() + interval '7 days', 'KEEP', '2024-06-01T00:00:00Z'::timestamptz + (n / 2) * interval '1 second'
       FROM generate_series(1, $2::int) n RETURNING id`,
      [organisation.id, SIZE],
    );
    campaignId = campaigns[0].id;
    await sql(`INSERT INTO review_campaigns (organisation_id, name, scope_kind, due_at, default_decision) VALUES ($1, 'Elsewhere', 'ALL', now() + interval '7 days', 'KEEP')`, [other.id]);
    await sql(
      `INSERT INTO review_items (organisation_id, campaign_id, position, kind, membership_id, user_id, grant_name, decision, decided_at, outcome)
       SELECT $1, $2, n, 'ROLE', m.id, m.user_id, 'Member', CASE WHEN n % 2 = 0 THEN 'KEEP' END, CASE WHEN n % 2 = 0 THEN now() END, CASE WHEN n % 2 = 0 THEN 'KEPT' ELSE 'PENDING' END
       FROM (SELECT id, user_id, row_number() OVER (ORDER BY id) AS n FROM memberships WHERE organisation_id = $1) m`,
      [organisation.id, campaignId],
    );
    // Elevation requests (some created at the same instant), decided, by every member but the owner, for the Member role.
    await sql(
      `INSERT INTO elevation_requests (organisation_id, requester_membership_id, role_id, hours, reason, status, pending_until, created_at)
       SELECT $1, m.id, r.id, 1, 'paging', 'DENIED', now(), '2024-07-01T00:00:00Z'::timestamptz + (row_number() OVER (ORDER BY m.id) / 2) * interval '1 second'
       FROM memberships m JOIN roles r ON r.organisation_id = m.organisation_id AND r.built_in_key = 'member'
       WHERE m.organisation_id = $1 AND m.user_id <> $2`,
      [organisation.id, organisation.owner.userId],
    );
    joiner = await signIn(service);
    await sql(
      `WITH made AS (INSERT INTO organisations (name, slug, created_at) SELECT 'Paged ' || n, 'paged-' || n || '-' || $2, '2024-05-01T00:00:00Z'::timestamptz + (n / 2) * interval '1 second'
                     FROM generate_series(1, $3::int) n RETURNING id)
       INSERT INTO memberships (organisation_id, user_id) SELECT id, $1 FROM made`,
      [joiner.userId, Date.now().toString(36), SIZE],
    );
  });
  afterAll(() => service.stop());

  const onOrganisation = (field: string, extra = '', selection = 'id') => ({
    query: `query($id: ID!, ${PAGE_VARIABLES}${extra ? `, ${extra.split('|')[0]}` : ''}) { organisation(id: $id) { ${field}(${PAGE_ARGUMENTS}${extra ? `, ${extra.split('|')[1]}` : ''}) { ${PAGE_INFO} { ${selection} } } } } }`,
    connection: (data: any) => data.organisation[field],
  });

  const cases: ListCase[] = [
    {
      name: 'Organisation.members',
      ...onOrganisation('members', '$orderBy: MemberOrder|orderBy: $orderBy'),
      variables: () => ({ id: organisation.id }),
      token: () => organisation.owner.token,
      id: (node) => node.id,
      otherList: () => ({ variables: { id: organisation.id, orderBy: { field: 'JOINED_AT', direction: 'DESC' } }, token: organisation.owner.token }),
    },
    {
      name: 'Organisation.members (filtered, by display name descending)',
      ...onOrganisation('members', '$filter: MemberFilter, $orderBy: MemberOrder|filter: $filter, orderBy: $orderBy'),
      variables: () => ({ id: organisation.id, filter: { search: 'person' }, orderBy: { field: 'DISPLAY_NAME', direction: 'DESC' } }),
      token: () => organisation.owner.token,
      id: (node) => node.id,
      otherList: () => ({ variables: { id: organisation.id, filter: { search: 'page' }, orderBy: { field: 'DISPLAY_NAME', direction: 'DESC' } }, token: organisation.owner.token }),
    },
    {
      name: 'Organisation.teams',
      ...onOrganisation('teams'),
      variables: () => ({ id: organisation.id }),
      token: () => organisation.owner.token,
      id: (node) => node.id,
      otherList: () => ({ variables: { id: other.id }, token: other.owner.token }),
    },
    {
      name: 'Team.members',
      query: `query($id: ID!, ${PAGE_VARIABLES}) { team(id: $id) { members(${PAGE_ARGUMENTS}) { ${PAGE_INFO} { role member { id } } } } } }`,
      connection: (data) => data.team.members,
      variables: () => ({ id: teamId }),
      token: () => organisation.owner.token,
      id: (node) => node.member.id,
      otherList: () => ({ variables: { id: null }, token: organisation.owner.token }),
    },
    {
      name: 'Organisation.invitations',
      ...onOrganisation('invitations'),
      variables: () => ({ id: organisation.id }),
      token: () => organisation.owner.token,
      id: (node) => node.id,
      otherList: () => ({ variables: { id: other.id }, token: other.owner.token }),
    },
    {
      name: 'Organisation.auditLog',
      ...onOrganisation('auditLog', '$filter: AuditFilter|filter: $filter'),
      variables: () => ({ id: organisation.id, filter: { action: 'test.page' } }),
      token: () => organisation.owner.token,
      id: (node) => node.id,
      otherList: () => ({ variables: { id: organisation.id, filter: { action: 'test.' } }, token: organisation.owner.token }),
    },
    {
      name: 'Organisation.reviewCampaigns',
      ...onOrganisation('reviewCampaigns'),
      variables: () => ({ id: organisation.id }),
      token: () => organisation.owner.token,
      id: (node) => node.id,
      otherList: () => ({ variables: { id: other.id }, token: other.owner.token }),
    },
    {
      name: 'Organisation.elevationRequests',
      ...onOrganisation('elevationRequests', '$status: ElevationStatus|status: $status'),
      variables: () => ({ id: organisation.id }),
      token: () => organisation.owner.token,
      id: (node) => node.id,
      otherList: () => ({ variables: { id: organisation.id, status: 'DENIED' }, token: organisation.owner.token }),
    },
    {
      name: 'ReviewCampaign.items',
      query: `query($id: ID!, $decided: Boolean, ${PAGE_VARIABLES}) { reviewCampaign(id: $id) { items(${PAGE_ARGUMENTS}, decided: $decided) { ${PAGE_INFO} { id } } } } }`,
      connection: (data) => data.reviewCampaign.items,
      variables: () => ({ id: campaignId }),
      token: () => organisation.owner.token,
      id: (node) => node.id,
      otherList: () => ({ variables: { id: campaignId, decided: true }, token: organisation.owner.token }),
    },
    {
      name: 'Query.organisations',
      query: `query(${PAGE_VARIABLES}) { organisations(${PAGE_ARGUMENTS}) { ${PAGE_INFO} { id } } } }`,
      connection: (data) => data.organisations,
      variables: () => ({}),
      token: () => joiner.token,
      id: (node) => node.id,
      otherList: () => ({ variables: {}, token: organisation.owner.token }),
    },
  ];

  async function page(list: ListCase, args: Record<string, unknown>, variables = list.variables(), token = list.token()): Promise<Page> {
    const response = await service.graphql(list.query, { ...variables, ...args }, token);
    if (response.errors) throw new Error(`${list.name} ${JSON.stringify(args)}: ${JSON.stringify(response.errors)}`);
    const connection = list.connection(response.data);
    return {
      totalCount: connection.totalCount,
      pageInfo: connection.pageInfo,
      ids: connection.edges.map((edge: any) => list.id(edge.node)),
      cursors: connection.edges.map((edge: any) => edge.cursor),
    };
  }

  const raw = (list: ListCase, args: Record<string, unknown>, variables = list.variables(), token = list.token()): Promise<GraphQLResponse> =>
    service.graphql(list.query, { ...variables, ...args }, token);

  describe.each(cases.map((list) => [list.name, list] as const))('%s', (_name, list) => {
    let all: string[];
    beforeAll(async () => {
      const whole = await page(list, { first: 100 });
      all = whole.ids;
      expect(whole.totalCount).toBe(all.length);
      expect(whole.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    });

    it('holds enough items for several pages', () => {
      expect(all.length).toBeGreaterThanOrEqual(SIZE - 1);
      expect(new Set(all).size).toBe(all.length);
    });

    it('walks forward: every item once, in order; hasPreviousPage true after the first page; cursors match the edges', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let index = 0; ; index += 1) {
        const current: Page = await page(list, { first: 3, after });
        seen.push(...current.ids);
        expect(current.totalCount).toBe(all.length);
        expect(current.pageInfo.hasPreviousPage).toBe(index > 0);
        expect(current.pageInfo.startCursor).toBe(current.cursors[0] ?? null);
        expect(current.pageInfo.endCursor).toBe(current.cursors[current.cursors.length - 1] ?? null);
        if (!current.pageInfo.hasNextPage) break;
        after = current.pageInfo.endCursor;
      }
      expect(seen).toEqual(all);
    });

    it('walks backward with last/before: the same items in the same order; hasNextPage true after the last page', async () => {
      const pages: string[][] = [];
      let before: string | null = null;
      for (let index = 0; ; index += 1) {
        const current: Page = await page(list, { last: 3, before });
        pages.unshift(current.ids);
        expect(current.totalCount).toBe(all.length);
        expect(current.pageInfo.hasNextPage).toBe(index > 0);
        expect(current.pageInfo.startCursor).toBe(current.cursors[0] ?? null);
        expect(current.pageInfo.endCursor).toBe(current.cursors[current.cursors.length - 1] ?? null);
        if (!current.pageInfo.hasPreviousPage) break;
        before = current.pageInfo.startCursor;
      }
      expect(pages.flat()).toEqual(all);
    });

    it('turns around: back from a forward page gives what came before it; forward from a backward page what came after', async () => {
      const second = await page(list, { first: 3, after: (await page(list, { first: 2 })).pageInfo.endCursor });
      expect(second.ids).toEqual(all.slice(2, 5));
      const back = await page(list, { last: 2, before: second.pageInfo.startCursor });
      expect(back.ids).toEqual(all.slice(0, 2));
      expect(back.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
      const tail = await page(list, { last: 2 });
      expect(tail.ids).toEqual(all.slice(-2));
      expect(tail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
      const afterTail = await page(list, { first: 5, after: tail.pageInfo.startCursor });
      expect(afterTail.ids).toEqual(all.slice(-1));
      expect(afterTail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
      expect((await page(list, { last: 0 })).pageInfo).toMatchObject({ hasPreviousPage: true, startCursor: null, endCursor: null });
    });

    it.each([
      ['first with last', { first: 2, last: 2 }],
      ['after with before', { after: 'x', before: 'y' }],
      ['first with before', { first: 2, before: 'x' }],
      ['last with after', { last: 2, after: 'x' }],
      ['last above 100', { last: 101 }],
      ['a negative last', { last: -1 }],
      ['a before that is no cursor', { last: 2, before: 'garbage' }],
    ])('refuses %s with BAD_USER_INPUT', async (_label, args) => {
      expect(errorCodes(await raw(list, args))).toEqual(['BAD_USER_INPUT']);
    });

    it('refuses, in either direction, a cursor of another list (organisation, order or filter) and a tampered one', async () => {
      const foreign = list.otherList();
      if (foreign.variables.id === null) {
        // Another team of the same organisation, with one member.
        foreign.variables.id = (await sql(`INSERT INTO teams (organisation_id, name) VALUES ($1, 'Other ' || gen_random_uuid()) RETURNING id`, [organisation.id]))[0].id;
        await sql(`INSERT INTO team_members (team_id, membership_id, organisation_id) SELECT $1, id, $2 FROM memberships WHERE organisation_id = $2 LIMIT 1`, [
          foreign.variables.id,
          organisation.id,
        ]);
      }
      const theirs = await page(list, { first: 1 }, { ...list.variables(), ...foreign.variables }, foreign.token);
      const cursor = theirs.pageInfo.endCursor as string;
      expect(cursor).toBeTruthy();
      expect(errorCodes(await raw(list, { first: 2, after: cursor }))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await raw(list, { last: 2, before: cursor }))).toEqual(['BAD_USER_INPUT']);
      const ours = (await page(list, { first: 1 })).pageInfo.endCursor as string;
      const [payload, mac] = ours.split('.');
      const tampered = `${Buffer.from(JSON.stringify(JSON.parse(Buffer.from(payload, 'base64url').toString()).map((value: string) => `${value}0`))).toString('base64url')}.${mac}`;
      expect(errorCodes(await raw(list, { first: 2, after: tampered }))).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('cursors', () => {
    const members = cases[0];

    /** A cursor for `values` in `scope` under the service's real key: passes the HMAC, so only validation stands. */
    async function signed(scope: unknown[], values: unknown[]): Promise<string> {
      const [{ key }] = await sql<{ key: Buffer }>(`SELECT key FROM service_keys WHERE name = 'cursor-hmac'`);
      const payload = Buffer.from(JSON.stringify(values)).toString('base64url');
      const mac = createHmac('sha256', key).update(JSON.stringify(scope)).update('\n').update(payload).digest().subarray(0, 16).toString('base64url');
      return `${payload}.${mac}`;
    }

    it('checks the values of a correctly signed cursor too: out-of-range dates, non-integer ranks, NUL, bad ids', async () => {
      const scope = ['members', organisation.id, 'JOINED_AT', 'ASC', null, null, null, null];
      const genuine = await signed(scope, ['2024-01-01T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000']);
      expect(errorCodes(await raw(members, { first: 2, after: genuine }))).toEqual([]);
      const bad: unknown[] = [
        ['2024-13-45T99:99:99.000000Z', '00000000-0000-4000-8000-000000000000'],
        ['99999-01-01T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000'],
        ['2024-02-30T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000'],
        ['yesterday', '00000000-0000-4000-8000-000000000000'],
        ['2024-01-01T00:00:00.000000Z\u0000', '00000000-0000-4000-8000-000000000000'],
        ['2024-01-01T00:00:00.000000Z', 'not-an-id'],
        [1.5, '00000000-0000-4000-8000-000000000000'],
        ['2024-01-01T00:00:00.000000Z'],
        { a: 1 },
      ];
      for (const values of bad) expect([values, errorCodes(await raw(members, { first: 2, after: await signed(scope, values as unknown[]) }))]).toEqual([values, ['BAD_USER_INPUT']]);
      const teamScope = ['team-members', teamId];
      for (const rank of ['1.5', '0x1', '99999999999', 'one']) {
        const cursor = await signed(teamScope, [rank, '2024-02-01T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000']);
        expect(errorCodes(await raw(cases[3], { first: 2, after: cursor }))).toEqual(['BAD_USER_INPUT']);
      }
    });

    it('answers any string as a cursor with data or BAD_USER_INPUT, never a 500', async () => {
      const ours = (await page(members, { first: 1 })).pageInfo.endCursor as string;
      const cursor = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.base64String({ maxLength: 300 }),
        fc.tuple(fc.string({ maxLength: 60 }), fc.nat({ max: 60 })).map(([text, at]) => `${ours.slice(0, at)}${text}${ours.slice(at + text.length)}`),
        fc.json().map((json) => `${Buffer.from(json).toString('base64url')}.${ours.split('.')[1]}`),
      );
      await fc.assert(
        fc.asyncProperty(cursor, fc.boolean(), async (text, backward) => {
          const response = await raw(members, backward ? { last: 2, before: text } : { first: 2, after: text });
          const codes = errorCodes(response);
          expect(codes.every((code) => code === 'BAD_USER_INPUT')).toBe(true);
        }),
        { numRuns: 60, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
      );
    });

    it('keeps hasPreviousPage exact when the row a cursor names is gone', async () => {
      const teams = cases[2];
      const [first, second] = (await page(teams, { first: 2 })).cursors;
      const [{ id: firstTeam }] = await sql(`SELECT id FROM teams WHERE organisation_id = $1 ORDER BY lower(name), id LIMIT 1`, [organisation.id]);
      // Rows before the cursor still exist: true. The first row deleted and its cursor used: nothing before it.
      expect((await page(teams, { first: 2, after: second })).pageInfo.hasPreviousPage).toBe(true);
      await sql('DELETE FROM teams WHERE id = $1', [firstTeam]);
      expect((await page(teams, { first: 2, after: first })).pageInfo.hasPreviousPage).toBe(false);
      expect((await page(teams, { last: 2, before: first })).ids).toEqual([]);
    });
  });

  describe('statements per page: backward costs what forward costs', () => {
    it.each(cases.map((list) => [list.name, list] as const))('%s', async (_name, list) => {
      const token = list.token();
      const count = async (args: Record<string, unknown>) => {
        const { response, count } = await service.countStatements(list.query, { ...list.variables(), ...args }, token);
        expect(response.errors).toBeUndefined();
        return count;
      };
      const middle = await page(list, { first: 3 });
      const forward = await count({ first: 3 });
      expect(await count({ last: 3 })).toBe(forward);
      const forwardFromCursor = await count({ first: 2, after: middle.pageInfo.endCursor });
      expect(await count({ last: 2, before: middle.pageInfo.endCursor })).toBe(forwardFromCursor);
      process.stdout.write(`${list.name}: ${forward} statements per page without a cursor, ${forwardFromCursor} with one, either direction\n`);
    });
  });

  it('cross-tenant: another organisation’s member gets nothing, in either direction', async () => {
    const outsider = await memberWith(service, other.id, ['admin']);
    const response = await raw(cases[0], { last: 3 }, { id: organisation.id }, outsider.token);
    expect(response.data.organisation).toBeNull();
  });

  it('prices a backward page like a forward one in the query cost limit', async () => {
    const { buildAppSchema } = await import('../src/core/graphql/build-schema');
    const { estimateCost } = await import('../src/core/graphql/cost-limit');
    const { getComplexity } = await import('graphql-query-complexity');
    const { parse } = await import('graphql');
    const schema = await buildAppSchema({ rules: false });
    const cost = (args: string) =>
      getComplexity({ schema, query: parse(`{ organisation(id: "x") { members(${args}) { edges { node { id user { email } } } } } }`), variables: {}, estimators: [estimateCost] });
    expect(cost('last: 100')).toBe(cost('first: 100'));
    expect(cost('last: 100')).toBeGreaterThan(cost('last: 5'));
  });
});
