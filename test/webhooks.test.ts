import { randomUUID } from 'node:crypto';
import { AuditService } from '../src/audit/audit.service';
import { SecretSealer } from '../src/webhooks/webhook-secret';
import { WebhookWorker, type WebhookWorkerOptions } from '../src/webhooks/webhook-worker';
import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { expectNothingWritten } from './support/nothing-written';
import { errorCodes, startTestService, type TestService } from './support/test-service';
import { WebhookReceiver } from './support/webhook-receiver';
import { startWebhookReceiver, type AccessEvent } from '../examples/webhook-receiver';

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  secret endpoint { id organisationId url eventTypes description enabled includeEmails disabledReason createdAt } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) { id url eventTypes description enabled includeEmails disabledReason } }`;
const DELETE = `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`;
const ROTATE = `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`;
const REDELIVER = `mutation($endpointId: ID!, $eventId: ID!) { redeliverEvent(endpointId: $endpointId, eventId: $eventId) { id attempt status event { id type } } }`;
const ENDPOINTS = `query($id: ID!, $first: Int, $after: String) { organisation(id: $id) { id webhookEndpoints { id url enabled disabledReason
  deliveries(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { id attempt status responseStatus durationMs error nextAttemptAt createdAt event { id type } } } } } } }`;
const PLATFORM_ENDPOINTS = `{ platformWebhookEndpoints { id organisationId url } }`;

describe('webhooks', () => {
  let service: TestService;
  let admin: SignedInUser;
  let organisation: TestOrganisation;
  let other: TestOrganisation;
  const receivers: WebhookReceiver[] = [];
  const workers: WebhookWorker[] = [];

  beforeAll(async () => {
    service = await startTestService();
    admin = await platformAdmin(service);
    organisation = await createOrganisation(service, admin);
    other = await createOrganisation(service, admin);
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    for (const receiver of receivers) await receiver.stop();
    await service.stop();
  });

  const sql = (statement: string, parameters: unknown[] = []) => service.database.dataSource.query(statement, parameters);
  // Each test's workers see only the endpoints it registers: earlier tests' endpoints are paused.
  afterEach(() => sql('UPDATE webhook_endpoints SET enabled = false'));

  async function receiver(): Promise<WebhookReceiver> {
    const started = await WebhookReceiver.start();
    receivers.push(started);
    return started;
  }

  /** A worker as another instance of the service would run it (tests drive it with runOnce). */
  function worker(options: Partial<WebhookWorkerOptions> = {}): WebhookWorker {
    const created = new WebhookWorker(service.database.dataSource, new AuditService(), {
      pollIntervalMs: 0,
      policy: { allowPrivateNetworks: true, requireHttps: false },
      sealer: new SecretSealer(undefined),
      backoffBaseMs: 50,
      jitter: 0,
      ...options,
    });
    workers.push(created);
    return created;
  }

  async function endpoint(target: TestOrganisation | null, url: string, extra: Record<string, unknown> = {}, token = target?.owner.token ?? admin.token) {
    const response = await service.graphql(CREATE, { input: { organisationId: target?.id ?? null, url, ...extra } }, token);
    expect(response.errors).toBeUndefined();
    return response.data.createWebhookEndpoint as { secret: string; endpoint: { id: string; url: string } };
  }

  async function run(operation: string, variables: Record<string, unknown>, token: string) {
    const response = await service.graphql(contractOperation(operation), variables, token);
    expect(response.errors).toBeUndefined();
    return response.data;
  }

  const feedIds = async (target: TestOrganisation, after = 0) =>
    (await sql('SELECT id, sequence::int AS sequence, type FROM events WHERE organisation_id = $1 AND sequence > $2 ORDER BY sequence', [target.id, after])) as {
      id: string;
      sequence: number;
      type: string;
    }[];
  const lastSequence = async (target: TestOrganisation) => ((await feedIds(target)).pop()?.sequence ?? 0);

  describe('endpoints', () => {
    it('are registered with a whsec_ secret shown once, listed, changed, rotated and deleted, each change audited', async () => {
      const url = `https://hooks.example.com/${randomUUID()}`;
      const created = await service.graphql(CREATE, { input: { organisationId: organisation.id, url: 'http://127.0.0.1:9/x', eventTypes: ['membership.deactivated'], description: ' Keys ' } }, organisation.owner.token);
      expect(created.errors).toBeUndefined();
      const { secret, endpoint: registered } = created.data.createWebhookEndpoint;
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{44}$/);
      expect(registered).toMatchObject({ organisationId: organisation.id, eventTypes: ['membership.deactivated'], description: 'Keys', enabled: true, includeEmails: false });
      const [row] = await sql('SELECT secret FROM webhook_endpoints WHERE id = $1', [registered.id]);
      expect(row.secret).toBe(`plain:${secret}`); // no WEBHOOK_SECRET_KEY in this suite: stored as it is (see the README)

      const listed = await service.graphql(ENDPOINTS, { id: organisation.id }, organisation.owner.token);
      expect(listed.data.organisation.webhookEndpoints.map((entry: any) => entry.id)).toContain(registered.id);
      expect(JSON.stringify(listed)).not.toContain(secret.slice(6));

      const updated = await service.graphql(UPDATE, { id: registered.id, input: { url: 'http://127.0.0.1:10/y', eventTypes: [], enabled: false } }, organisation.owner.token);
      expect(updated.data.updateWebhookEndpoint).toMatchObject({ url: 'http://127.0.0.1:10/y', eventTypes: [], enabled: false });
      const rotated = await service.graphql(ROTATE, { id: registered.id }, organisation.owner.token);
      expect(rotated.data.rotateWebhookSecret.secret).toMatch(/^whsec_/);
      expect(rotated.data.rotateWebhookSecret.secret).not.toBe(secret);
      expect((await service.graphql(DELETE, { id: registered.id }, organisation.owner.token)).data.deleteWebhookEndpoint).toBe(true);
      expect(errorCodes(await service.graphql(DELETE, { id: registered.id }, organisation.owner.token))).toEqual(['NOT_FOUND']);

      const audited = await sql(`SELECT action, actor_user_id FROM audit_events WHERE target_id = $1 ORDER BY occurred_at`, [registered.id]);
      expect(audited.map((entry: any) => entry.action)).toEqual(['webhook.endpoint-created', 'webhook.endpoint-updated', 'webhook.secret-rotated', 'webhook.endpoint-deleted']);
      expect(audited.every((entry: any) => entry.actor_user_id === organisation.owner.userId)).toBe(true);
      expect(url).toBeDefined();
    });

    it('refuses bad input with BAD_USER_INPUT (or CONFLICT past the limit) and writes nothing', async () => {
      const token = organisation.owner.token;
      const bad = [
        { url: 'ftp://127.0.0.1/' },
        { url: 'not a url' },
        { url: 'http://user:secret@127.0.0.1/' },
        { url: 'http://127.0.0.1/#frag' },
        { url: `http://127.0.0.1/${'a'.repeat(2001)}` },
        { url: 'http://127.0.0.1/', eventTypes: ['membership.nope'] },
        { url: 'http://127.0.0.1/', description: 'x'.repeat(501) },
        { url: 'http://127.0.0.1/', description: 'nul \u0000 byte' },
      ];
      await expectNothingWritten(service.database.dataSource, async () => {
        for (const input of bad) {
          const response = await service.graphql(CREATE, { input: { organisationId: organisation.id, ...input } }, token);
          expect([input.url.slice(0, 40), errorCodes(response)]).toEqual([input.url.slice(0, 40), ['BAD_USER_INPUT']]);
        }
        // Platform-wide endpoints never carry email addresses.
        expect(errorCodes(await service.graphql(CREATE, { input: { url: 'http://127.0.0.1/', includeEmails: true } }, admin.token))).toEqual(['BAD_USER_INPUT']);
      });
      const scratch = await createOrganisation(service, admin);
      for (let index = 0; index < 20; index += 1) await endpoint(scratch, `http://127.0.0.1:9/${index}`);
      expect(errorCodes(await service.graphql(CREATE, { input: { organisationId: scratch.id, url: 'http://127.0.0.1:9/21' } }, scratch.owner.token))).toEqual(['CONFLICT']);
      const { endpoint: first } = await endpoint(organisation, 'http://127.0.0.1:9/update');
      for (const input of [{ url: 'gopher://x' }, { eventTypes: ['x.y'] }, { description: 'y'.repeat(501) }]) {
        expect(errorCodes(await service.graphql(UPDATE, { id: first.id, input }, token))).toEqual(['BAD_USER_INPUT']);
      }
      for (const id of ['not-an-id', randomUUID()]) {
        expect(errorCodes(await service.graphql(UPDATE, { id, input: { enabled: false } }, token))).toEqual(['NOT_FOUND']);
        expect(errorCodes(await service.graphql(REDELIVER, { endpointId: first.id, eventId: id }, token))).toEqual(['NOT_FOUND']);
      }
    });

    it('need webhooks:manage (and members:read-contact for email addresses); another organisation’s look missing on every path', async () => {
      const { endpoint: mine } = await endpoint(organisation, 'http://127.0.0.1:9/mine');
      const manager = await memberWith(service, organisation.id, ['manager']);
      expect(errorCodes(await service.graphql(CREATE, { input: { organisationId: organisation.id, url: 'http://127.0.0.1/' } }, manager.token))).toEqual(['FORBIDDEN']);
      const managerList = await service.graphql(ENDPOINTS, { id: organisation.id }, manager.token);
      expect(managerList.data.organisation.webhookEndpoints).toBeNull();
      for (const [query, variables] of [
        [UPDATE, { id: mine.id, input: { enabled: false } }],
        [DELETE, { id: mine.id }],
        [ROTATE, { id: mine.id }],
        [REDELIVER, { endpointId: mine.id, eventId: randomUUID() }],
      ] as const) {
        expect(errorCodes(await service.graphql(query, variables, manager.token))).toEqual(['FORBIDDEN']);
        // Another organisation's Owner, and a platform administrator who is not a member: no such endpoint.
        expect(errorCodes(await service.graphql(query, variables, other.owner.token))).toEqual(['NOT_FOUND']);
        expect(errorCodes(await service.graphql(query, variables, admin.token))).toEqual(['NOT_FOUND']);
      }
      expect(errorCodes(await service.graphql(CREATE, { input: { organisationId: organisation.id, url: 'http://127.0.0.1/' } }, other.owner.token))).toEqual(['NOT_FOUND']);
      // Root, nested and federation paths show nothing of it to another organisation.
      expect((await service.graphql(ENDPOINTS, { id: organisation.id }, other.owner.token)).data.organisation).toBeNull();
      const nested = await service.graphql('{ viewer { memberships { organisation { id webhookEndpoints { id } } } } }', {}, other.owner.token);
      expect(JSON.stringify(nested.data)).not.toContain(mine.id);
      const entities = await service.graphql(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on Organisation { id webhookEndpoints { id url } } } }',
        { r: [{ __typename: 'Organisation', id: organisation.id }] },
        other.owner.token,
      );
      expect(JSON.stringify(entities.data ?? null)).not.toContain(mine.id);
      // Email addresses only where the caller may read them: an Admin may, a custom role with webhooks:manage alone may not.
      const role = (await run('CreateRole', { input: { organisationId: organisation.id, name: `Hooks ${randomUUID().slice(0, 4)}`, permissions: ['webhooks:manage'] } }, organisation.owner.token)).createRole;
      const integrator = await signIn(service);
      await sql('INSERT INTO memberships (organisation_id, user_id, status) VALUES ($1, $2, $3)', [organisation.id, integrator.userId, 'ACTIVE']);
      await sql(`INSERT INTO membership_roles (membership_id, role_id, organisation_id) SELECT id, $2, $1 FROM memberships WHERE organisation_id = $1 AND user_id = $3`, [organisation.id, role.id, integrator.userId]);
      expect(errorCodes(await service.graphql(CREATE, { input: { organisationId: organisation.id, url: 'http://127.0.0.1/', includeEmails: true } }, integrator.token))).toEqual(['FORBIDDEN']);
      expect((await service.graphql(CREATE, { input: { organisationId: organisation.id, url: 'http://127.0.0.1/' } }, integrator.token)).errors).toBeUndefined();
      // Platform-wide endpoints are for platform administrators only.
      expect(errorCodes(await service.graphql(CREATE, { input: { url: 'http://127.0.0.1/' } }, organisation.owner.token))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await service.graphql(PLATFORM_ENDPOINTS, {}, organisation.owner.token))).toEqual(['FORBIDDEN']);
      const platform = await endpoint(null, 'http://127.0.0.1:9/platform');
      expect((await service.graphql(PLATFORM_ENDPOINTS, {}, admin.token)).data.platformWebhookEndpoints).toEqual(
        expect.arrayContaining([{ id: platform.endpoint.id, organisationId: null, url: 'http://127.0.0.1:9/platform' }]),
      );
      expect(errorCodes(await service.graphql(UPDATE, { id: platform.endpoint.id, input: { enabled: false } }, organisation.owner.token))).toEqual(['NOT_FOUND']);
      await service.graphql(DELETE, { id: platform.endpoint.id }, admin.token);
    });
  });

  describe('delivery', () => {
    it('delivers every event of the organisation, signed, as CloudEvents, in order, once, and none of another organisation’s', async () => {
      const target = await createOrganisation(service, admin);
      const hooks = await receiver();
      const { secret } = await endpoint(target, hooks.url);
      const filtered = await receiver();
      await endpoint(target, filtered.url, { eventTypes: ['membership.deactivated', 'team.created'] });
      const after = await lastSequence(target);
      const member = await memberWith(service, target.id, ['member']);
      await run('DeactivateMember', { membershipId: member.membershipId }, target.owner.token);
      await run('CreateTeam', { input: { organisationId: target.id, name: 'Delivered' } }, target.owner.token);
      await run('InviteUser', { input: { organisationId: target.id, email: `delivered-${randomUUID().slice(0, 6)}@example.com` } }, target.owner.token);
      await run('CreateTeam', { input: { organisationId: other.id, name: `Elsewhere ${randomUUID().slice(0, 6)}` } }, other.owner.token);
      const expected = await feedIds(target, after);
      expect(expected.map((event) => event.type)).toEqual(['membership.deactivated', 'team.created', 'invitation.created']);

      const result = await worker().runOnce();
      expect(result.failed + result.retried).toBe(0);
      expect(hooks.delivered().map((event) => event.id)).toEqual(expected.map((event) => event.id));
      expect(filtered.delivered().map((event) => event.type)).toEqual(['membership.deactivated', 'team.created']);
      for (const webhook of hooks.received) {
        expect(WebhookReceiver.verify(secret, webhook)).toEqual(webhook.event);
        expect(webhook.headers['webhook-id']).toBe(webhook.event.id);
        expect(webhook.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
        expect(webhook.event).toMatchObject({ specversion: '1.0', source: `/organisations/${target.id}`, datacontenttype: 'application/json', subject: expect.stringMatching(/^[a-z-]+\/[0-9a-f-]{36}$/) });
        expect(webhook.event.sequence).toMatch(/^\d{20}$/);
      }
      expect(hooks.delivered().map((event) => Number(event.sequence))).toEqual(expected.map((event) => event.sequence));
      // Email addresses stay out unless the endpoint was set to receive them.
      expect(hooks.delivered()[2].data.email).toBe('[email hidden]');
      expect([...hooks.countsById().values()].every((count) => count === 1)).toBe(true);
      // Nothing of another organisation, and nothing left to send.
      expect(hooks.received.some((webhook) => webhook.event.source !== `/organisations/${target.id}`)).toBe(false);
      expect(await worker().runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });

      // The attempts can be read back (status, response, latency).
      const listed = await service.graphql(ENDPOINTS, { id: target.id, first: 2 }, target.owner.token);
      const deliveries = listed.data.organisation.webhookEndpoints[0].deliveries;
      expect(deliveries.totalCount).toBe(3);
      expect(deliveries.edges[0].node).toMatchObject({ attempt: 1, status: 'SUCCEEDED', responseStatus: 204, durationMs: expect.any(Number), nextAttemptAt: null, event: { type: 'invitation.created' } });
      const next = await service.graphql(ENDPOINTS, { id: target.id, first: 2, after: deliveries.pageInfo.endCursor }, target.owner.token);
      expect(next.data.organisation.webhookEndpoints[0].deliveries.edges.map((edge: any) => edge.node.event.type)).toEqual(['membership.deactivated']);
      expect(errorCodes(await service.graphql(ENDPOINTS, { id: target.id, first: 2, after: 'bogus' }, target.owner.token))).toContain('BAD_USER_INPUT');
    });

    it('platform-wide endpoints receive every organisation’s events and the users’, without email addresses', async () => {
      const hooks = await receiver();
      const platform = await endpoint(null, hooks.url);
      await run('CreateTeam', { input: { organisationId: organisation.id, name: `Platform ${randomUUID().slice(0, 6)}` } }, organisation.owner.token);
      await run('CreateTeam', { input: { organisationId: other.id, name: `Platform ${randomUUID().slice(0, 6)}` } }, other.owner.token);
      const newcomer = await signIn(service);
      await worker().runOnce();
      const sources = new Set(hooks.delivered().map((event) => event.source));
      expect(sources).toEqual(new Set([`/organisations/${organisation.id}`, `/organisations/${other.id}`, '/platform']));
      expect(hooks.delivered().find((event) => event.type === 'user.signed_in')?.data.userId).toBe(newcomer.userId);
      for (const webhook of hooks.received) WebhookReceiver.verify(platform.secret, webhook);
      await service.graphql(DELETE, { id: platform.endpoint.id }, admin.token);
    });

    it('retries a receiver that is down with backoff, keeps the endpoint’s order, and delivers each event once when it is back', async () => {
      const target = await createOrganisation(service, admin);
      const hooks = await receiver();
      const { endpoint: registered } = await endpoint(target, hooks.url);
      hooks.answer = () => 503;
      const after = await lastSequence(target);
      await run('CreateTeam', { input: { organisationId: target.id, name: 'One' } }, target.owner.token);
      await run('CreateTeam', { input: { organisationId: target.id, name: 'Two' } }, target.owner.token);
      const expected = (await feedIds(target, after)).map((event) => event.id);
      const delivering = worker();
      expect(await delivering.runOnce()).toEqual({ sent: 0, retried: 1, failed: 0 });
      // The second event waits behind the first: only the first was tried.
      expect(hooks.received.map((webhook) => webhook.event.id)).toEqual([expected[0]]);
      await new Promise((resolve) => setTimeout(resolve, 80));
      await delivering.runOnce();
      expect(hooks.received.map((webhook) => webhook.event.id)).toEqual([expected[0], expected[0]]);
      const failing = await service.graphql(ENDPOINTS, { id: target.id, first: 10 }, target.owner.token);
      const attempts = failing.data.organisation.webhookEndpoints[0].deliveries.edges.map((edge: any) => edge.node);
      expect(attempts.map((attempt: any) => [attempt.event.id, attempt.attempt, attempt.status, attempt.responseStatus])).toEqual([
        [expected[0], 3, 'PENDING', null],
        [expected[0], 2, 'FAILED', 503],
        [expected[1], 1, 'PENDING', null],
        [expected[0], 1, 'FAILED', 503],
      ]);
      expect(new Date(attempts[1].nextAttemptAt).getTime()).toBeGreaterThan(new Date(attempts[1].createdAt).getTime());
      hooks.answer = () => 200;
      await new Promise((resolve) => setTimeout(resolve, 250));
      await delivering.runOnce();
      expect(hooks.delivered().map((event) => event.id)).toEqual(expected);
      expect(registered.id).toBeDefined();
    });

    it('gives up after the retry window: the endpoint is disabled (audited, and an event says so); enabling it resumes what waited', async () => {
      const target = await createOrganisation(service, admin);
      const hooks = await receiver();
      const watcher = await receiver();
      const { endpoint: registered } = await endpoint(target, hooks.url);
      await endpoint(target, watcher.url, { eventTypes: ['webhook_endpoint.disabled'] });
      hooks.answer = () => 500;
      await run('CreateTeam', { input: { organisationId: target.id, name: 'Doomed' } }, target.owner.token);
      await run('CreateTeam', { input: { organisationId: target.id, name: 'Waiting' } }, target.owner.token);
      const impatient = worker({ retryWindowMs: 100 });
      for (let round = 0; round < 20 && (await sql('SELECT enabled FROM webhook_endpoints WHERE id = $1', [registered.id]))[0].enabled; round += 1) {
        await impatient.runOnce();
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
      const listed = await service.graphql(ENDPOINTS, { id: target.id, first: 20 }, target.owner.token);
      const disabled = listed.data.organisation.webhookEndpoints.find((entry: any) => entry.id === registered.id);
      expect(disabled).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('HTTP 500') });
      expect(disabled.deliveries.edges[0].node).toMatchObject({ status: 'FAILED', nextAttemptAt: null });
      const [event] = await sql(`SELECT id, data FROM events WHERE organisation_id = $1 AND type = 'webhook_endpoint.disabled'`, [target.id]);
      expect(event.data).toMatchObject({ endpointId: registered.id, actor: null });
      expect((await sql(`SELECT count(*)::int AS n FROM audit_events WHERE target_id = $1 AND action = 'webhook.endpoint-disabled'`, [registered.id]))[0].n).toBe(1);
      await impatient.runOnce();
      expect(watcher.delivered().map((delivered) => delivered.type)).toEqual(['webhook_endpoint.disabled']);
      const tries = hooks.received.length;
      expect(hooks.received.every((webhook) => webhook.event.data.name === 'Doomed')).toBe(true);
      // Disabled: nothing is sent, and a redelivery is refused until it is enabled again.
      await impatient.runOnce();
      expect(hooks.received.length).toBe(tries);
      expect(errorCodes(await service.graphql(REDELIVER, { endpointId: registered.id, eventId: event.id }, target.owner.token))).toEqual(['CONFLICT']);
      hooks.answer = () => 204;
      expect((await service.graphql(UPDATE, { id: registered.id, input: { enabled: true } }, target.owner.token)).data.updateWebhookEndpoint).toMatchObject({ enabled: true, disabledReason: null });
      await worker().runOnce();
      expect(hooks.delivered().map((delivered) => delivered.data.name)).toEqual(['Waiting']);
    });

    it('two workers racing on the same deliveries send each event once per endpoint (count by webhook-id)', async () => {
      const target = await createOrganisation(service, admin);
      const hooks = await Promise.all([receiver(), receiver(), receiver()]);
      for (const hook of hooks) await endpoint(target, hook.url);
      for (const hook of hooks) hook.answer = () => 204;
      const after = await lastSequence(target);
      await Promise.all(Array.from({ length: 12 }, (_unused, index) => run('CreateTeam', { input: { organisationId: target.id, name: `Race ${index}` } }, target.owner.token)));
      const expected = (await feedIds(target, after)).map((event) => event.id);
      expect(expected).toHaveLength(12);
      const racers = [worker({ batchSize: 2 }), worker({ batchSize: 2 })];
      await Promise.all(racers.map(async (racer) => {
        for (let round = 0; round < 40; round += 1) await racer.runOnce();
      }));
      for (const hook of hooks) {
        expect(hook.received).toHaveLength(expected.length);
        expect([...hook.countsById().entries()].filter(([, count]) => count > 1)).toEqual([]);
        expect(hook.delivered().map((event) => event.id)).toEqual(expected);
      }
    });

    it('delivers after a crash: rows committed before any worker ran, and a claim whose worker died', async () => {
      const target = await createOrganisation(service, admin);
      const hooks = await receiver();
      await endpoint(target, hooks.url);
      await run('CreateTeam', { input: { organisationId: target.id, name: 'Survivor' } }, target.owner.token);
      // Another instance claimed the delivery, then died before sending it (nothing but the claim was written).
      const dead = worker({ leaseMs: 300 });
      const claimed = await dead.queue.claim(10, 300);
      expect(claimed.map((delivery) => delivery.event.type)).toEqual(['team.created']);
      await run('UpdateTeam', { id: claimed[0].event.data.teamId, input: { name: 'Survivor 2' } }, target.owner.token);
      const restarted = worker();
      expect(await restarted.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 }); // the claim holds, and the next event waits behind it
      await new Promise((resolve) => setTimeout(resolve, 350));
      await restarted.runOnce();
      expect(hooks.delivered().map((event) => event.type)).toEqual(['team.created', 'team.updated']);
      expect([...hooks.countsById().values()].every((count) => count === 1)).toBe(true);
    });

    it('stops a request in flight when the worker stops, and another worker sends it', async () => {
      const target = await createOrganisation(service, admin);
      const hooks = await receiver();
      await endpoint(target, hooks.url, { eventTypes: ['team.created'] });
      hooks.answer = () => 'hang';
      await run('CreateTeam', { input: { organisationId: target.id, name: 'Interrupted' } }, target.owner.token);
      const stopping = worker();
      const running = stopping.runOnce();
      await hooks.waitFor(() => hooks.received.length === 1);
      await stopping.stop();
      await running;
      hooks.answer = () => 204;
      await worker().runOnce();
      expect(hooks.delivered().map((event) => event.data.name)).toEqual(['Interrupted']);
    });

    it('times out after the limit, follows no redirect, and checks the address again when it connects', async () => {
      const target = await createOrganisation(service, admin);
      const hooks = await receiver();
      const { endpoint: registered } = await endpoint(target, hooks.url, { eventTypes: ['team.created'] });
      await run('CreateTeam', { input: { organisationId: target.id, name: 'Slow' } }, target.owner.token);
      hooks.answer = () => 'hang';
      await worker({ timeoutMs: 200 }).runOnce();
      hooks.answer = () => 302;
      await new Promise((resolve) => setTimeout(resolve, 80));
      await worker().runOnce();
      expect(hooks.received).toHaveLength(2); // the redirect was not followed
      // A worker where private networks are not allowed refuses to connect to 127.0.0.1 (e.g. after DNS rebinding).
      hooks.answer = () => 204;
      await new Promise((resolve) => setTimeout(resolve, 200));
      await worker({ policy: { allowPrivateNetworks: false, requireHttps: false } }).runOnce();
      expect(hooks.received).toHaveLength(2);
      const attempts = (await service.graphql(ENDPOINTS, { id: target.id, first: 10 }, target.owner.token)).data.organisation.webhookEndpoints[0].deliveries.edges.map((edge: any) => edge.node);
      expect(attempts.slice(1).map((attempt: any) => [attempt.attempt, attempt.status, attempt.responseStatus, attempt.error])).toEqual([
        [3, 'FAILED', null, expect.stringContaining('internal address')],
        [2, 'FAILED', 302, 'answered HTTP 302'],
        [1, 'FAILED', null, expect.stringContaining('no answer within 200 ms')],
      ]);
      expect(registered.id).toBeDefined();
    });

    it('redelivers any retained event on request (same webhook-id), only the endpoint’s organisation’s', async () => {
      const target = await createOrganisation(service, admin);
      const hooks = await receiver();
      const { endpoint: registered, secret } = await endpoint(target, hooks.url);
      await run('CreateTeam', { input: { organisationId: target.id, name: 'Again' } }, target.owner.token);
      await worker().runOnce();
      const [first, , delivered] = await feedIds(target);
      expect(delivered.type).toBe('team.created');
      for (const event of [delivered, first]) {
        const redelivered = await service.graphql(REDELIVER, { endpointId: registered.id, eventId: event.id }, target.owner.token);
        expect(redelivered.data.redeliverEvent).toMatchObject({ attempt: 1, status: 'PENDING', event: { id: event.id, type: event.type } });
      }
      await worker().runOnce();
      expect(hooks.withId(delivered.id)).toHaveLength(2);
      // An event from before the endpoint existed can be sent too (the organisation's, still retained).
      expect(hooks.withId(first.id)).toHaveLength(1);
      WebhookReceiver.verify(secret, hooks.withId(delivered.id)[1]);
      const [foreign] = await feedIds(other);
      expect(errorCodes(await service.graphql(REDELIVER, { endpointId: registered.id, eventId: foreign.id }, target.owner.token))).toEqual(['NOT_FOUND']);
      expect((await sql(`SELECT count(*)::int AS n FROM audit_events WHERE target_id = $1 AND action = 'webhook.redelivery-requested'`, [registered.id]))[0].n).toBe(2);
    });

    it('signs with the old and the new secret during a rotation’s overlap, then with the new one only', async () => {
      const target = await createOrganisation(service, admin);
      const hooks = await receiver();
      const { endpoint: registered, secret: old } = await endpoint(target, hooks.url, { eventTypes: ['team.created'] });
      const rotated = (await service.graphql(ROTATE, { id: registered.id }, target.owner.token)).data.rotateWebhookSecret.secret;
      await run('CreateTeam', { input: { organisationId: target.id, name: 'Overlap' } }, target.owner.token);
      await worker().runOnce();
      const during = hooks.received[0];
      expect(during.headers['webhook-signature']?.toString().split(' ')).toHaveLength(2);
      WebhookReceiver.verify(old, during);
      WebhookReceiver.verify(rotated, during);
      await sql(`UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, [registered.id]);
      await run('CreateTeam', { input: { organisationId: target.id, name: 'After' } }, target.owner.token);
      await worker().runOnce();
      const later = hooks.received[1];
      WebhookReceiver.verify(rotated, later);
      expect(() => WebhookReceiver.verify(old, later)).toThrow();
    });

    it('keeps email addresses in the data only for endpoints set to include them (members:read-contact)', async () => {
      const target = await createOrganisation(service, admin);
      const hooks = await receiver();
      await endpoint(target, hooks.url, { includeEmails: true, eventTypes: ['invitation.created'] });
      const email = `visible-${randomUUID().slice(0, 8)}@example.com`;
      await run('InviteUser', { input: { organisationId: target.id, email } }, target.owner.token);
      await worker().runOnce();
      expect(hooks.delivered()[0].data.email).toBe(email);
    });
  });

  describe('the README example receiver (examples/webhook-receiver.ts)', () => {
    it('verifies, handles each event once, refuses bad signatures and notices gaps', async () => {
      const target = await createOrganisation(service, admin);
      const handled: AccessEvent[] = [];
      const gaps: number[][] = [];
      let secret = 'whsec_' + Buffer.alloc(32, 1).toString('base64');
      const started = await startWebhookReceiver({ secrets: [secret], onEvent: (event) => void handled.push(event), onGap: (_source, last, got) => void gaps.push([last, got]) });
      const registered = await endpoint(target, started.url, { eventTypes: ['team.created', 'membership.deactivated'] });
      try {
        // Signed with a secret the receiver does not know: refused (401), so the service retries.
        await run('CreateTeam', { input: { organisationId: target.id, name: 'Unrecognised' } }, target.owner.token);
        await worker().runOnce();
        expect(handled).toEqual([]);
        expect((await sql(`SELECT response_status FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'FAILED'`, [registered.endpoint.id]))[0].response_status).toBe(401);
        await started.stop();
        secret = registered.secret;
        const restarted = await startWebhookReceiver({ secrets: [secret], port: Number(new URL(started.url).port), onEvent: (event) => void handled.push(event), onGap: (_source, last, got) => void gaps.push([last, got]) });
        try {
          const member = await memberWith(service, target.id, ['member']);
          const [{ id: teamId }] = await sql('SELECT id FROM teams WHERE organisation_id = $1', [target.id]);
          await run('UpdateTeam', { id: teamId, input: { name: 'Unsubscribed' } }, target.owner.token); // a type it does not receive
          await run('DeactivateMember', { membershipId: member.membershipId }, target.owner.token);
          await new Promise((resolve) => setTimeout(resolve, 100));
          await worker().runOnce();
          expect(handled.map((event) => event.type)).toEqual(['team.created', 'membership.deactivated']);
          expect(Number(handled[1].sequence)).toBe(Number(handled[0].sequence) + 2);
          expect(handled[1].data.userId).toBe(member.userId);
          // Subscribed to two types only: the sequence jumps, and the receiver says where to catch up from.
          expect(gaps).toEqual([[Number(handled[0].sequence), Number(handled[1].sequence)]]);
          // A redelivery is acknowledged but not handled twice.
          await service.graphql(REDELIVER, { endpointId: registered.endpoint.id, eventId: handled[1].id }, target.owner.token);
          await worker().runOnce();
          expect(handled).toHaveLength(2);
        } finally {
          await restarted.stop();
        }
      } finally {
        await started.stop().catch(() => undefined);
      }
    });
  });

  describe('statements', () => {
    it('a mutation writes as many statements with subscribers as without', async () => {
      const target = await createOrganisation(service, admin);
      const member = await memberWith(service, target.id, ['member']);
      const viewer = (await sql(`SELECT id FROM roles WHERE organisation_id = $1 AND built_in_key = 'viewer'`, [target.id]))[0].id;
      const assign = contractOperation('AssignRoles');
      const measure = async (mode: string) => {
        const { response, count } = await service.countStatements(assign, { input: { organisationId: target.id, membershipIds: [member.membershipId], roleIds: [viewer], mode } }, target.owner.token);
        expect(response.errors).toBeUndefined();
        return count;
      };
      const without = await measure('ADD');
      await measure('REMOVE');
      for (let index = 0; index < 5; index += 1) await endpoint(target, `http://127.0.0.1:9/${index}`);
      const withSubscribers = await measure('ADD');
      expect(withSubscribers).toBe(without);
      expect((await sql(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE organisation_id = $1`, [target.id]))[0].n).toBe(5);
    });
  });
});

describe('webhooks where private networks are not allowed', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  beforeAll(async () => {
    service = await startTestService({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false' });
    organisation = await createOrganisation(service, await platformAdmin(service));
  });
  afterAll(() => service.stop());

  it('refuses endpoints that are or resolve to loopback, private, link-local, CGNAT, multicast or metadata addresses', async () => {
    await expectNothingWritten(service.database.dataSource, async () => {
      for (const url of [
        'http://127.0.0.1:8080/',
        'http://localhost/',
        'http://[::1]/',
        'http://2130706433/',
        'http://0x7f.0.0.1/',
        'http://[::ffff:127.0.0.1]/',
        'http://10.1.2.3/',
        'http://192.168.0.10/',
        'http://172.20.0.1/',
        'http://169.254.169.254/latest/meta-data/',
        'http://[fd00:ec2::254]/',
        'http://100.64.1.1/',
        'http://224.0.0.251/',
        'http://0.0.0.0/',
        'http://[fe80::1]/',
      ]) {
        const response = await service.graphql(CREATE, { input: { organisationId: organisation.id, url } }, organisation.owner.token);
        expect([url, errorCodes(response)]).toEqual([url, ['BAD_USER_INPUT']]);
      }
    });
  });
});
