import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '../src/core/database/data-source';
import { startPgBouncer, startReplicatedPostgres, type PgBouncer, type PostgresServer, type ReplicatedPostgres } from '../scripts/support/replicated-postgres';
import { buildCompiled } from './support/compiled-build';
import { contractOperation } from './support/contract';
import { TestIdentityProvider } from './support/identity-provider';
import { SERVICE_MAIN, ServiceProcess } from './support/service-process';
import { WebhookReceiver } from './support/webhook-receiver';

/**
 * Scale-out on real servers (README "Scaling out"): a PostgreSQL primary and a streaming replica
 * (`pg_basebackup -R`), a PgBouncer in transaction pooling mode in front of the primary, and two
 * instances of the compiled service on them, every server on a loopback port of its own.
 */

jest.setTimeout(180_000);

const DATABASE = 'access';
const VIEWER = contractOperation('Viewer');
const MEMBERS = contractOperation('Members');
const TEAMS = contractOperation('Teams');
const CREATE_TEAM = contractOperation('CreateTeam');
const ROLES = contractOperation('Roles');
const INVITE = contractOperation('InviteUser');
const ACCEPT = contractOperation('AcceptInvitation');
const DEACTIVATE = contractOperation('DeactivateMember');
const REACTIVATE = contractOperation('ReactivateMember');
const ENTITIES = 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Organisation { id name } ... on User { id displayName } } }';
const CREATE_ORGANISATION = 'mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { id } }';
const CREATE_ENDPOINT = 'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }';

// Statements that read the tenant data a dashboard shows (background workers touch none of these tables).
const TENANT_TABLES = String.raw`\m(memberships|membership_roles|roles|organisations|users|teams|team_members|team_roles)\M`;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function sql<T = any>(server: PostgresServer, text: string, parameters: unknown[] = [], database = DATABASE): Promise<T[]> {
  const client = new Client({ connectionString: server.url(database) });
  await client.connect();
  try {
    return (await client.query(text, parameters)).rows;
  } finally {
    await client.end();
  }
}

/** Statements each server ran since its counters were reset: all, on tenant tables, on user_write_positions. */
async function statements(server: PostgresServer): Promise<{ total: number; tenant: number; positions: number }> {
  const [row] = await sql(
    server,
    `SELECT coalesce(sum(calls), 0)::int AS total,
            coalesce(sum(calls) FILTER (WHERE query ~* $1), 0)::int AS tenant,
            coalesce(sum(calls) FILTER (WHERE query ~* 'user_write_positions'), 0)::int AS positions
     FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $2) AND query !~* 'pg_stat_statements'`,
    [TENANT_TABLES, DATABASE],
  );
  return row;
}

async function resetStatements(servers: PostgresServer[]): Promise<void> {
  for (const server of servers) await sql(server, 'SELECT pg_stat_statements_reset()');
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await pause(100);
  }
}

interface User {
  token: string;
  id: string;
  email: string;
}

