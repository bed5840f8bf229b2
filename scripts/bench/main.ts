/**
 * `npm run bench` (issue 9): this service against the floor (node:http + pg, optimal SQL) and PostGraphile 5
 * on one PostgreSQL the bench starts itself, with the same data, the same pages and the same answers.
 * Not a test: figures go to docs/benchmarks.md. Knobs: see bench-options.ts and the README.
 *
 * 1. A temporary PostgreSQL 15 cluster (pg_stat_statements loaded) on a free port of 127.0.0.1.
 * 2. A throwaway database, migrated and seeded with set-based SQL; a local OpenID provider for the tokens.
 * 3. Four processes: the service (production mode, default configuration) on Node 20 and on Node 22, the
 *    floor (Node 20) and PostGraphile 5 (Node 22), each connecting as its own PostgreSQL role.
 * 4. Every scenario is asked of every server once: the answers must agree before anything is measured.
 * 5. Rounds (order of the servers rotated each round) of autocannon load; per run: req/s, latency, the
 *    server's CPU from /proc, PostgreSQL time and statements from pg_stat_statements, PostgreSQL's CPU.
 * Everything started is stopped (and the cluster removed) at the end, on failure, and on Ctrl-C.
 */
// Silent before any module of the service creates its logger (the seed uses the project's data source).
process.env.LOG_LEVEL = 'silent';
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { TestIdentityProvider } from '../../test/support/identity-provider';
import { checkAnswers } from './answer-check';
import { readBenchOptions, type BenchOptions } from './bench-options';
import { CleanupStack } from './cleanup-stack';
import { freePort } from './free-port';
import { measure, statementsOfOneRequest, warmUp, type MeasuredServer, type Measurement } from './measure';
import { explainMembersPage } from './members-explain';
import { ensureNode22, NODE22_DIRECTORY } from './node22-runtime';
import { startPostgresInstance, type PostgresInstance } from './postgres-instance';
import { enableStatements } from './postgres-stats';
import { PROJECT_ROOT } from './project-root';
import { renderReport, writeReport, type RunFacts } from './report';
import { buildScenarios, SERVER_NAMES, type Scenario, type ServerName, type Tokens } from './scenarios';
import { seedDatabase, type SeededData, type SeededOrganisation } from './seed';
import { startServerProcess, type ServerCommand } from './server-process';

const DATABASE = 'access_bench';
const loadAverage = () => os.loadavg().map((value) => value.toFixed(2)).join(' ');
const packageVersion = (file: string) => (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function machine(): string[] {
  return [
    `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}; shared with other work: absolute figures are noisy, ratios within a round are what to read`,
  ];
}

/** A clean environment for a server: nothing of the bench's own (its LOG_LEVEL, a DATABASE_URL) leaks in. */
function serverEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG, NODE_ENV: 'production', ...extra };
}

interface Launch {
  name: ServerName;
  what: string;
  role: string;
  command(port: number, databaseUrl: string): ServerCommand;
}

function launches(options: BenchOptions, node22: string | null, issuer: { issuer: string; audience: string }): Launch[] {
  const node20 = process.execPath;
  const service = (name: ServerName, node: string, what: string): Launch => ({
    name,
    what,
    role: `bench_${name.replace(/-/g, '_')}`,
    command: (port, databaseUrl) => ({
      name,
      what,
      executable: node,
      args: [...(name === 'service' && options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []), path.join(PROJECT_ROOT, 'dist', 'src', 'main.js')],
      env: serverEnvironment({ PORT: String(port), DATABASE_URL: databaseUrl, AUTH_ISSUER: issuer.issuer, AUTH_AUDIENCE: issuer.audience }),
      port,
    }),
  });
  const all: Launch[] = [
    service('service', node20, 'this service, `node dist/src/main.js`, NODE_ENV=production, default configuration'),
    ...(node22 ? [service('service-node22', node22, 'the same service on the pinned Node 22 (control)')] : []),
    {
      name: 'floor',
      what: 'node:http + pg, optimal SQL, same JSON, no GraphQL, no authorization (`scripts/bench/floor-server.ts`)',
      role: 'bench_floor',
      command: (port, databaseUrl) => ({
        name: 'floor',
        what: '',
        executable: node20,
        args: [path.join(PROJECT_ROOT, 'dist', 'scripts', 'bench', 'floor-server.js')],
        env: serverEnvironment({ PORT: String(port), DATABASE_URL: databaseUrl }),
        port,
      }),
    },
    ...(node22
      ? [
          {
            name: 'postgraphile' as const,
            what: 'PostGraphile 5, Amber preset, no authorization (`scripts/bench/node22/postgraphile-server.mjs`)',
            role: 'bench_postgraphile',
            command: (port: number, databaseUrl: string) => ({
              name: 'postgraphile',
              what: '',
              executable: node22,
              args: [path.join(NODE22_DIRECTORY, 'postgraphile-server.mjs')],
              env: serverEnvironment({ PORT: String(port), DATABASE_URL: databaseUrl }),
              port,
            }),
          },
        ]
      : []),
  ];
  return all.filter((launch) => options.servers.length === 0 || options.servers.includes(launch.name));
}

