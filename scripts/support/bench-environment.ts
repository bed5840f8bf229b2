/**
 * What `bench:http` and `soak` share: the real service started in process on a throwaway database
 * (created on DATABASE_URL's server, else postgres://postgres@127.0.0.1:5432/postgres, migrated,
 * seeded and dropped at the end, also on failure and on Ctrl-C), the development issuer in a
 * temporary DATA_DIR, people who sign in like real users, and a few helpers for reports.
 *
 * Data: one organisation (created through `createOrganisation`) with `members` members, each holding
 * 3 custom roles and in 2 teams, an Owner and a Viewer-role member, plus 10 other organisations of
 * `otherMembers` members.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { DevIssuer } from '../../src/core/auth/dev-issuer';
import { startService, type RunningService } from '../../src/core/bootstrap';
import { loadConfig, type AppConfig } from '../../src/core/config';
import { createDataSource } from '../../src/core/database/data-source';
import { contractOperation } from '../../test/support/contract';

/** A positive number from the environment, or `fallback`; anything else stops the script. */
export function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

export const fixed = (value: number, digits = 1) => value.toFixed(digits);

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export function machineInfo(): string[] {
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

export const loadAverage = () => os.loadavg().map((value) => value.toFixed(2)).join(' ');

export function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

export interface GraphQLResponse {
  data?: any;
  errors?: unknown[];
}

export interface Target {
  method: 'GET' | 'POST';
  path: string;
  token?: string;
}

/** One HTTP request; a status other than 200 throws. */
export async function send(baseUrl: string, target: Target, body: string | undefined, requestId?: string): Promise<unknown> {
  const response = await fetch(`${baseUrl}${target.path}`, {
    method: target.method,
    headers: { 'content-type': 'application/json', ...(target.token ? { authorization: `Bearer ${target.token}` } : {}), ...(requestId ? { 'x-request-id': requestId } : {}) },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${target.method} ${target.path}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/** The data of one GraphQL operation; errors throw. */
export async function graphql(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = (await send(url, { method: 'POST', path: '/graphql', token }, JSON.stringify({ query, variables }))) as GraphQLResponse;
  if (response.errors || !response.data) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors ?? response).slice(0, 1000)}`);
  return response.data;
}

/** Steps run last-added first, once, also on SIGINT/SIGTERM (then the process exits 130/143). */
export class Cleanups {
  private readonly steps: { name: string; run(): Promise<void> }[] = [];
  private running: Promise<void> | null = null;
  private signalled = false;

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        await step.run().catch((error: Error) => console.error(`cleanup (${step.name}) failed: ${error.message}`));
      }
    })();
    return this.running;
  }

  /**
   * `on`, not `once`: a library's own handler may stop its part and raise the same signal again (Apollo
   * Server does unless stopOnTerminationSignals is false); it must find this one still there, or the
   * default action kills the process in the middle of the cleanup. Returns the uninstaller.
   */
  onSignals(what: string): () => void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.signalled) return;
      this.signalled = true;
      console.error(`\n${signal}: stopping and dropping the ${what} database`);
      void this.run().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  }
}

export interface BenchDatabase {
  url: string;
  name: string;
  dataSource: DataSource;
  drop(): Promise<void>;
}

/** A throwaway database on `serverUrl`'s server, migrated; `drop()` removes it (once, also after a failure). */
export async function createBenchDatabase(serverUrl: string, name: string, applicationName: string): Promise<BenchDatabase> {
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
  const dataSource = createDataSource(url.toString(), { poolSize: 10, applicationName });
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

/** More organisations with their built-in roles and members, so the main one is not alone in its tables. */
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

export interface BenchWorld {
  service: RunningService;
  /** The service's configuration (another service on the same data starts with it). */
  config: AppConfig;
  dataSource: DataSource;
  baseUrl: string;
  graphqlUrl: string;
  ownerToken: string;
  viewerToken: string;
  organisationId: string;
  /** The seeded members of the main organisation (not the Owner nor the Viewer), their custom roles and teams. */
  seeded: { membershipIds: string[]; roleIds: string[]; teamIds: string[] };
  memberRoleId: string;
}

/**
 * Creates the throwaway database `databaseName`, starts the service on it and seeds the data (see the
 * file's comment). Every step it takes is undone by `cleanups`.
 */
export async function startBenchWorld(options: {
  databaseName: string;
  applicationName: string;
  members: number;
  otherMembers: number;
  cleanups: Cleanups;
  /** The server to create the database on (default DATABASE_URL, else the machine's PostgreSQL). */
  serverUrl?: string;
}): Promise<BenchWorld> {
  const { cleanups, members, otherMembers } = options;
  const serverUrl = options.serverUrl ?? (process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  const database = await createBenchDatabase(serverUrl, options.databaseName, options.applicationName);
  cleanups.add(`drop database ${database.name}`, database.drop);
  const [{ version }] = await database.dataSource.query('SELECT version()');
  console.log(`PostgreSQL: ${redact(serverUrl)} → database ${database.name} (${String(version).split(' on ')[0]})`);

  // Service: development issuer in a temporary data folder, outbox worker off, silent logs.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-bench-'));
  cleanups.add(`remove ${dataDir}`, async () => fs.rmSync(dataDir, { recursive: true, force: true }));
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
  const service = await startService(config, { dataSource: database.dataSource });
  cleanups.add('stop the service', () => service.stop());
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
  const { dataSource } = database;
  const seeded = await seedMembers(dataSource, organisationId, 'bench-main', members, 3, 2);
  await dataSource.query(
    `WITH m AS (INSERT INTO memberships (organisation_id, user_id) VALUES ($1, $2) RETURNING id)
     INSERT INTO membership_roles (membership_id, role_id, organisation_id)
     SELECT m.id, r.id, $1 FROM m, roles r WHERE r.organisation_id = $1 AND r.built_in_key = 'viewer'`,
    [organisationId, viewerUserId],
  );
  await seedOtherOrganisations(dataSource, 10, otherMembers);
  await dataSource.query('ANALYZE');
  const [{ member: memberRoleId }] = await dataSource.query(`SELECT id AS member FROM roles WHERE organisation_id = $1 AND built_in_key = 'member'`, [organisationId]);
  console.log(
    `data: organisation with ${members} seeded members (+ Owner, + Viewer) × 3 custom roles × 2 teams; 10 other organisations × ${otherMembers} members; seeded in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`,
  );
  return { service, config, dataSource, baseUrl, graphqlUrl, ownerToken, viewerToken, organisationId, seeded, memberRoleId };
}