describe('scale-out: a primary, a streaming replica, PgBouncer (transaction mode), two instances', () => {
  let cluster: ReplicatedPostgres;
  let primary: PostgresServer;
  let replica: PostgresServer;
  let bouncer: PgBouncer;
  let idp: TestIdentityProvider;
  let receiver: WebhookReceiver;
  let dataDirectory: string;
  let a: ServiceProcess;
  let b: ServiceProcess;
  let both: ServiceProcess[];
  let organisationId: string;
  let owner: User;
  let reader: User;
  let roleIds: Record<string, string>;

  const signIn = async (instance: ServiceProcess, options: { platformAdmin?: boolean } = {}): Promise<User> => {
    const subject = idp.nextSubject();
    const email = `${subject}@example.com`;
    const token = await idp.token({ subject, email, emailVerified: true, ...options });
    const response = await instance.graphql('{ viewer { user { id } } }', {}, token);
    if (!response.data) throw new Error(`sign-in failed: ${JSON.stringify(response.errors)}`);
    return { token, id: response.data.viewer.user.id, email };
  };
  /** Invites a new person with `role` (through `by`) and has them accept; their membership id. */
  const join = async (role: string, via: ServiceProcess): Promise<User & { membershipId: string }> => {
    const person = await signIn(via);
    const invited = await a.graphql(INVITE, { input: { organisationId, email: person.email, roleIds: [roleIds[role]] } }, owner.token);
    const accepted = await b.graphql(ACCEPT, { token: invited.data.inviteUser.token }, person.token);
    if (!accepted.data) throw new Error(`accept failed: ${JSON.stringify(accepted.errors)}`);
    return { ...person, membershipId: accepted.data.acceptInvitation.id };
  };
  const teamNames = async (instance: ServiceProcess, user: User): Promise<string[]> => {
    const response = await instance.graphql(TEAMS, { organisationId, first: 100 }, user.token);
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.organisation.teams.edges.map((edge: { node: { name: string } }) => edge.node.name);
  };
  const replicaInUse = async (instance: ServiceProcess) => (await instance.metric('db_replica_up')) === 1;

  beforeAll(async () => {
    const built = buildCompiled([path.relative(path.resolve(__dirname, '..'), SERVICE_MAIN)]);
    cluster = await startReplicatedPostgres({ replicas: 1 });
    [primary, replica] = [cluster.primary, cluster.replicas[0]];
    await sql(primary, `CREATE DATABASE ${DATABASE}`, [], 'postgres');
    await sql(primary, 'CREATE EXTENSION pg_stat_statements');
    // Migrations on a connection of their own, straight to the primary (as an operator's deploy step would).
    const migrator = createDataSource(primary.url(DATABASE), { poolSize: 1, timeouts: null });
    await migrator.initialize();
    await migrator.runMigrations({ transaction: 'each' });
    await migrator.destroy();
    bouncer = await startPgBouncer({ targets: { [DATABASE]: primary } });
    idp = await TestIdentityProvider.start();
    receiver = await WebhookReceiver.start();
    dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'access-scale-out-'));
    await built;
    const environment = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDirectory,
      MIGRATE_ON_START: 'false',
      AUTH_ISSUER: idp.issuer,
      AUTH_AUDIENCE: idp.audience,
      // Writes (and the primary's reads) through PgBouncer; reads from the replica; LISTEN straight to the primary.
      DATABASE_URL: bouncer.url(DATABASE),
      DATABASE_REPLICA_URLS: replica.url(DATABASE),
      DATABASE_LISTEN_URL: primary.url(DATABASE),
      DATABASE_REPLICA_CHECK_INTERVAL_MS: '200',
      // Every worker on, on both instances.
      OUTBOX_POLL_INTERVAL_MS: '200',
      WEBHOOK_POLL_INTERVAL_MS: '200',
      EVENT_SWEEP_INTERVAL_MS: '300',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    };
    [a, b] = await Promise.all([ServiceProcess.start('A', environment), ServiceProcess.start('B', environment)]);
    both = [a, b];
    for (const instance of both) await eventually(`${instance.name} reads from the replica`, () => replicaInUse(instance));

    const admin = await signIn(a, { platformAdmin: true });
    owner = await signIn(b);
    const created = await a.graphql(CREATE_ORGANISATION, { input: { name: 'Scale', slug: `scale-${randomBytes(3).toString('hex')}`, ownerEmail: owner.email } }, admin.token);
    organisationId = created.data.createOrganisation.id;
    const roles = await b.graphql(ROLES, { organisationId }, owner.token);
    roleIds = Object.fromEntries(roles.data.organisation.roles.map((role: { id: string; name: string }) => [role.name.toLowerCase(), role.id]));
    // Webhooks of every event of the organisation, delivered by both instances' workers.
    await a.graphql(CREATE_ENDPOINT, { input: { organisationId, url: receiver.url, eventTypes: [] } }, owner.token);
    reader = await join('admin', a);
    for (let index = 0; index < 3; index += 1) await join('member', b);
  }, 300_000);

  afterAll(async () => {
    await Promise.all((both ?? []).map((instance) => instance.stop()));
    await receiver?.stop();
    await idp?.stop();
    await bouncer?.stop();
    await cluster?.stop();
    if (dataDirectory) fs.rmSync(dataDirectory, { recursive: true, force: true });
  });

  it('reads land on the replica: the primary runs one lookup per request and reads no tenant table', async () => {
    await cluster.waitForReplay();
    await pause(500); // both routers see the replica caught up
    await resetStatements([primary, replica]);
    const requests = 24;
    for (let index = 0; index < requests; index += 1) {
      const instance = both[index % 2];
      const operation = index % 3;
      const response =
        operation === 0
          ? await instance.graphql(MEMBERS, { organisationId, first: 20 }, reader.token)
          : operation === 1
            ? await instance.graphql(VIEWER, {}, reader.token)
            : await instance.graphql(ENTITIES, { representations: [{ __typename: 'Organisation', id: organisationId }, { __typename: 'User', id: owner.id }] }, reader.token);
      expect(response.errors).toBeUndefined();
    }
    const [onPrimary, onReplica] = [await statements(primary), await statements(replica)];
    process.stdout.write(`scale-out split over ${requests} reads: primary ${JSON.stringify(onPrimary)}, replica ${JSON.stringify(onReplica)}\n`);
    // Sign-in (the user lookup), the permission snapshot and every loader read the replica.
    expect(onPrimary.tenant).toBe(0);
    expect(onReplica.tenant).toBeGreaterThanOrEqual(requests * 2);
    // The primary's share per request: the caller's last-write lookup (read-your-writes).
    expect(onPrimary.positions).toBe(requests);
  });

  it('read-your-writes: a caller reads its own change from the other instance while the replica is 3 s behind', async () => {
    await sql(replica, "ALTER SYSTEM SET recovery_min_apply_delay = '3s'");
    await sql(replica, 'SELECT pg_reload_conf()');
    try {
      const routedBefore = await b.metric('db_read_routes_total', { reason: 'read-your-writes' });
      for (let round = 0; round < 3; round += 1) {
        const [writer, other] = round % 2 === 0 ? [a, b] : [b, a];
        const name = `Delayed ${round}`;
        const created = await writer.graphql(CREATE_TEAM, { input: { organisationId, name } }, owner.token);
        expect(created.errors).toBeUndefined();
        // The writer sees its change at once, from the other instance: its reads go to the primary.
        expect(await teamNames(other, owner)).toContain(name);
        // Someone else reads the replica, which has not replayed it yet.
        expect(await teamNames(writer, reader)).not.toContain(name);
      }
      expect(await b.metric('db_read_routes_total', { reason: 'read-your-writes' })).toBeGreaterThan(routedBefore);
      // Once replayed, everyone sees it, and the writer reads the replica again.
      await eventually('the replica replays the writes', async () => (await teamNames(a, reader)).includes('Delayed 2'), 10_000);
      const onReplica = await a.metric('db_read_routes_total', { reason: 'replica' });
      await teamNames(a, owner);
      expect(await a.metric('db_read_routes_total', { reason: 'replica' })).toBe(onReplica + 1);
    } finally {
      await sql(replica, 'ALTER SYSTEM RESET recovery_min_apply_delay');
      await sql(replica, 'SELECT pg_reload_conf()');
    }
  });

  it('stopping the replica mid-run fails no request; reads return to it once it is back', async () => {
    await cluster.waitForReplay();
    const outcomes: { status: number; errors: number }[] = [];
    let running = true;
    const client = async (index: number) => {
      for (let turn = 0; running; turn += 1) {
        const instance = both[(index + turn) % 2];
        const { status, body } = await instance.request(turn % 2 === 0 ? MEMBERS : VIEWER, turn % 2 === 0 ? { organisationId, first: 20 } : {}, reader.token);
        outcomes.push({ status, errors: body.errors?.length ?? 0 });
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    await pause(1000);
    await replica.stop();
    await pause(2500);
    running = false;
    await Promise.all(clients);
    const failed = outcomes.filter((outcome) => outcome.status !== 200 || outcome.errors > 0);
    process.stdout.write(`scale-out replica stop: ${outcomes.length} requests, ${failed.length} failed\n`);
    expect(outcomes.length).toBeGreaterThan(20);
    expect(failed).toEqual([]);
    for (const instance of both) expect(await instance.metric('db_replica_up')).toBe(0);

    await replica.start();
    for (const instance of both) await eventually(`${instance.name} reads from the replica again`, () => replicaInUse(instance));
    await cluster.waitForReplay();
    await resetStatements([replica]);
    for (const instance of both) expect((await instance.graphql(MEMBERS, { organisationId, first: 5 }, reader.token)).errors).toBeUndefined();
    expect((await statements(replica)).tenant).toBeGreaterThan(0);
  });

  it('keeps the invariants with requests spread over both instances (through PgBouncer)', async () => {
    // One acceptance per invitation, one membership per user and organisation: each invitee accepts twice at once, once per instance.
    const invitees = await Promise.all([0, 1, 2, 3, 4, 5].map((index) => signIn(both[index % 2])));
    const tokens: string[] = [];
    for (const invitee of invitees) {
      const [first, second] = await Promise.all(both.map((instance) => instance.graphql(INVITE, { input: { organisationId, email: invitee.email, roleIds: [roleIds.member] } }, owner.token)));
      // One pending invitation per email: the second invite of the race is a CONFLICT.
      const winners = [first, second].filter((response) => response.data?.inviteUser);
      expect(winners).toHaveLength(1);
      expect([first, second].find((response) => !response.data?.inviteUser)?.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      tokens.push(winners[0].data.inviteUser.token);
    }
    const accepted = await Promise.all(invitees.flatMap((invitee, index) => both.map((instance) => instance.request(ACCEPT, { token: tokens[index] }, invitee.token))));
    expect(accepted.every((answer) => answer.status === 200)).toBe(true);
    for (let index = 0; index < invitees.length; index += 1) {
      const answers = accepted.slice(index * 2, index * 2 + 2).map((answer) => answer.body);
      expect(answers.filter((body) => body.data?.acceptInvitation)).toHaveLength(1);
      expect(answers.find((body) => !body.data?.acceptInvitation)?.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    }
    const memberships = await sql(primary, 'SELECT user_id, count(*)::int AS n FROM memberships WHERE organisation_id = $1 GROUP BY user_id HAVING count(*) > 1', [organisationId]);
    expect(memberships).toEqual([]);
    const acceptedInvitations = await sql(primary, `SELECT count(*)::int AS n FROM invitations WHERE organisation_id = $1 AND status = 'ACCEPTED' AND email = ANY($2)`, [
      organisationId,
      invitees.map((invitee) => invitee.email),
    ]);
    expect(acceptedInvitations).toEqual([{ n: invitees.length }]);

    // One user per person: a first sign-in sent to both instances at once, three times each.
    const subject = idp.nextSubject();
    const token = await idp.token({ subject, email: `${subject}@example.com` });
    const signIns = await Promise.all([0, 1, 2, 3, 4, 5].map((index) => both[index % 2].request(VIEWER, {}, token)));
    expect(signIns.every((answer) => answer.status === 200 && !answer.body.errors)).toBe(true);
    expect(await sql(primary, 'SELECT count(*)::int AS n FROM users WHERE subject = $1', [subject])).toEqual([{ n: 1 }]);

    // An active Owner: two Owners deactivate each other at once, from different instances.
    const second = await join('owner', a);
    const ownerMembership = (await sql(primary, 'SELECT id FROM memberships WHERE organisation_id = $1 AND user_id = $2', [organisationId, owner.id]))[0].id;
    for (let round = 0; round < 4; round += 1) {
      const answers = await Promise.all([
        a.request(DEACTIVATE, { membershipId: second.membershipId }, owner.token),
        b.request(DEACTIVATE, { membershipId: ownerMembership }, second.token),
      ]);
      expect(answers.every((answer) => answer.status === 200 && answer.body.errors?.[0]?.extensions?.code !== 'INTERNAL_SERVER_ERROR')).toBe(true);
      const active = await sql(
        primary,
        `SELECT count(*)::int AS n FROM memberships m JOIN membership_roles mr ON mr.membership_id = m.id JOIN roles r ON r.id = mr.role_id
         WHERE m.organisation_id = $1 AND m.status = 'ACTIVE' AND r.built_in_key = 'owner'`,
        [organisationId],
      );
      expect(active).toEqual([{ n: 1 }]);
      // Exactly one of the two won; whoever remains brings the other back.
      const won = answers.map((answer) => Boolean(answer.body.data?.deactivateMember));
      expect(won.filter(Boolean)).toHaveLength(1);
      const [stillOwner, deactivated] = won[0] ? [owner, second.membershipId] : [second, ownerMembership];
      expect((await both[round % 2].graphql(REACTIVATE, { membershipId: deactivated }, stillOwner.token)).errors).toBeUndefined();
    }
  });

  it('runs every worker on both instances, each job once: invitation emails, webhooks, expiry announcements', async () => {
    // Expire three pending invitations: the sweepers of both instances race to announce them.
    const pending = [0, 1, 2].map(() => `expiring-${randomBytes(3).toString('hex')}@example.com`);
    const invitationIds: string[] = [];
    for (const email of pending) invitationIds.push((await a.graphql(INVITE, { input: { organisationId, email, roleIds: [roleIds.member] } }, owner.token)).data.inviteUser.invitation.id);
    await sql(primary, `UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = ANY($1)`, [invitationIds]);
    await eventually(
      'every expiry announced',
      async () => (await sql(primary, `SELECT count(*)::int AS n FROM events WHERE type = 'invitation.expired' AND data->>'invitationId' = ANY($1)`, [invitationIds]))[0].n >= invitationIds.length,
    );
    await eventually('every email sent', async () => (await sql(primary, `SELECT count(*)::int AS n FROM email_outbox WHERE status = 'PENDING'`))[0].n === 0);
    await eventually('every webhook delivered', async () => (await sql(primary, `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'PENDING'`))[0].n === 0, 30_000);
    await pause(600); // a sweep or poll more on each instance: nothing is announced or sent twice

    const expiries = await sql(primary, `SELECT data->>'invitationId' AS id, count(*)::int AS n FROM events WHERE type = 'invitation.expired' AND data->>'invitationId' = ANY($1) GROUP BY 1`, [invitationIds]);
    expect(expiries.map((row) => row.n)).toEqual([1, 1, 1]);

    const sent = both.flatMap((instance) => instance.logLines().filter((line) => line.outboxId).map((line) => ({ instance: instance.name, id: line.outboxId as string })));
    const outbox = await sql(primary, `SELECT id FROM email_outbox WHERE status = 'SENT'`);
    expect(sent.map((line) => line.id).sort()).toEqual(outbox.map((row) => row.id).sort());
    process.stdout.write(`scale-out workers: ${sent.length} emails (A ${sent.filter((line) => line.instance === 'A').length}, B ${sent.filter((line) => line.instance === 'B').length}), ${receiver.received.length} webhooks\n`);

    // Every event queued for the endpoint (all of the organisation's since it was registered) arrived once.
    const queued = await sql(primary, `SELECT DISTINCT event_id::text AS id FROM webhook_deliveries WHERE organisation_id = $1`, [organisationId]);
    expect(queued.length).toBeGreaterThan(10);
    expect(await sql(primary, `SELECT status, count(*)::int AS n FROM webhook_deliveries WHERE organisation_id = $1 GROUP BY status`, [organisationId])).toEqual([{ status: 'SUCCEEDED', n: queued.length }]);
    expect([...receiver.countsById().values()].every((count) => count === 1)).toBe(true);
    expect([...receiver.countsById().keys()].sort()).toEqual(queued.map((row) => row.id).sort());
  });

  it('LISTEN/NOTIFY: a rotated cursor key reaches both instances', async () => {
    const page = async (instance: ServiceProcess, after?: string) => instance.graphql(MEMBERS, { organisationId, first: 1, after }, reader.token);
    const cursor = (await page(a)).data.organisation.members.pageInfo.endCursor as string;
    expect((await page(b, cursor)).errors).toBeUndefined();
    await sql(primary, `UPDATE service_keys SET key = $1 WHERE name = 'cursor-hmac'`, [randomBytes(32)]);
    for (const instance of both) {
      await eventually(`${instance.name} refuses cursors of the old key`, async () => (await page(instance, cursor)).errors?.[0]?.extensions?.code === 'BAD_USER_INPUT', 5_000);
    }
    const fresh = (await page(b)).data.organisation.members.pageInfo.endCursor as string;
    expect((await page(a, fresh)).errors).toBeUndefined();
  });
});
