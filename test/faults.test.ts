import { Client } from 'pg';
import { runInRequestScope } from '../src/core/context/request-scope';
import { checkReadiness } from '../src/core/database/data-source';
import { runTransaction, transactionRetryCount } from '../src/core/database/transaction';
import { AppError } from '../src/core/errors';
import { TeamEntity } from '../src/teams/team.entity';
import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { TcpProxy } from './support/tcp-proxy';
import { errorCodes, startTestService, type TestService } from './support/test-service';
import { readTestEnvironment } from './support/test-environment';

const VIEWER = '{ viewer { user { id } } }';
const CREATE_ROLE = contractOperation('CreateRole');
const ASSIGN_ROLES = contractOperation('AssignRoles');

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GET on the service's own paths (/readyz, /healthz), timed. */
async function probe(service: TestService, path: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(new URL(path, service.url), { signal: AbortSignal.timeout(10_000) });
  await response.text();
  return { status: response.status, ms: performance.now() - started };
}

/** Milliseconds from now until a read succeeds again (polling every 5 ms). */
async function recoveryTime(service: TestService, token: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    const { status } = await service.request(VIEWER, {}, token);
    if (status === 200) return performance.now() - started;
    if (performance.now() - started > 10_000) throw new Error('the service did not recover within 10 s');
    await pause(5);
  }
}

function expectUnavailable(answer: { status: number; body: { errors?: { extensions?: Record<string, unknown> }[] } }, reason: string): void {
  expect(answer.status).toBe(503);
  expect(answer.body.errors?.map((error) => [error.extensions?.code, error.extensions?.reason])).toEqual([['SERVICE_UNAVAILABLE', reason]]);
}

