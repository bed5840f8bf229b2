/**
 * Read scale-out benchmark (not a test): `npm run bench:replicas`. Starts a PostgreSQL primary with two
 * streaming replicas of its own (scripts/support/replicated-postgres.ts, loopback ports, pg_stat_statements
 * on each), seeds the bench world (scripts/support/bench-environment.ts), then loads the same read mix
 * with 0, 1 and 2 replicas in DATABASE_REPLICA_URLS. Everything runs on one machine, so throughput says
 * little; what carries over is where the statements go and what the primary spends per request:
 * statements per request on each server (pg_stat_statements) and each server's CPU per request (its
 * postmaster and backends, from /proc).
 *
 * Knobs: BENCH_SECONDS (10 per configuration), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (8),
 * BENCH_MEMBERS (1000), BENCH_OTHER_MEMBERS (100), BENCH_PG_BIN (/usr/lib/postgresql/15/bin),
 * BENCH_REPORT (docs/benchmarks.md; `-` prints only).
 */
process.env.LOG_LEVEL = 'silent';
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { startService } from '../src/core/bootstrap';
import { readRouterOf } from '../src/core/database/routed-data-source';
import { contractOperation } from '../test/support/contract';
import { assert, Cleanups, fixed, loadAverage, machineInfo, positive, startBenchWorld } from './support/bench-environment';
import { badResponses, LoadGenerator } from './support/load-generator';
import { DEFAULT_PG_BIN, startReplicatedPostgres, type PostgresServer } from './support/replicated-postgres';

const DATABASE = 'access_bench_replicas';
const START = '<!-- npm run bench:replicas: latest run (generated; everything up to the end marker is rewritten by each run) -->';
const END = '<!-- npm run bench:replicas: end of latest run -->';

interface Row {
  replicas: number;
  requests: number;
  reqPerSec: number;
  /** Per server (primary first): statements and CPU ms per request. */
  statements: number[];
  cpuMs: number[];
  serviceCpuMs: number;
}