async function startServers(list: Launch[], postgres: PostgresInstance, admin: Client, logDirectory: string, cleanup: CleanupStack): Promise<MeasuredServer[]> {
  const servers: MeasuredServer[] = [];
  for (const launch of list) {
    // Superuser roles: the service's start-up may create extensions; none of the tables use row security.
    await admin.query(`CREATE ROLE ${launch.role} LOGIN SUPERUSER`);
    const started = await startServerProcess({ ...launch.command(await freePort(), postgres.url(DATABASE, launch.role)), what: launch.what }, logDirectory);
    cleanup.push(`stop ${launch.name}`, () => started.stop());
    servers.push({ ...started, name: launch.name, role: launch.role });
    console.log(`started ${launch.name} (pid ${started.pid}) on ${started.baseUrl}`);
  }
  return servers;
}

function selectScenarios(all: Scenario[], wanted: string[]): Scenario[] {
  if (wanted.length === 0) return all;
  const chosen = all.filter((scenario) => wanted.some((name) => name.toLowerCase() === scenario.name.toLowerCase()));
  if (chosen.length === 0) throw new Error(`BENCH_SCENARIOS matched no scenario; the names are: ${all.map((scenario) => scenario.name).join(', ')}`);
  return chosen;
}

function progress(run: Measurement): string {
  const fixed = (value: number, digits = 1) => (Number.isNaN(value) ? '—' : value.toFixed(digits));
  return `  round ${run.round} ${run.scenario.padEnd(26)} ${run.server.padEnd(15)} ${fixed(run.reqPerSec).padStart(8)} req/s  p50 ${fixed(run.p50, 0)} ms  p99 ${fixed(run.p99, 0)} ms  CPU ${fixed(run.cpuMs, 2)} ms/req  PG ${fixed(run.pgExecMs, 2)} ms/req  SQL ${fixed(run.statements, 1)}/req${run.bad ? `  BAD ${run.bad}` : ''}`;
}

/** EXPLAIN of the Members page statements per organisation size and for the search; the largest's plans printed. */
async function explainMembers(admin: Client, data: SeededData, options: BenchOptions): Promise<RunFacts['explained']> {
  const explained: RunFacts['explained'] = [];
  const largest = Math.max(...options.scaleMembers);
  const cases = [...options.scaleMembers.map((size) => ({ size, search: undefined as string | undefined })), { size: largest, search: 'smith' }];
  for (const { size, search } of cases) {
    const organisation = data.organisations.get(size) as SeededOrganisation;
    const { service, floor } = await explainMembersPage(admin, organisation.id, search);
    const label = `${size.toLocaleString('en')} members${search ? ` search "${search}"` : ''}`;
    explained.push({ label, service, floor });
    if (size === largest) {
      for (const [who, page] of [['service', service], ['floor', floor]] as const) {
        for (const statement of page.statements) console.log(`\nEXPLAIN (ANALYZE, BUFFERS), ${label}, ${who}:\n${statement.sql}\n${statement.plan}`);
      }
    }
  }
  console.log('');
  return explained;
}

