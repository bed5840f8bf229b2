import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildCompiled } from './support/compiled-build';
import { TestIdentityProvider } from './support/identity-provider';
import { createSuiteDatabase, type SuiteDatabase } from './support/test-database';

/**
 * The service as an operator runs it: the compiled build in its own process, configured only by its
 * environment. Exit codes, health endpoints, graceful shutdown and the development token command.
 */

const ROOT = path.resolve(__dirname, '..');
const MAIN = path.join(ROOT, 'dist/src/main.js');
const CLI = path.join(ROOT, 'dist/src/cli/cli.js');
const run = promisify(execFile);

jest.setTimeout(120_000);

/** Only what the service needs: nothing leaks in from the test runner's environment (NODE_ENV, DATABASE_URL...). */
const baseEnvironment = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info' });

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface RunningProcess {
  child: ChildProcess;
  port: number;
  base: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (a signal name when killed by one). */
  exited: Promise<number | string>;
}

/** Every child this file started and that has not exited yet (killed at the end, whatever happened). */
const running = new Set<ChildProcess>();

function spawnService(environment: NodeJS.ProcessEnv, port = 0): RunningProcess {
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { ...baseEnvironment(), ...environment, ...(port ? { PORT: String(port) } : {}) } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  running.add(child);
  void exited.then(() => running.delete(child));
  return { child, port, base: `http://127.0.0.1:${port}`, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Starts the service on a free port and waits until /healthz answers. */
async function startProcess(environment: NodeJS.ProcessEnv): Promise<RunningProcess> {
  const service = spawnService(environment, await freePort());
  let exitCode: number | string | undefined;
  void service.exited.then((code) => (exitCode = code));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`the service exited (${exitCode}) before answering:\n${service.stderr()}\n${service.stdout()}`);
    try {
      if ((await fetch(`${service.base}/healthz`)).ok) return service;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  service.child.kill('SIGKILL');
  throw new Error(`the service did not answer /healthz within 60 s:\n${service.stderr()}\n${service.stdout()}`);
}

async function stopProcess(service: RunningProcess | undefined): Promise<void> {
  if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  const timeout = setTimeout(() => service.child.kill('SIGKILL'), 15_000);
  await service.exited;
  clearTimeout(timeout);
}

async function graphql(base: string, query: string, token?: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

// Every database this file needs, created first thing: suites read the shared template's name when they
// create a database, so doing it early keeps this long suite out of the way of other test runs.
const databases: Record<'ready' | 'draining' | 'devIssuer' | 'emptyMigrating' | 'emptyUnmigrated', SuiteDatabase> = {} as never;

beforeAll(async () => {
  for (const name of ['ready', 'draining', 'devIssuer'] as const) databases[name] = await createSuiteDatabase();
  for (const name of ['emptyMigrating', 'emptyUnmigrated'] as const) databases[name] = await createSuiteDatabase({ migrated: false });
  await buildCompiled([MAIN, CLI]);
}, 300_000);

afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  for (const database of Object.values(databases)) await database?.drop();
});

describe('start-up refusals', () => {
  const refusals: [string, NodeJS.ProcessEnv, string][] = [
    ['PORT=abc', { PORT: 'abc' }, 'PORT'],
    ['AUTH_ALGORITHMS=none', { AUTH_ALGORITHMS: 'none' }, 'AUTH_ALGORITHMS'],
    ['DATABASE_URL=mysql://x', { DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    ['production without AUTH_ISSUER', { NODE_ENV: 'production', DATABASE_URL: 'postgres://127.0.0.1:1/none' }, 'AUTH_ISSUER'],
  ];
  it.each(refusals)('exits 1 on %s, naming the variable on stderr', async (_label, environment, variable) => {
    const service = spawnService(environment);
    expect(await service.exited).toBe(1);
    expect(service.stderr()).toContain(`${variable}:`);
  });

  it('exits 1 when PERMISSIONS_FILE has an implication cycle, saying so', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'access-permissions-'));
    try {
      const file = path.join(directory, 'cycle.json');
      fs.writeFileSync(file, JSON.stringify([{ key: 'apikeys:a', implies: ['apikeys:b'] }, { key: 'apikeys:b', implies: ['apikeys:a'] }]));
      const service = spawnService({ PERMISSIONS_FILE: file, DATABASE_URL: 'postgres://127.0.0.1:1/none' });
      expect(await service.exited).toBe(1);
      expect(service.stderr()).toMatch(/cycle/);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  it('exits 1 when the port is taken, saying which', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const { port } = blocker.address() as net.AddressInfo;
    const idp = await TestIdentityProvider.start();
    try {
      const service = spawnService({ NODE_ENV: 'test', DATABASE_URL: databases.ready.url, AUTH_ISSUER: idp.issuer, AUTH_AUDIENCE: idp.audience, MIGRATE_ON_START: 'false' }, port);
      expect(await service.exited).toBe(1);
      expect(service.stderr()).toContain(`cannot listen on port ${port}`);
    } finally {
      await idp.stop();
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('exits 1 when the database cannot be reached', async () => {
    const service = spawnService({ NODE_ENV: 'test', DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/none`, DATA_DIR: os.tmpdir() });
    expect(await service.exited).toBe(1);
    expect(service.stderr()).toMatch(/failed to start/);
  });
});

describe('a running service', () => {
  let idp: TestIdentityProvider;
  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
  });
  afterAll(() => idp.stop());

  const environmentFor = (database: SuiteDatabase, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    AUTH_ISSUER: idp.issuer,
    AUTH_AUDIENCE: idp.audience,
    DATA_DIR: path.join(os.tmpdir(), 'access-process-test'),
    ...extra,
  });

  it('answers /healthz and /readyz, serves GraphQL with a token from the configured issuer, and stops on SIGTERM with 0', async () => {
    const service = await startProcess(environmentFor(databases.ready));
    try {
      const health = await fetch(`${service.base}/healthz`);
      expect(health.status).toBe(200);
      const ready = await fetch(`${service.base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
      const viewer = await graphql(service.base, '{ viewer { isPlatformAdmin user { id } } }', await idp.token({ platformAdmin: true }));
      expect(viewer.errors).toBeUndefined();
      expect(viewer.data.viewer.isPlatformAdmin).toBe(true);
      expect(service.stdout()).toContain(`"port":${service.port}`);

      // What goes wrong before GraphQL runs still answers in GraphQL's error format, with no stack trace.
      for (const [body, status, message] of [
        ['{"query": ', 400, 'Request body is not valid JSON'],
        [JSON.stringify({ query: '{ viewer { isPlatformAdmin } }', padding: 'x'.repeat(1_100_000) }), 413, 'Request body too large'],
      ] as const) {
        const response = await fetch(`${service.base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expect(response.status).toBe(status);
        const text = await response.text();
        expect(JSON.parse(text)).toEqual({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
        expect(text).not.toContain('node_modules');
      }
    } finally {
      service.child.kill('SIGTERM');
    }
    expect(await service.exited).toBe(0);
  });

  it('exports traces over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (standard headers and service name), flushed on SIGTERM', async () => {
    const received: { url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
    const collector = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        received.push({ url: request.url, headers: request.headers, body });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const service = await startProcess(
        environmentFor(databases.ready, {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as net.AddressInfo).port}`,
          OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=test-key',
          OTEL_SERVICE_NAME: 'access-subgraph-under-test',
        }),
      );
      const traceId = randomBytes(16).toString('hex');
      const response = await fetch(`${service.base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await idp.token()}`, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, 'x-request-id': 'otlp-1' },
        body: JSON.stringify({ query: 'query Viewer { viewer { user { id } } }' }),
      });
      expect(response.headers.get('x-request-id')).toBe('otlp-1');
      expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
      await stopProcess(service);
      expect(await service.exited).toBe(0);
      // The request's log line names its request and its trace.
      const line = service.stdout().split('\n').find((candidate) => candidate.includes('"requestId":"otlp-1"') && candidate.includes('request completed'));
      expect(JSON.parse(line as string)).toMatchObject({ operation: 'Viewer', traceId, status: 200 });

      const exported = received.filter((request) => request.url === '/v1/traces');
      expect(exported.length).toBeGreaterThan(0);
      expect(exported[0].headers['x-collector-key']).toBe('test-key');
      const bodies = exported.map((request) => request.body).join('\n');
      expect(bodies).toContain('"query Viewer"');
      expect(bodies).toContain(traceId);
      expect(bodies).toContain('access-subgraph-under-test');
    } finally {
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
  });

  it('reports 503 on /readyz once the database is gone, while /healthz stays 200', async () => {
    const doomed = await createSuiteDatabase();
    const service = await startProcess(environmentFor(doomed));
    try {
      expect((await fetch(`${service.base}/readyz`)).status).toBe(200);
      await doomed.drop();
      const ready = await fetch(`${service.base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'database unreachable' });
      expect((await fetch(`${service.base}/healthz`)).status).toBe(200);
    } finally {
      await stopProcess(service);
    }
  });

  it('applies pending migrations at start by default (an empty database becomes ready)', async () => {
    const empty = databases.emptyMigrating;
    const service = await startProcess(environmentFor(empty));
    try {
      const ready = await fetch(`${service.base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await empty.dataSource.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'organisations'`)).toEqual([{ n: 1 }]);
    } finally {
      await stopProcess(service);
    }
  });

  it('is alive but not ready with MIGRATE_ON_START=false on an empty database', async () => {
    const empty = databases.emptyUnmigrated;
    const service = await startProcess(environmentFor(empty, { MIGRATE_ON_START: 'false' }));
    try {
      expect((await fetch(`${service.base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${service.base}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { status: string }).status).not.toBe('ready');
      // Nothing was created behind the operator's back.
      expect(await empty.dataSource.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`)).toEqual([{ n: 0 }]);
    } finally {
      await stopProcess(service);
    }
  });

  it('finishes an in-flight request on SIGTERM, then exits 0', async () => {
    const migrated = databases.draining;
    const service = await startProcess(environmentFor(migrated));
    const token = await idp.token({ platformAdmin: true });
    // Signed in beforehand, so the request below waits only on the lock.
    expect((await graphql(service.base, '{ viewer { isPlatformAdmin } }', token)).data.viewer.isPlatformAdmin).toBe(true);

    const blocker = migrated.dataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('LOCK TABLE organisations IN ACCESS EXCLUSIVE MODE');
    let inFlight: Promise<Awaited<ReturnType<typeof graphql>>> | undefined;
    try {
      inFlight = graphql(service.base, '{ organisations(first: 5) { totalCount } }', token);
      // Wait until the service's query is actually blocked on our lock.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const [{ n }] = await migrated.dataSource.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'access-subgraph' AND wait_event_type = 'Lock'`,
        );
        if (n > 0) break;
        if (Date.now() > deadline) throw new Error('the request never reached the database');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      service.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Still draining: the process waits for the request.
      expect(service.child.exitCode).toBeNull();
    } finally {
      await blocker.commitTransaction();
      await blocker.release();
    }
    const response = await inFlight;
    expect(response.errors).toBeUndefined();
    expect(response.data.organisations.totalCount).toBe(0);
    expect(await service.exited).toBe(0);
    expect(service.stdout()).toContain('draining in-flight requests');
  });
});

describe('the one-command start: embedded PostgreSQL (no DATABASE_URL)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-embedded-'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const portAnswers = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });

  it('starts its own database under DATA_DIR, keeps the data across restarts, and SIGTERM stops both with 0', async () => {
    const databasePort = await freePort();
    // A temporary directory that does not exist: embedded-postgres writes initdb's password file to the
    // temporary directory, so the first start succeeds only because that file goes to a private folder
    // under DATA_DIR instead (removed afterwards), never to the shared, world-readable /tmp.
    const missingTemporaryDirectory = path.join(os.tmpdir(), `access-no-such-tmp-${process.pid}`);
    const environment = { NODE_ENV: 'development', DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(databasePort), TMPDIR: missingTemporaryDirectory };
    const first = await startProcess(environment);
    expect(await (await fetch(`${first.base}/readyz`)).json()).toEqual({ status: 'ready' });
    expect(fs.existsSync(missingTemporaryDirectory)).toBe(false);
    expect(fs.readdirSync(dataDir).filter((entry) => entry.startsWith('.initdb-'))).toEqual([]);
    const token = (await run(process.execPath, [CLI, 'token', '--email', 'ada@example.com', '--platform-admin'], { cwd: ROOT, env: { ...baseEnvironment(), DATA_DIR: dataDir } })).stdout.trim();
    const created = await graphql(first.base, 'mutation { createOrganisation(input: { name: "Kept", slug: "kept", ownerEmail: "ada@example.com" }) { id } }', token);
    expect(created.errors).toBeUndefined();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(await portAnswers(databasePort)).toBe(false); // the embedded server stopped with the service
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);

    const second = await startProcess(environment);
    const organisations = await graphql(second.base, '{ organisations { totalCount edges { node { slug } } } }', token);
    expect(organisations.data.organisations).toEqual({ totalCount: 1, edges: [{ node: { slug: 'kept' } }] });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});

// PostgreSQL refuses root; as root, the embedded server runs as the machine's `postgres` account. Only a root
// run can meet a folder that account cannot enter (CI runs as root).
const asRoot = os.userInfo().uid === 0 ? describe : describe.skip;
asRoot('as root, a data folder the postgres account cannot enter', () => {
  let closed: string;
  let temporaryDirectory: string;
  beforeAll(() => {
    closed = fs.mkdtempSync(path.join(os.tmpdir(), 'access-root-only-')); // 0700, root's
    temporaryDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'access-tmp-'));
  });
  afterAll(() => {
    for (const directory of [closed, temporaryDirectory]) fs.rmSync(directory, { recursive: true, force: true });
  });

  it('stops before starting anything, says which folder and the ways out (no stack trace), and leaves no password file', async () => {
    const dataDir = path.join(closed, 'data');
    const service = spawnService({ NODE_ENV: 'development', DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(await freePort()), TMPDIR: temporaryDirectory });
    expect(await service.exited).toBe(1);
    const stderr = service.stderr();
    expect(stderr).toContain(`Cannot start the embedded PostgreSQL as root: it runs as the "postgres" account, which cannot enter ${closed} (owner uid 0, mode 0700)`);
    expect(stderr).toContain('set DATABASE_URL');
    expect(stderr).toContain('set DATA_DIR to a folder the postgres account can reach');
    expect(stderr).not.toMatch(/EACCES|\n\s+at /);
    // Nothing was started or written for PostgreSQL: no cluster, no password file anywhere.
    expect(fs.existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    expect(fs.readdirSync(temporaryDirectory)).toEqual([]);
    expect(fs.readdirSync(dataDir).filter((entry) => entry !== 'embedded-postgres.json')).toEqual([]);
    expect(fs.statSync(path.join(dataDir, 'embedded-postgres.json')).mode & 0o777).toBe(0o600);
  });
});

describe('development tokens (npm run token, the CLI\'s token command)', () => {
  let dataDir: string;
  let service: RunningProcess | undefined;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-dev-issuer-'));
  });
  afterAll(async () => {
    await stopProcess(service);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const mint = (args: string[], environment: NodeJS.ProcessEnv = {}) =>
    run(process.execPath, [CLI, 'token', ...args], { cwd: ROOT, env: { ...baseEnvironment(), DATA_DIR: dataDir, ...environment } });

  it('prints a token that a server with the development issuer (same DATA_DIR) accepts, platform admin on request', async () => {
    const plain = (await mint(['--email', 'A@B.c', '--name', 'Ada'])).stdout.trim();
    expect(plain).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const admin = (await mint(['--email', 'root@b.c', '--platform-admin'])).stdout.trim();

    service = await startProcess({ NODE_ENV: 'development', DATABASE_URL: databases.devIssuer.url, DATA_DIR: dataDir });
    const viewer = await graphql(service.base, '{ viewer { isPlatformAdmin user { email displayName } } }', plain);
    expect(viewer.errors).toBeUndefined();
    expect(viewer.data.viewer).toEqual({ isPlatformAdmin: false, user: { email: 'a@b.c', displayName: 'Ada' } });
    const adminViewer = await graphql(service.base, '{ viewer { isPlatformAdmin } }', admin);
    expect(adminViewer.data.viewer.isPlatformAdmin).toBe(true);

    // The same email is the same person across tokens.
    const again = (await mint(['--email', 'a@b.c'])).stdout.trim();
    const ids = await Promise.all([plain, again].map(async (token) => (await graphql(service!.base, '{ viewer { user { id } } }', token)).data.viewer.user.id));
    expect(ids[0]).toBe(ids[1]);

    // A token of another data folder's key is not trusted.
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'access-dev-issuer-other-'));
    try {
      const foreign = (await mint(['--email', 'a@b.c'], { DATA_DIR: elsewhere })).stdout.trim();
      const refused = await graphql(service.base, '{ viewer { user { id } } }', foreign);
      expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('refuses without an email, and when AUTH_ISSUER is configured', async () => {
    await expect(mint([])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining("required option '--email <email>'") });
    await expect(mint(['--email', 'a@b.c'], { AUTH_ISSUER: 'https://idp.example.com', AUTH_AUDIENCE: 'x' })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('AUTH_ISSUER'),
    });
  });
});
