import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { scrape, valueOf, type Sample } from './support/prometheus';
import { errorCodes, startTestService, type TestService } from './support/test-service';

const VIEWER = contractOperation('Viewer');
const MEMBERS = contractOperation('Members');
const AUDIT_LOG = contractOperation('AuditLog');
const INVITE_USER = contractOperation('InviteUser');

const metricsUrlOf = (service: TestService) => service.url.replace(/\/graphql$/, '/metrics');

/** A port nothing listens on (for an identity provider that is down). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Prometheus metrics at GET /metrics', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  let owner: SignedInUser;
  let viewer: SignedInUser;

  beforeAll(async () => {
    service = await startTestService();
    const admin = await platformAdmin(service);
    owner = await signIn(service);
    organisation = await createOrganisation(service, admin, owner);
    viewer = await memberWith(service, organisation.id, ['viewer']);
  });
  afterAll(async () => {
    await service?.stop();
  });

  const scrapeService = () => scrape(metricsUrlOf(service));

  test('requests by operation and outcome, latency, SQL statements per request, errors by code and refusals by permission', async () => {
    const before = await scrapeService();
    expect((await service.graphql(VIEWER, {}, owner.token)).errors).toBeUndefined();
    expect((await service.graphql(VIEWER, {}, viewer.token)).errors).toBeUndefined();
    // countStatements sends an anonymous warm-up ({ viewer { isPlatformAdmin } }) first.
    const members = await service.countStatements(MEMBERS, { organisationId: organisation.id, first: 50 }, owner.token);
    expect(members.response.errors).toBeUndefined();
    expect(errorCodes(await service.graphql(AUDIT_LOG, { organisationId: organisation.id }, viewer.token))).toEqual(['FORBIDDEN']);
    expect((await service.graphql('{ __typename }', {}, owner.token)).errors).toBeUndefined();
    // Client-chosen names that must not become labels: too long, or never resolved (unparsable).
    expect((await service.graphql(`query ${'Long'.repeat(20)} { __typename }`, {}, owner.token)).errors).toBeUndefined();
    expect(errorCodes(await service.graphql('query Broken {', {}, owner.token))).toEqual(['GRAPHQL_PARSE_FAILED']);
    const after = await scrapeService();
    const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);

    expect(delta('graphql_requests_total', { operation: 'Viewer', outcome: 'ok' })).toBe(2);
    expect(delta('graphql_requests_total', { operation: 'Members', outcome: 'ok' })).toBe(1);
    expect(delta('graphql_requests_total', { operation: 'AuditLog', outcome: 'client_error' })).toBe(1);
    expect(delta('graphql_requests_total', { operation: 'anonymous', outcome: 'ok' })).toBe(2);
    expect(delta('graphql_requests_total', { operation: 'other', outcome: 'ok' })).toBe(1);
    expect(delta('graphql_requests_total', { operation: 'other', outcome: 'client_error' })).toBe(1);

    expect(delta('graphql_request_duration_seconds_count', { operation: 'Viewer' })).toBe(2);
    expect(delta('graphql_request_duration_seconds_bucket', { operation: 'Viewer', le: '+Inf' })).toBe(2);
    expect(delta('graphql_request_duration_seconds_sum', { operation: 'Viewer' })).toBeGreaterThan(0);

    // The histogram counts what the request scope counted: the same statements as countStatements.
    expect(delta('graphql_sql_statements_per_request_count', { operation: 'Members' })).toBe(1);
    expect(delta('graphql_sql_statements_per_request_sum', { operation: 'Members' })).toBe(members.count);

    expect(delta('graphql_errors_total', { code: 'FORBIDDEN' })).toBe(1);
    expect(delta('graphql_errors_total', { code: 'GRAPHQL_PARSE_FAILED' })).toBe(1);
    expect(delta('authz_refusals_total', { permission: 'audit:read', code: 'FORBIDDEN' })).toBe(1);

    // Bounded labels: GraphQL names only, never an id or the over-long name.
    const operations = new Set(after.filter((sample) => sample.name === 'graphql_requests_total').map((sample) => sample.labels.operation));
    expect([...operations].sort()).toEqual(['AuditLog', 'Members', 'Viewer', 'anonymous', 'other'].filter((name) => operations.has(name)).sort());
    expect(after.some((sample: Sample) => Object.values(sample.labels).some((value) => value.includes(organisation.id) || value.length > 64))).toBe(false);
  });

  test('an escalation attempt refused by the service is counted as a refusal (the Owner role) and a FORBIDDEN error', async () => {
    const admin = await memberWith(service, organisation.id, ['admin']);
    const [{ id: ownerRoleId }] = await service.database.dataSource.query(`SELECT id FROM roles WHERE organisation_id = $1 AND built_in_key = 'owner'`, [organisation.id]);
    const before = await scrapeService();
    const response = await service.graphql(INVITE_USER, { input: { organisationId: organisation.id, email: 'escalation@example.com', roleIds: [ownerRoleId] } }, admin.token);
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    const after = await scrapeService();
    expect(valueOf(after, 'graphql_errors_total', { code: 'FORBIDDEN' }) - valueOf(before, 'graphql_errors_total', { code: 'FORBIDDEN' })).toBe(1);
    expect(valueOf(after, 'graphql_requests_total', { operation: 'InviteUser', outcome: 'client_error' })).toBe(1);
    expect(valueOf(after, 'authz_refusals_total', { permission: 'role:owner', code: 'FORBIDDEN' }) - valueOf(before, 'authz_refusals_total', { permission: 'role:owner', code: 'FORBIDDEN' })).toBe(1);
  });

  test('a refusal made by a declaration (webhooks, review items, elevation requests) is counted once, under its permission', async () => {
    const total = (samples: Sample[]) => samples.filter((sample) => sample.name === 'authz_refusals_total').reduce((sum, sample) => sum + sample.value, 0);
    const before = await scrapeService();
    const refused = await service.graphql(
      'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }',
      { input: { organisationId: organisation.id, url: 'https://hooks.example.com/refused' } },
      viewer.token,
    );
    expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    const after = await scrapeService();
    expect(total(after) - total(before)).toBe(1);
    expect(valueOf(after, 'authz_refusals_total', { permission: 'webhooks:manage', code: 'FORBIDDEN' }) - valueOf(before, 'authz_refusals_total', { permission: 'webhooks:manage', code: 'FORBIDDEN' })).toBe(1);
  });

  test('database pool, outbox backlog and its oldest age, key set fetches and process metrics', async () => {
    const invited = await service.graphql(INVITE_USER, { input: { organisationId: organisation.id, email: 'backlog@example.com' } }, owner.token);
    expect(invited.errors).toBeUndefined();
    const [{ pending }] = await service.database.dataSource.query(`SELECT count(*)::int AS pending FROM email_outbox WHERE status = 'PENDING'`);
    expect(pending).toBeGreaterThan(0);
    const samples = await scrapeService();

    expect(valueOf(samples, 'outbox_backlog_messages', { outbox: 'email' })).toBe(pending);
    expect(valueOf(samples, 'outbox_oldest_message_age_seconds', { outbox: 'email' })).toBeGreaterThanOrEqual(0);
    expect(samples.some((sample) => sample.name === 'outbox_oldest_message_age_seconds' && sample.labels.outbox === 'email')).toBe(true);

    expect(valueOf(samples, 'db_pool_total_connections')).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'db_pool_idle_connections')).toBeLessThanOrEqual(valueOf(samples, 'db_pool_total_connections'));
    expect(samples.some((sample) => sample.name === 'db_pool_waiting_requests')).toBe(true);

    // The first token made the service read the discovery document, then the key set.
    expect(valueOf(samples, 'jwks_fetches_total', { document: 'discovery', outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'jwks_fetches_total', { document: 'jwks', outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'jwks_fetches_total', { document: 'jwks', outcome: 'failure' })).toBe(0);

    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(samples.some((sample) => sample.name === name)).toBe(true);
    }
  });

  test('METRICS_PORT serves /metrics on its own port only; key set fetch failures are counted', async () => {
    const jwksPort = await closedPort();
    const separate = await startTestService({ METRICS_PORT: '0', AUTH_JWKS_URL: `http://127.0.0.1:${jwksPort}/jwks` });
    try {
      expect(separate.service.metricsPort).toEqual(expect.any(Number));
      expect(separate.service.metricsPort).not.toBe(separate.service.port);
      expect((await fetch(metricsUrlOf(separate))).status).toBe(404);
      const before = await scrape(`http://127.0.0.1:${separate.service.metricsPort}/metrics`);
      const token = await separate.token();
      expect(errorCodes(await separate.graphql('{ viewer { user { id } } }', {}, token))).toEqual(['SERVICE_UNAVAILABLE']);
      const after = await scrape(`http://127.0.0.1:${separate.service.metricsPort}/metrics`);
      const failures = (samples: Sample[]) => valueOf(samples, 'jwks_fetches_total', { document: 'jwks', outcome: 'failure' });
      expect(failures(after) - failures(before)).toBe(1);
      expect((await fetch(`http://127.0.0.1:${separate.service.metricsPort}/graphql`)).status).toBe(404);
    } finally {
      await separate.stop();
    }
  });
});