async function run(options: BenchOptions, cleanup: CleanupStack): Promise<number> {
  const loadStart = loadAverage();
  console.log(`npm run bench: ${machine().join('; ')}`);
  console.log(`load average (1/5/15 min) at start: ${loadStart}`);
  const wantsNode22 = options.servers.length === 0 || options.servers.some((name) => name === 'service-node22' || name === 'postgraphile');
  const node22 = wantsNode22 ? ensureNode22() : null;
  const logDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'access-bench-logs-'));
  let keepLogs = true;
  cleanup.push('remove the server logs', () => {
    if (keepLogs) console.error(`server logs kept in ${logDirectory}`);
    else fs.rmSync(logDirectory, { recursive: true, force: true });
  });

  const postgres = await startPostgresInstance(options.postgresBin);
  cleanup.push('stop PostgreSQL and remove its folder', () => postgres.stop());
  console.log(`PostgreSQL ${postgres.version} (pid ${postgres.pid}) on 127.0.0.1:${postgres.port}`);
  const identityProvider = await TestIdentityProvider.start();
  cleanup.push('stop the identity provider', () => identityProvider.stop());

  const data = await seedDatabase(postgres.url, DATABASE, { issuer: identityProvider.issuer, ...options });
  const sizes = [...data.organisations.keys()].map((size) => size.toLocaleString('en')).join(', ');
  const dataLine = `data: organisations of ${sizes} members (each + an Owner; the ${options.members.toLocaleString('en')} one + a Viewer), 1–3 of 10 roles and 0–3 of 200 teams per member, + ${options.otherOrganisations} × ${options.otherMembers} members of noise; "smith" matches ${data.smithHits} of the largest; seeded in ${data.seconds.toFixed(1)} s`;
  console.log(dataLine);

  const admin = new Client({ connectionString: postgres.url(DATABASE) });
  await admin.connect();
  cleanup.push('close the statistics connection', () => admin.end());
  await enableStatements(admin);
  const explained = await explainMembers(admin, data, options);
  const servers = await startServers(launches(options, node22?.node ?? null, identityProvider), postgres, admin, logDirectory, cleanup);
  const tokens: Tokens = {
    owner: await identityProvider.token({ subject: data.owner.subject, email: data.owner.email, name: 'Bench Owner', expiresIn: '12h' }),
    viewer: await identityProvider.token({ subject: data.viewer.subject, email: data.viewer.email, name: 'Bench Viewer', expiresIn: '12h' }),
  };
  const running = servers.map((server) => server.name);
  const scenarios = selectScenarios(buildScenarios(data, tokens, { ...options, servers: SERVER_NAMES.filter((name) => running.includes(name)) }), options.scenarios);

  for (const scenario of scenarios) await checkAnswers(scenario, servers.filter((server) => scenario.servers.includes(server.name)));
  console.log(`answers agree on every scenario (${scenarios.length}) across ${running.join(', ')}`);
  const service = servers.find((server) => server.name === 'service');
  for (const scenario of service ? scenarios : []) {
    console.log(`statements of one \`${scenario.name}\` request on the service (calls × total exec time, text):`);
    for (const line of await statementsOfOneRequest(service as MeasuredServer, scenario, admin)) console.log(`  ${line}`);
  }

  const runs = scenarios.reduce((sum, scenario) => sum + scenario.servers.length, 0);
  console.log(`measuring: ${options.rounds} rounds × ${runs} runs of ${options.seconds} s (≈ ${Math.ceil((options.rounds * runs * (options.seconds + 1) + runs * options.warmupSeconds) / 60)} min)`);
  const measurements: Measurement[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const scenario of scenarios) {
      const order = scenario.servers.map((_, index) => scenario.servers[(index + round - 1) % scenario.servers.length]);
      for (const name of order) {
        const server = servers.find((candidate) => candidate.name === name) as MeasuredServer;
        if (round === 1) await warmUp(server, scenario, options.warmupSeconds, admin);
        const measured = await measure(server, scenario, round, options.seconds, admin, postgres.pid);
        measurements.push(measured);
        console.log(progress(measured));
      }
    }
  }
  if (options.cpuProfileDir) {
    // The measured runs' time windows, for cpu-profile-summary --windows (same monotonic clock as the profile).
    const windows = measurements.filter((measured) => measured.server === 'service').map(({ scenario, round, window }) => ({ scenario, round, ...window }));
    fs.mkdirSync(options.cpuProfileDir, { recursive: true });
    fs.writeFileSync(path.join(options.cpuProfileDir, 'windows.json'), `${JSON.stringify(windows, null, 2)}\n`);
  }
  const rssMiB = new Map(servers.map((server) => [server.name, server.rssMiB()]));
  const loadEnd = loadAverage();
  console.log(`load average (1/5/15 min) at end: ${loadEnd}`);

  const commit = `${git('rev-parse', '--short', 'HEAD') || 'unknown'}${git('status', '--porcelain', '--untracked-files=no') ? ' (with local changes)' : ''}`;
  const facts: RunFacts = {
    date: new Date().toISOString().slice(0, 10),
    commit,
    machine: machine(),
    runtimes: { service: process.version, 'service-node22': node22?.version ?? '', floor: process.version, postgraphile: node22?.version ?? '' },
    versions: `PostgreSQL ${postgres.version} (temporary cluster: shared_buffers 512MB, other settings default), autocannon ${packageVersion(require.resolve('autocannon/package.json'))}${node22 ? `, PostGraphile ${packageVersion(path.join(NODE22_DIRECTORY, 'node_modules', 'postgraphile', 'package.json'))}` : ''}`,
    options: `${options.rounds} rounds × ${options.seconds} s per run (server order rotated each round), ${options.warmupSeconds} s warm-up per server and scenario; ${options.connections} connections unless "serial" (1)`,
    data: dataLine,
    loadStart,
    loadEnd,
    rssMiB,
    servers: servers.map(({ name, what }) => ({ name, what })),
    explained,
  };
  const section = renderReport(facts, scenarios, measurements);
  console.log(`\n${section}\n`);
  if (options.reportFile) {
    writeReport(path.resolve(PROJECT_ROOT, options.reportFile), section);
    console.log(`written to ${options.reportFile}`);
  }
  keepLogs = measurements.some((measured) => measured.bad > 0);
  return 0;
}

async function main(): Promise<number> {
  const options = readBenchOptions();
  const cleanup = new CleanupStack();
  const removeHandlers = cleanup.installSignalHandlers();
  // A stray rejection (a server's socket, a late callback) must not leave processes and a cluster behind.
  process.on('unhandledRejection', (reason) => {
    console.error('unhandled rejection:', reason);
    void cleanup.run().then(() => process.exit(1));
  });
  try {
    return await run(options, cleanup);
  } finally {
    await cleanup.run();
    removeHandlers();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error);
    process.exit(1);
  },
);