async function query<T = any>(server: PostgresServer, sql: string, database = DATABASE): Promise<T[]> {
  const client = new Client({ connectionString: server.url(database) });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

const STATEMENTS = `SELECT coalesce(sum(calls), 0)::bigint AS calls FROM pg_stat_statements
  WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query !~* 'pg_stat_statements'`;

async function main(): Promise<number> {
  const seconds = positive('BENCH_SECONDS', 10);
  const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS || 2);
  const connections = Math.round(positive('BENCH_CONNECTIONS', 8));
  const members = Math.round(positive('BENCH_MEMBERS', 1000));
  const otherMembers = Math.round(positive('BENCH_OTHER_MEMBERS', 100));
  const report = process.env.BENCH_REPORT ?? 'docs/benchmarks.md';
  const cleanups = new Cleanups();
  const stopListening = cleanups.onSignals('benchmark');
  const loadBefore = loadAverage();
  try {
    console.log('bench:replicas — the same read mix with 0, 1 and 2 streaming replicas, on one machine');
    for (const line of machineInfo()) console.log(line);
    const cluster = await startReplicatedPostgres({ replicas: 2, binDirectory: process.env.BENCH_PG_BIN || DEFAULT_PG_BIN });
    cleanups.add('stop the PostgreSQL cluster', () => cluster.stop());
    const servers = [cluster.primary, ...cluster.replicas];
    const world = await startBenchWorld({ databaseName: DATABASE, applicationName: 'access-bench-replicas', members, otherMembers, cleanups, serverUrl: cluster.primary.url() });
    await query(cluster.primary, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await world.service.stop();
    await cluster.waitForReplay();

    const body = (operation: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query: contractOperation(operation), variables });
    const entities = JSON.stringify({
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Membership { id status } } }',
      variables: { r: world.seeded.membershipIds.slice(0, 20).map((id) => ({ __typename: 'Membership', id })) },
    });
    const bodies = [
      body('Members', { organisationId: world.organisationId, first: 20 }),
      body('Viewer'),
      body('OrganisationOverview', { id: world.organisationId }),
      body('TeamDetail', { id: world.seeded.teamIds[0], first: 20 }),
      entities,
    ];
    const generator = new LoadGenerator();
    cleanups.add('stop the load generator', () => generator.stop());
    const rows: Row[] = [];
    for (const replicas of [0, 1, 2]) {
      const config = { ...world.config, DATABASE_REPLICA_URLS: cluster.replicas.slice(0, replicas).map((replica) => replica.url(DATABASE)) };
      const service = await startService(config, { dataSource: world.dataSource });
      try {
        const router = readRouterOf(world.dataSource);
        for (let waited = 0; replicas > 0 && !router?.status().every((replica) => replica.up); waited += 100) {
          assert(waited < 20_000, 'replicas not in use within 20 s');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const load = (runSeconds: number) =>
          generator.run({
            url: `http://127.0.0.1:${service.port}/graphql`,
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${world.ownerToken}` },
            bodies,
            connections,
            seconds: runSeconds,
            check: 'graphql',
          });
        if (warmupSeconds > 0) await load(warmupSeconds);
        for (const server of servers) await query(server, 'SELECT pg_stat_statements_reset()');
        const cpuBefore = servers.map((server) => server.cpuMs());
        const serviceCpuBefore = process.cpuUsage();
        const result = await load(seconds);
        const serviceCpu = process.cpuUsage(serviceCpuBefore);
        const cpu = servers.map((server, index) => server.cpuMs() - cpuBefore[index]);
        const statements = await Promise.all(servers.map(async (server) => Number((await query(server, STATEMENTS))[0].calls)));
        assert(badResponses(result) === 0, `${badResponses(result)} bad responses with ${replicas} replicas: ${JSON.stringify(result.statusCodes)}`);
        const row: Row = {
          replicas,
          requests: result.total,
          reqPerSec: result.reqPerSecMean,
          statements: statements.map((count) => count / result.total),
          cpuMs: cpu.map((ms) => ms / result.total),
          serviceCpuMs: (serviceCpu.user + serviceCpu.system) / 1000 / result.total,
        };
        rows.push(row);
        console.log(
          `${replicas} replicas: ${result.total} requests, ${fixed(result.reqPerSecMean)} req/s; statements/request ${row.statements.map((value) => fixed(value, 2)).join(' / ')}; CPU ms/request ${row.cpuMs.map((value) => fixed(value, 2)).join(' / ')} (primary / replica 1 / replica 2)`,
        );
      } finally {
        await service.stop();
      }
    }
    const section = render(rows, { seconds, connections, members, loadBefore, loadAfter: loadAverage(), version: String((await query(cluster.primary, 'SHOW server_version'))[0].server_version) });
    if (report === '-') console.log(section);
    else {
      writeSection(path.resolve(report), section);
      console.log(`written to ${report}`);
    }
    return 0;
  } finally {
    stopListening();
    await cleanups.run();
  }
}

function render(rows: Row[], facts: { seconds: number; connections: number; members: number; loadBefore: string; loadAfter: string; version: string }): string {
  const cell = (value: number) => fixed(value, 2);
  return [
    START,
    '',
    `### Latest run: ${new Date().toISOString().slice(0, 10)}`,
    '',
    `- ${machineInfo().join('; ')}; PostgreSQL ${facts.version}, a primary and two streaming replicas on this machine; load average ${facts.loadBefore} before, ${facts.loadAfter} after`,
    `- read mix in turn (Members 20 rows, Viewer, OrganisationOverview, TeamDetail 20 members, \`_entities\` 20 memberships) as the Owner of an organisation of ${facts.members} members; ${facts.connections} connections, ${facts.seconds} s per configuration after a warm-up; the service in process with the load generator`,
    '',
    '| replicas | requests | req/s (one machine: not a scale figure) | statements/request: primary | replica 1 | replica 2 | PostgreSQL CPU ms/request: primary | replica 1 | replica 2 | service + load generator CPU ms/request |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) => `| ${row.replicas} | ${row.requests} | ${fixed(row.reqPerSec)} | ${row.statements.map(cell).join(' | ')} | ${row.cpuMs.map(cell).join(' | ')} | ${cell(row.serviceCpuMs)} |`),
    '',
    'Statements include the routers\' background checks (one position read per second on the primary, one probe per replica) and the email, webhook and sweeper polls, spread over the requests.',
    '',
    END,
  ].join('\n');
}

function writeSection(file: string, section: string): void {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start ? current.slice(0, start) + section + current.slice(end + END.length) : `${current.trimEnd()}\n\n## Read replicas (\`npm run bench:replicas\`)\n\n${section}\n`;
  fs.writeFileSync(file, next);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