describe('the database refuses, resets or freezes (a TCP proxy in front of PostgreSQL)', () => {
  let proxy: TcpProxy;
  let service: TestService;
  let user: SignedInUser;
  let organisation: TestOrganisation;
  const measured: string[] = [];

  beforeAll(async () => {
    const target = new URL(readTestEnvironment().adminUrl);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    // Short limits, so the test is quick; the defaults behave the same, only slower.
    service = await startTestService(
      { DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_STATEMENT_TIMEOUT_MS: '1000', DATABASE_QUERY_TIMEOUT_MS: '1500' },
      { databaseUrl: (url) => proxy.via(url) },
    );
    organisation = await createOrganisation(service, await platformAdmin(service));
    user = organisation.owner;
  });
  afterAll(async () => {
    console.log(`database faults: ${measured.join('; ')}`);
    await proxy.forward();
    await service.stop();
    await proxy.stop();
  });
  afterEach(() => proxy.forward());

  it('is ready while the database answers', async () => {
    expect((await probe(service, '/readyz')).status).toBe(200);
  });

  it('database down: SERVICE_UNAVAILABLE (503) at once, for reads, writes and sign-in; recovers without a restart', async () => {
    await proxy.refuse();
    const read = await service.request(VIEWER, {}, user.token);
    expectUnavailable(read, 'DATABASE_UNAVAILABLE');
    expect(read.ms).toBeLessThan(1000);
    measured.push(`database down: a read answered 503 in ${Math.round(read.ms)} ms`);
    const write = await service.request(CREATE_ROLE, { input: { organisationId: organisation.id, name: 'Never', description: '', permissions: [] } }, user.token);
    expectUnavailable(write, 'DATABASE_UNAVAILABLE');
    // Sign-in provisioning needs the database: unavailable, not UNAUTHENTICATED, not a 500.
    expectUnavailable(await service.request(VIEWER, {}, await service.token()), 'DATABASE_UNAVAILABLE');
    const ready = await probe(service, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(2000);
    expect((await probe(service, '/healthz')).status).toBe(200);

    await proxy.forward();
    const recovered = await recoveryTime(service, user.token);
    measured.push(`recovery after the database came back (refused before): ${Math.round(recovered)} ms`);
    expect(recovered).toBeLessThan(2000);
    expect((await probe(service, '/readyz')).status).toBe(200);
    const [{ count }] = await service.database.dataSource.query(`SELECT count(*)::int AS count FROM roles WHERE name = 'Never'`);
    expect(count).toBe(0);
  });

  it('database frozen (no answer at all): requests fail fast, /readyz answers 503 within 2 s, /healthz stays 200; recovers', async () => {
    proxy.blackhole();
    // More requests than connections in the pool: idle connections time out, new ones never open.
    const answers = await Promise.all(Array.from({ length: 14 }, () => service.request(VIEWER, {}, user.token)));
    for (const answer of answers) expectUnavailable(answer, 'DATABASE_UNAVAILABLE');
    const slowest = Math.max(...answers.map((answer) => answer.ms));
    expect(slowest).toBeLessThan(4000);
    const [ready, health] = await Promise.all([probe(service, '/readyz'), probe(service, '/healthz')]);
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(2000);
    expect(health.status).toBe(200);
    expect(health.ms).toBeLessThan(500);
    expectUnavailable(await service.request(CREATE_ROLE, { input: { organisationId: organisation.id, name: 'Frozen', description: '', permissions: [] } }, user.token), 'DATABASE_UNAVAILABLE');
    // When even the connection timeout is longer than READINESS_TIMEOUT_MS, the readiness limit answers.
    const started = performance.now();
    expect(await checkReadiness(service.service.services.dataSource, 300)).toBe('database timeout');
    expect(performance.now() - started).toBeLessThan(600);
    measured.push(`frozen: slowest of 14 concurrent reads ${Math.round(slowest)} ms, /readyz ${Math.round(ready.ms)} ms, /healthz ${Math.round(health.ms)} ms`);

    await proxy.forward();
    const recovered = await recoveryTime(service, user.token);
    measured.push(`recovery after the database thawed: ${Math.round(recovered)} ms`);
    expect(recovered).toBeLessThan(2000);
  });
});

describe('a frozen database with the default limits', () => {
  let proxy: TcpProxy;
  let service: TestService;

  beforeAll(async () => {
    const target = new URL(readTestEnvironment().adminUrl);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    service = await startTestService({}, { databaseUrl: (url) => proxy.via(url) });
  });
  afterAll(async () => {
    await proxy.forward();
    await service.stop();
    await proxy.stop();
  });

  it('/readyz answers 503 within READINESS_TIMEOUT_MS (1.5 s); a read fails within the connect or query timeout (3 s, 6 s), not never', async () => {
    const user = await signIn(service);
    expect((await probe(service, '/readyz')).status).toBe(200);
    proxy.blackhole();
    const [ready, read] = await Promise.all([probe(service, '/readyz'), service.request(VIEWER, {}, user.token)]);
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(2000);
    expectUnavailable(read, 'DATABASE_UNAVAILABLE');
    expect(read.ms).toBeLessThan(8000);
    console.log(`frozen database, default limits: /readyz ${Math.round(ready.ms)} ms, a read ${Math.round(read.ms)} ms`);
  });
});

describe('request deadline (REQUEST_TIMEOUT_MS) and transactions', () => {
  const TIMEOUT_MS = 1500;
  let service: TestService;
  let organisation: TestOrganisation;
  let locker: Client;

  beforeAll(async () => {
    // Statement and lock limits far beyond the deadline: what cuts the request is the deadline.
    service = await startTestService(
      { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), DATABASE_STATEMENT_TIMEOUT_MS: '20000', DATABASE_LOCK_TIMEOUT_MS: '20000', DATABASE_QUERY_TIMEOUT_MS: '25000' },
      { databaseUrl: (url) => url },
    );
    organisation = await createOrganisation(service, await platformAdmin(service));
    locker = new Client({ connectionString: service.database.url });
    await locker.connect();
  });
  afterAll(async () => {
    await locker.end();
    await service.stop();
  });

  /** The service's backend waiting for a lock (the one the test holds), once it waits. */
  async function waitingBackend(): Promise<number> {
    for (let tries = 0; tries < 200; tries += 1) {
      const rows = await locker.query(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
      );
      if (rows.rows.length > 0) return rows.rows[0].pid;
      await pause(10);
    }
    throw new Error('no backend waits for the lock');
  }

  it('a request still running at the deadline is answered 503 TIMEOUT near it, and what it wrote is rolled back', async () => {
    const name = 'Slow role';
    // The role is inserted, then its audit event waits for this lock past the deadline.
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE');
    let answer;
    try {
      answer = await service.request(CREATE_ROLE, { input: { organisationId: organisation.id, name, description: '', permissions: [] } }, organisation.owner.token);
    } finally {
      await locker.query('ROLLBACK');
    }
    expectUnavailable(answer, 'TIMEOUT');
    expect(answer.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(answer.ms).toBeLessThan(TIMEOUT_MS + 1000);
    console.log(`request deadline ${TIMEOUT_MS} ms: answered after ${Math.round(answer.ms)} ms`);
    await pause(100);
    const [{ roles }] = await service.database.dataSource.query('SELECT count(*)::int AS roles FROM roles WHERE name = $1', [name]);
    expect(roles).toBe(0);
    // Nothing of the abandoned request is still running or waiting in the database.
    const { rows } = await locker.query(`SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`);
    expect(rows[0].count).toBe(0);
    // The service itself is fine.
    expect((await service.request(VIEWER, {}, organisation.owner.token)).status).toBe(200);
  });

  it('a transaction that would commit after the deadline rolls back instead', async () => {
    const dataSource = service.service.services.dataSource;
    const name = `Late team ${Date.now()}`;
    const attempt = runInRequestScope(
      'deadline-test',
      () =>
        runTransaction(dataSource, async (manager) => {
          await manager.insert(TeamEntity, { organisationId: organisation.id, name, description: '' });
          await pause(300); // slow work after the write, past the deadline
        }),
      200,
    );
    await expect(attempt).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'TIMEOUT' } });
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    expect(await dataSource.getRepository(TeamEntity).countBy({ name })).toBe(0);
  });

  it('a deadlock is retried: both transactions commit', async () => {
    const dataSource = service.service.services.dataSource;
    const teams = await Promise.all(['Deadlock A', 'Deadlock B'].map((name) => dataSource.getRepository(TeamEntity).save({ organisationId: organisation.id, name, description: '' })));
    const [a, b] = teams.map((team) => team.id);
    // Each transaction locks one team, waits until the other locked its own, then wants the other's: a deadlock.
    let arrived = 0;
    const bothLocked = new Promise<void>((resolve) => {
      const check = setInterval(() => arrived >= 2 && (clearInterval(check), resolve()), 5);
    });
    const lockBoth = (first: string, second: string, description: string) =>
      runTransaction(dataSource, async (manager) => {
        await manager.query('UPDATE teams SET description = $2 WHERE id = $1', [first, description]);
        arrived += 1;
        await bothLocked;
        await manager.query('UPDATE teams SET description = $2 WHERE id = $1', [second, description]);
      });
    const retriesBefore = transactionRetryCount();
    await Promise.all([lockBoth(a, b, 'one'), lockBoth(b, a, 'two')]);
    expect(transactionRetryCount() - retriesBefore).toBe(1);
    const descriptions = (await dataSource.getRepository(TeamEntity).findBy([{ id: a }, { id: b }])).map((team) => team.description);
    // The retried one ran last and wrote both rows.
    expect(new Set(descriptions).size).toBe(1);
  });

  it('a connection terminated by the server (57P01) is SERVICE_UNAVAILABLE, and the next request works', async () => {
    const member = await memberWith(service, organisation.id, ['viewer']);
    const [{ id: roleId }] = await service.database.dataSource.query(`SELECT id FROM roles WHERE organisation_id = $1 AND built_in_key = 'member'`, [organisation.id]);
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM organisations WHERE id = $1 FOR UPDATE', [organisation.id]);
    const pending = service.request(ASSIGN_ROLES, { input: { organisationId: organisation.id, membershipIds: [member.membershipId], roleIds: [roleId], mode: 'ADD' } }, organisation.owner.token);
    try {
      const pid = await waitingBackend();
      await locker.query('SELECT pg_terminate_backend($1)', [pid]);
      expectUnavailable(await pending, 'DATABASE_UNAVAILABLE');
    } finally {
      await locker.query('ROLLBACK');
    }
    const again = await service.request(ASSIGN_ROLES, { input: { organisationId: organisation.id, membershipIds: [member.membershipId], roleIds: [roleId], mode: 'ADD' } }, organisation.owner.token);
    expect(again.status).toBe(200);
    expect(errorCodes(again.body)).toEqual([]);
  });
});

