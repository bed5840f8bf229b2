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
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { DevIssuer } from '../src/core/auth/dev-issuer';
import { startService, type RunningService } from '../src/core/bootstrap';
import { loadConfig } from '../src/core/config';
import { createDataSource } from '../src/core/database/data-source';
import { queryCounter } from '../src/core/database/query-counter';
import { contractOperation } from '../test/support/contract';


const positive = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
};

// ---------------------------------------------------------------------------------------------
// The load generator (worker thread): autocannon with a body check on every response.

type BodyCheck = 'graphql' | 'healthz';

interface LoadRequest {
  id: number;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Sent in turn, each connection cycling through them (one element: the same request every time). */
  bodies: (string | undefined)[];
  connections: number;
  seconds: number;
  check: BodyCheck;
}

interface LoadResult {
  /** Completed requests ÷ measured duration (s). */
  reqPerSecMean: number;
  total: number;
  /** Response bytes (headers included) ÷ completed requests. */
  bytesPerResponse: number;
  durationSeconds: number;
  latency: { mean: number; p50: number; p97_5: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  resets: number;
  statusCodes: Record<string, number>;
}

/** True when a response body is acceptable during the run (GraphQL: data and no errors). */
function bodyOk(check: BodyCheck, body: string): boolean {
  if (check === 'healthz') return body === '{"status":"ok"}';
  return body.startsWith('{"data":{') && !body.includes('"errors":[');
}

function runLoad(request: LoadRequest): Promise<LoadResult> {
  const url = new URL(request.url);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to load ${url.hostname}: 127.0.0.1 only`);
  const options: autocannon.Options = {
    url: request.url,
    method: request.method,
    headers: request.headers,
    connections: request.connections,
    duration: request.seconds,
    timeout: 10,
    requests: request.bodies.map((body) => ({ method: request.method, body })),
    verifyBody: (body) => bodyOk(request.check, String(body)),
    // Outside the main thread autocannon takes itself for one of its own workers and hands back its raw
    // per-instance result: aggregated here with its documented aggregateResult (latencies, counts).
    skipAggregateResult: true,
  };
  return new Promise((resolve, reject) => {
    autocannon(options, (error, raw) => {
      if (error) return reject(error);
      let result: autocannon.Result;
      try {
        result = (autocannon as unknown as { aggregateResult(results: unknown[], opts: autocannon.Options): autocannon.Result }).aggregateResult([raw], options);
      } catch (aggregateError) {
        return reject(aggregateError as Error);
      }
      // aggregateResult leaves the per-second request histogram empty (its samples travel separately
      // between autocannon's own workers), so its requests.mean would read 0. The rate is taken from the
      // raw result instead: completed requests ÷ measured duration. (autocannon's own mean of 1-second
      // samples counts the last, partial second as a whole sample, which reads up to 10 % low.)
      const { totalCompletedRequests, totalBytes } = raw as unknown as { totalCompletedRequests: number; totalBytes: number };
      const statusCodes: Record<string, number> = {};
      for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
      resolve({
        reqPerSecMean: result.duration > 0 ? totalCompletedRequests / result.duration : 0,
        total: totalCompletedRequests,
        bytesPerResponse: totalCompletedRequests > 0 ? totalBytes / totalCompletedRequests : 0,
        durationSeconds: result.duration,
        latency: { mean: result.latency.mean, p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99, max: result.latency.max },
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        mismatches: result.mismatches,
        resets: result.resets,
        statusCodes,
      });
    });
  });
}

function workerMain(): void {
  parentPort?.on('message', (request: LoadRequest) => {
    runLoad(request).then(
      (result) => parentPort?.postMessage({ id: request.id, result }),
      (error: Error) => parentPort?.postMessage({ id: request.id, error: error.stack ?? String(error) }),
    );
  });
}

/** The main thread's handle on the load generator thread. */
class LoadGenerator {
  private readonly worker = new Worker(__filename);
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(result: LoadResult): void; reject(error: Error): void }>();

  constructor() {
    this.worker.on('message', (message: { id: number; result?: LoadResult; error?: string }) => {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(`load generator: ${message.error}`));
      else waiter?.resolve(message.result as LoadResult);
    });
    this.worker.on('error', (error) => {
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    });
  }

  run(request: Omit<LoadRequest, 'id'>): Promise<LoadResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

// ---------------------------------------------------------------------------------------------
// Contract operations: the exact text the dashboards send, from test/support/contract.ts.

// ---------------------------------------------------------------------------------------------
// Database: a throwaway database on the given server, migrated and seeded with set-based SQL.

interface BenchDatabase {
  url: string;
  name: string;
  dataSource: DataSource;
  drop(): Promise<void>;
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `access_bench_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const dataSource = createDataSource(url.toString(), { poolSize: 10, applicationName: 'access-bench-http' });
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  try {
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    await drop();
    throw error;
  }
  return { url: url.toString(), name, dataSource, drop };
}

/**
 * `count` placeholder users (never signed in), each an ACTIVE member of the organisation holding
 * `rolesEach` custom roles and in `teamsEach` teams: the pattern of test/support/seed.ts.
 */
async function seedMembers(dataSource: DataSource, organisationId: string, prefix: string, count: number, rolesEach: number, teamsEach: number) {
  const ids = (rows: { id: string }[]) => rows.map((row) => row.id);
  const roleIds = ids(
    await dataSource.query(
      `INSERT INTO roles (organisation_id, name, permissions)
       SELECT $1, $2 || '-role-' || n, ARRAY['members:read'] FROM generate_series(1, $3::int) n RETURNING id`,
      [organisationId, prefix, rolesEach],
    ),
  );
  const teamIds = ids(
    await dataSource.query(
      `INSERT INTO teams (organisation_id, name) SELECT $1, $2 || '-team-' || n FROM generate_series(1, $3::int) n RETURNING id`,
      [organisationId, prefix, teamsEach],
    ),
  );
  const membershipIds = ids(
    await dataSource.query(
      `WITH new_users AS (
         INSERT INTO users (email, display_name, email_verified, last_sign_in_at)
         SELECT $2 || '-' || n || '@example.com', initcap($2) || ' Person ' || lpad(n::text, 5, '0'), true, now() - (n || ' minutes')::interval
         FROM generate_series(1, $3::int) n RETURNING id)
       INSERT INTO memberships (organisation_id, user_id) SELECT $1, id FROM new_users RETURNING id`,
      [organisationId, prefix, count],
    ),
  );
  await dataSource.query(
    `INSERT INTO membership_roles (membership_id, role_id, organisation_id)
     SELECT m, r, $1 FROM unnest($2::uuid[]) m CROSS JOIN unnest($3::uuid[]) r`,
    [organisationId, membershipIds, roleIds],
  );
  await dataSource.query(
    `INSERT INTO team_members (team_id, membership_id, organisation_id)
     SELECT t, m, $1 FROM unnest($2::uuid[]) m CROSS JOIN unnest($3::uuid[]) t`,
    [organisationId, membershipIds, teamIds],
  );
  return { membershipIds, roleIds, teamIds };
}

/** Ten more organisations with their built-in roles and members, so the main one is not alone in its tables. */
async function seedOtherOrganisations(dataSource: DataSource, count: number, membersEach: number): Promise<void> {
  const organisationIds: string[] = (
    await dataSource.query(
      `INSERT INTO organisations (name, slug) SELECT 'Bench Other ' || n, 'bench-other-' || n FROM generate_series(1, $1::int) n RETURNING id`,
      [count],
    )
  ).map((row: { id: string }) => row.id);
  await dataSource.query(
    `INSERT INTO roles (organisation_id, name, description, built_in_key)
     SELECT o, b.name, b.name, b.key FROM unnest($1::uuid[]) o
     CROSS JOIN (VALUES ('owner', 'Owner'), ('admin', 'Admin'), ('manager', 'Manager'), ('member', 'Member'), ('viewer', 'Viewer')) b(key, name)`,
    [organisationIds],
  );
  for (const [index, organisationId] of organisationIds.entries()) {
    await seedMembers(dataSource, organisationId, `bench-other${index + 1}`, membersEach, 3, 2);
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

interface GraphQLResponse {
  data?: any;
  errors?: unknown[];
}

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

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function send(baseUrl: string, scenario: Pick<Scenario, 'method' | 'path' | 'token'>, body: string | undefined, requestId?: string): Promise<unknown> {
  const response = await fetch(`${baseUrl}${scenario.path}`, {
    method: scenario.method,
    headers: { 'content-type': 'application/json', ...(scenario.token ? { authorization: `Bearer ${scenario.token}` } : {}), ...(requestId ? { 'x-request-id': requestId } : {}) },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${scenario.method} ${scenario.path}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

async function graphql(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = (await send(url, { method: 'POST', path: '/graphql', token }, JSON.stringify({ query, variables }))) as GraphQLResponse;
  if (response.errors || !response.data) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors ?? response).slice(0, 1000)}`);
  return response.data;
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

function machineInfo(): string[] {
  let nproc = String(os.availableParallelism());
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    // nproc missing: Node's own count
  }
  return [
    `nproc ${nproc}, CPU ${os.cpus()[0]?.model.trim() ?? 'unknown'}, ${fixed(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}`,
    `node ${process.version}, autocannon ${(JSON.parse(fs.readFileSync(require.resolve('autocannon/package.json'), 'utf8')) as { version: string }).version}`,
  ];
}

const loadAverage = () => os.loadavg().map((value) => value.toFixed(2)).join(' ');

async function main(): Promise<number> {
  const members = Math.round(positive('BENCH_MEMBERS', 1000));
  const otherMembers = Math.round(positive('BENCH_OTHER_MEMBERS', 100));
  const seconds = positive('BENCH_SECONDS', 10);
  const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS || 2);
  if (!Number.isFinite(warmupSeconds) || warmupSeconds < 0) throw new Error(`BENCH_WARMUP_SECONDS must be a number ≥ 0, got "${process.env.BENCH_WARMUP_SECONDS}"`);
  const connections = Math.round(positive('BENCH_CONNECTIONS', 10));
  const mutationConnections = Math.round(positive('BENCH_MUTATION_CONNECTIONS', 4));
  const only = process.env.BENCH_SCENARIOS?.split(',').map((name) => name.trim()).filter(Boolean);
  const serverUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

  const cleanups: { name: string; run(): Promise<void> }[] = [];
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const step of cleanups.reverse()) {
        await step.run().catch((error: Error) => console.error(`cleanup (${step.name}) failed: ${error.message}`));
      }
    })());
  // `on`, not `once`: a library's own handler may stop its part and raise the same signal again (Apollo
  // Server does unless stopOnTerminationSignals is false); it must find this one still there, or the
  // default action kills the process in the middle of the cleanup.
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    console.error(`\n${signal}: stopping and dropping the benchmark database`);
    void cleanup().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const loadBefore = loadAverage();
  try {
    console.log('bench:http — the real service over HTTP on 127.0.0.1, loaded by autocannon (worker thread of this process)');
    for (const line of machineInfo()) console.log(line);
    console.log(`load average (1/5/15 min) before: ${loadBefore}`);

    // Database.
    const database = await createBenchDatabase(serverUrl);
    cleanups.push({ name: `drop database ${database.name}`, run: database.drop });
    const [{ version }] = await database.dataSource.query('SELECT version()');
    console.log(`PostgreSQL: ${redact(serverUrl)} → database ${database.name} (${String(version).split(' on ')[0]})`);

    // Service: development issuer in a temporary data folder, outbox worker off, silent logs.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-bench-'));
    cleanups.push({ name: `remove ${dataDir}`, run: async () => fs.rmSync(dataDir, { recursive: true, force: true }) });
    const issuer = await DevIssuer.open(dataDir);
    const config = loadConfig({
      NODE_ENV: 'development',
      PORT: '0',
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      MIGRATE_ON_START: 'false',
      OUTBOX_POLL_INTERVAL_MS: '0',
      LOG_LEVEL: 'silent',
    });
    const service: RunningService = await startService(config, { dataSource: database.dataSource });
    cleanups.push({ name: 'stop the service', run: () => service.stop() });
    const baseUrl = `http://127.0.0.1:${service.port}`;
    const graphqlUrl = `${baseUrl}/graphql`;

    // People: a platform admin creates the organisation for an Owner who signed in; a Viewer-role member.
    const token = (email: string, platformAdmin = false) => issuer.mint({ subject: `bench-${email}`, email, name: email.split('@')[0], platformAdmin });
    const adminToken = await token('bench-admin@example.com', true);
    const ownerToken = await token('bench-owner@example.com');
    const viewerToken = await token('bench-viewer@example.com');
    await graphql(graphqlUrl, adminToken, '{ viewer { user { id } } }');
    await graphql(graphqlUrl, ownerToken, '{ viewer { user { id } } }');
    const viewerUserId: string = (await graphql(graphqlUrl, viewerToken, '{ viewer { user { id } } }')).viewer.user.id;
    const created = await graphql(graphqlUrl, adminToken, contractOperation('CreateOrganisation'), {
      input: { name: 'Bench Organisation', slug: 'bench-main', ownerEmail: 'bench-owner@example.com' },
    });
    const organisationId: string = created.createOrganisation.id;

    const seedStart = Date.now();
    const seeded = await seedMembers(database.dataSource, organisationId, 'bench-main', members, 3, 2);
    await database.dataSource.query(
      `WITH m AS (INSERT INTO memberships (organisation_id, user_id) VALUES ($1, $2) RETURNING id)
       INSERT INTO membership_roles (membership_id, role_id, organisation_id)
       SELECT m.id, r.id, $1 FROM m, roles r WHERE r.organisation_id = $1 AND r.built_in_key = 'viewer'`,
      [organisationId, viewerUserId],
    );
    await seedOtherOrganisations(database.dataSource, 10, otherMembers);
    await database.dataSource.query('ANALYZE');
    const [{ member: memberRoleId }] = await database.dataSource.query(`SELECT id AS member FROM roles WHERE organisation_id = $1 AND built_in_key = 'member'`, [organisationId]);
    console.log(
      `data: organisation with ${members} seeded members (+ Owner, + Viewer) × 3 custom roles × 2 teams; 10 other organisations × ${otherMembers} members; seeded in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`,
    );

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
    cleanups.push({ name: 'stop the load generator', run: () => generator.stop() });
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
      const bad = result.non2xx + result.errors + result.timeouts + result.mismatches;
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
      String(result.non2xx + result.errors + result.timeouts + result.mismatches),
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

    const failures = rows.filter(({ result }) => result.non2xx + result.errors + result.timeouts + result.mismatches > 0);
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
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (isMainThread) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(error.stack ?? error);
      process.exit(1);
    },
  );
} else {
  workerMain();
}
