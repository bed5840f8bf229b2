/**
 * End-to-end HTTP load benchmark (not a test): the real service (Express, Apollo, schema, rules,
 * TypeORM, PostgreSQL) started in process on 127.0.0.1, loaded with autocannon with the dashboards'
 * own operations from test/contract/dashboard.graphql. Run: `npm run bench:http`.
 *
 * - Database: DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/postgres. A throwaway
 *   database `access_bench_<pid>` is created on that server, migrated, seeded and dropped at the end
 *   (also on failure and on Ctrl-C).
 * - Data: one organisation (created through `createOrganisation`) with BENCH_MEMBERS members, each
 *   holding 3 custom roles and in 2 teams, plus 10 other organisations of BENCH_OTHER_MEMBERS members.
 * - Auth: the development issuer with a signing key in a temporary DATA_DIR; an Owner and a
 *   Viewer-role member sign in like real users.
 * - Load: autocannon runs in a worker thread of this process (its own event loop, not the server's),
 *   against 127.0.0.1 only, for a bounded time per scenario. Every response is checked during the
 *   run: any non-2xx, socket error, timeout or GraphQL `errors` fails the run (exit 1).
 *
 * Knobs: BENCH_MEMBERS (1000), BENCH_OTHER_MEMBERS (100), BENCH_SECONDS (10 per scenario),
 * BENCH_WARMUP_SECONDS (2 per scenario, not recorded), BENCH_CONNECTIONS (10),
 * BENCH_MUTATION_CONNECTIONS (4), BENCH_SCENARIOS (comma list of scenario names, default all).
 */
// Silent before any module of the service creates its logger (it reads LOG_LEVEL when loaded).
process.env.LOG_LEVEL = 'silent';
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { queryCounter } from '../src/core/database/query-counter';
import { contractOperation } from '../test/support/contract';
import { assert, Cleanups, fixed, loadAverage, machineInfo, positive, send, startBenchWorld, type GraphQLResponse } from './support/bench-environment';
import { badResponses, LoadGenerator, type BodyCheck, type LoadResult } from './support/load-generator';

interface Scenario {
  name: string;
  what: string;
  method: 'GET' | 'POST';
  path: string;
  token?: string;
  bodies: (string | undefined)[];
  connections: number;
  check: BodyCheck;
  /** Checks the answers to one pass through `bodies` (throws when wrong). */
  verify(responses: unknown[]): void;
}