describe('JWKS outage (stale-if-error)', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService({ AUTH_JWKS_CACHE_MAX_AGE_SECONDS: '1', AUTH_JWKS_COOLDOWN_SECONDS: '1' });
  });
  afterAll(() => service.stop());

  it('keeps accepting tokens of known keys past the cache age while the endpoint fails; unknown kids stay refused', async () => {
    const known = await signIn(service);
    service.idp.jwksFailure = 'error';
    await pause(1100); // past the cache age (1 s here, 10 min by default)
    const fetchesBefore = service.idp.jwksRequests;
    const started = performance.now();
    for (let index = 0; index < 10; index += 1) {
      const answer = await service.request(VIEWER, {}, known.token);
      expect(answer.status).toBe(200);
      expect(answer.body.data.viewer.user.id).toBe(known.userId);
    }
    // A new person with a token of the known key is provisioned too.
    expect(errorCodes(await service.graphql(VIEWER, {}, await service.token()))).toEqual([]);
    expect(errorCodes(await service.graphql(VIEWER, {}, await service.token({ unknownKey: true })))).toEqual(['UNAUTHENTICATED']);
    // At most one fetch per cooldown (1 s here) while it fails, not one per request (12 here); the exact
    // count on a moved clock is in remote-key-set.test.ts.
    expect(service.idp.jwksRequests - fetchesBefore).toBeLessThanOrEqual(1 + Math.floor((performance.now() - started) / 1000));

    service.idp.jwksFailure = 'hang';
    await pause(1100);
    const whileHanging = await service.request(VIEWER, {}, known.token);
    expect(whileHanging.status).toBe(200);
    expect(whileHanging.ms).toBeLessThan(1000); // the stale set answers; nobody waits for the endpoint
    service.idp.jwksFailure = null;
  });

  it('with no key set ever fetched and the endpoint down: SERVICE_UNAVAILABLE (503), not UNAUTHENTICATED', async () => {
    const fresh = await startTestService();
    try {
      fresh.idp.jwksFailure = 'error';
      expectUnavailable(await fresh.request(VIEWER, {}, await fresh.token()), 'IDENTITY_PROVIDER_UNAVAILABLE');
      fresh.idp.jwksFailure = null;
    } finally {
      await fresh.stop();
    }
  });
});