async function main(): Promise<number> {
  const members = Math.round(positive('BENCH_MEMBERS', 1000));
  const otherMembers = Math.round(positive('BENCH_OTHER_MEMBERS', 100));
  const seconds = positive('BENCH_SECONDS', 10);
  const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS || 2);
  if (!Number.isFinite(warmupSeconds) || warmupSeconds < 0) throw new Error(`BENCH_WARMUP_SECONDS must be a number ≥ 0, got "${process.env.BENCH_WARMUP_SECONDS}"`);
  const connections = Math.round(positive('BENCH_CONNECTIONS', 10));
  const mutationConnections = Math.round(positive('BENCH_MUTATION_CONNECTIONS', 4));
  const only = process.env.BENCH_SCENARIOS?.split(',').map((name) => name.trim()).filter(Boolean);

  const cleanups = new Cleanups();
  const stopListening = cleanups.onSignals('benchmark');
  const loadBefore = loadAverage();
  try {
    console.log('bench:http — the real service over HTTP on 127.0.0.1, loaded by autocannon (worker thread of this process)');
    for (const line of machineInfo()) console.log(line);
    console.log(`load average (1/5/15 min) before: ${loadBefore}`);
    const world = await startBenchWorld({ databaseName: `access_bench_${process.pid}`, applicationName: 'access-bench-http', members, otherMembers, cleanups });
    const { baseUrl, organisationId, seeded, memberRoleId, ownerToken, viewerToken } = world;

    // Scenarios.
    const body = (operation: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query: contractOperation(operation), variables });
    const teamId = seeded.teamIds[0];
    const target = seeded.membershipIds[0];
    const assign = (mode: 'ADD' | 'REMOVE') => body('AssignRoles', { input: { organisationId, membershipIds: [target], roleIds: [memberRoleId], mode } });
    const dataOf = (response: unknown) => (response as GraphQLResponse).data;
    // "person 0004" matches the display names "… Person 00040" to "… Person 00049" (10 of 1,000).
    const search = `person ${String(Math.min(members, 42)).padStart(5, '0').slice(0, 4)}`;
    const everyScenario: Scenario[] = [
      {
        name: 'GET /healthz',
        what: 'floor: Express, no GraphQL, no database',
        method: 'GET',
        path: '/healthz',
        bodies: [undefined],
        connections,
        check: 'healthz',
        verify: ([response]) => assert((response as { status?: string }).status === 'ok', 'healthz not ok'),
      },
      {
        name: 'Viewer',
        what: 'Viewer-role member: own user, memberships, roles, effective permissions',
        method: 'POST',
        path: '/graphql',
        token: viewerToken,
        bodies: [body('Viewer')],
        connections,
        check: 'graphql',
        verify: ([response]) => {
          const viewer = dataOf(response)?.viewer;
          assert(viewer?.memberships?.length === 1 && viewer.memberships[0].effectivePermissions.includes('members:read'), 'Viewer: expected one membership with members:read');
        },
      },
      {
        name: 'OrganisationOverview',
        what: 'Owner',
        method: 'POST',
        path: '/graphql',
        token: ownerToken,
        bodies: [body('OrganisationOverview', { id: organisationId })],
        connections,
        check: 'graphql',
        verify: ([response]) => assert(dataOf(response)?.organisation?.viewerPermissions?.includes('members:assign-roles'), 'OrganisationOverview: Owner permissions missing'),
      },
      {
        name: 'Members',
        what: 'Owner, first: 50 (MemberRow: user, 3 roles, 2 teams each)',
        method: 'POST',
        path: '/graphql',
        token: ownerToken,
        bodies: [body('Members', { organisationId, first: 50 })],
        connections,
        check: 'graphql',
        verify: ([response]) => {
          const page = dataOf(response)?.organisation?.members;
          const expected = Math.min(50, members + 2);
          assert(page?.edges?.length === expected && page.totalCount === members + 2, `Members: expected ${expected} of ${members + 2}, got ${page?.edges?.length} of ${page?.totalCount}`);
          const row = page.edges.find((edge: any) => edge.node.user.email?.startsWith('bench-main-'))?.node;
          assert(row && row.roles.length === 3 && row.teams.length === 2 && row.user.email, 'Members: a seeded row should have 3 roles, 2 teams and its email');
        },
      },
      {
        name: 'Members search',
        what: `Owner, first: 50, filter { search: "${search}" }`,
        method: 'POST',
        path: '/graphql',
        token: ownerToken,
        bodies: [body('Members', { organisationId, first: 50, filter: { search } })],
        connections,
        check: 'graphql',
        verify: ([response]) => {
          const page = dataOf(response)?.organisation?.members;
          assert(page?.edges?.length > 0 && page.edges.every((edge: any) => edge.node.user.displayName.toLowerCase().includes(search)), 'Members search: no or wrong hits');
        },
      },
      {
        name: 'Roles',
        what: 'Owner: 5 built-in + 3 custom roles with assignedCount',
        method: 'POST',
        path: '/graphql',
        token: ownerToken,
        bodies: [body('Roles', { organisationId })],
        connections,
        check: 'graphql',
        verify: ([response]) => {
          const roles = dataOf(response)?.organisation?.roles;
          assert(roles?.length === 8, `Roles: expected 8, got ${roles?.length}`);
          assert(roles.some((role: any) => role.assignedCount === members), 'Roles: a custom role should be assigned to every seeded member');
        },
      },
      {
        name: 'TeamDetail',
        what: `Owner, a team of ${members} members, first: 50`,
        method: 'POST',
        path: '/graphql',
        token: ownerToken,
        bodies: [body('TeamDetail', { id: teamId, first: 50 })],
        connections,
        check: 'graphql',
        verify: ([response]) => {
          const team = dataOf(response)?.team;
          const expected = Math.min(50, members);
          assert(team?.members?.totalCount === members && team.members.edges.length === expected, `TeamDetail: expected ${expected} of ${members}, got ${team?.members?.edges?.length} of ${team?.members?.totalCount}`);
        },
      },
      {
        name: 'AssignRoles ADD/REMOVE',
        what: 'Owner: Member role added to, then removed from, one member, in turn',
        method: 'POST',
        path: '/graphql',
        token: ownerToken,
        bodies: [assign('ADD'), assign('REMOVE')],
        connections: mutationConnections,
        check: 'graphql',
        verify: ([added, removed]) => {
          const names = (response: unknown) => (dataOf(response)?.assignRoles?.[0]?.roles ?? []).map((role: { name: string }) => role.name);
          assert(names(added).includes('Member') && names(added).length === 4, `AssignRoles ADD: roles ${names(added)}`);
          assert(!names(removed).includes('Member') && names(removed).length === 3, `AssignRoles REMOVE: roles ${names(removed)}`);
        },
      },
    ];
    const scenarios = everyScenario.filter((scenario) => !only || only.includes(scenario.name));
    assert(scenarios.length > 0, `BENCH_SCENARIOS matched no scenario (${only?.join(', ')})`);

    // Checks before load, and the SQL statements of one request (after a warm one: sign-in writes excluded).
    const statements = new Map<string, string>();
    for (const scenario of scenarios) {
      const responses = [];
      for (const request of scenario.bodies) {
        const response = await send(baseUrl, scenario, request);
        assert(scenario.check !== 'graphql' || !(response as GraphQLResponse).errors, `${scenario.name}: errors ${JSON.stringify((response as GraphQLResponse).errors)}`);
        responses.push(response);
      }
      scenario.verify(responses);
      const counts = [];
      for (const request of scenario.bodies) {
        const requestId = randomUUID();
        counts.push((await queryCounter.measureRequest(requestId, () => send(baseUrl, scenario, request, requestId))).count);
      }
      statements.set(scenario.name, counts.join(' + '));
    }
    console.log(`checked: every scenario answers with data and no errors (${scenarios.length} scenarios)\n`);

    const generator = new LoadGenerator();
    cleanups.add('stop the load generator', () => generator.stop());
    const rows: { scenario: Scenario; result: LoadResult; busy: number }[] = [];
    for (const scenario of scenarios) {
      const request = {
        url: `${baseUrl}${scenario.path}`,
        method: scenario.method,
        headers: { 'content-type': 'application/json', ...(scenario.token ? { authorization: `Bearer ${scenario.token}` } : {}) },
        bodies: scenario.bodies,
        connections: scenario.connections,
        check: scenario.check,
      };
      if (warmupSeconds > 0) await generator.run({ ...request, seconds: warmupSeconds });
      // The server's event loop (this thread) is what serves every request: its busy share tells whether
      // the service's own JavaScript or something else (PostgreSQL, the machine) is the limit.
      const loopBefore = performance.eventLoopUtilization();
      const result = await generator.run({ ...request, seconds });
      const busy = performance.eventLoopUtilization(loopBefore).utilization;
      rows.push({ scenario, result, busy });
      const bad = badResponses(result);
      console.log(
        `${scenario.name.padEnd(24)} ${fixed(result.reqPerSecMean).padStart(8)} req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  ${result.total} requests${bad ? `  BAD RESPONSES: ${bad}` : ''}`,
      );
    }
    const loadAfter = loadAverage();

    // Report.
    const header = ['scenario', 'conns', 'req/s (mean)', 'p50 ms', 'p97.5 ms', 'p99 ms', 'max ms', 'requests', 'errors', 'SQL/req', 'KB/resp', 'server loop busy'];
    const table = rows.map(({ scenario, result, busy }) => [
      scenario.name,
      String(scenario.connections),
      fixed(result.reqPerSecMean),
      String(result.latency.p50),
      String(result.latency.p97_5),
      String(result.latency.p99),
      String(result.latency.max),
      String(result.total),
      String(badResponses(result)),
      statements.get(scenario.name) ?? '',
      fixed(result.bytesPerResponse / 1024),
      `${Math.round(busy * 100)} %`,
    ]);
    console.log('');
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map((_, index) => (index === 0 ? '---' : '---:')).join('|')}|`);
    for (const row of table) console.log(`| ${row.join(' | ')} |`);
    console.log('');
    for (const { scenario } of rows) console.log(`- ${scenario.name}: ${scenario.what}`);
    console.log('');
    console.log(`${seconds} s per scenario after ${warmupSeconds} s of warm-up; req/s = completed requests ÷ measured duration; latency is per request, in ms.`);
    console.log('errors = non-2xx + socket errors + timeouts + bodies with GraphQL errors or without data; SQL/req = statements of one request (queryCounter).');
    console.log("server loop busy = event-loop utilisation of the service's thread during the run (100 % = its JavaScript is the limit).");
    console.log(`NODE_ENV in the environment: ${process.env.NODE_ENV ?? 'unset'} (libraries only: the service's configuration is development, for the local issuer).`);
    for (const line of machineInfo()) console.log(line);
    console.log(`load average (1/5/15 min) before: ${loadBefore}, after: ${loadAfter}`);

    const failures = rows.filter(({ result }) => badResponses(result) > 0);
    if (failures.length > 0) {
      for (const { scenario, result } of failures) {
        console.error(
          `FAILED ${scenario.name}: non-2xx ${result.non2xx}, socket errors ${result.errors}, timeouts ${result.timeouts}, bad bodies ${result.mismatches}, status codes ${JSON.stringify(result.statusCodes)}`,
        );
      }
      return 1;
    }
    return 0;
  } finally {
    await cleanups.run();
    stopListening();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error);
    process.exit(1);
  },
);
