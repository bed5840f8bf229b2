import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger, redirectLogs } from '../src/core/logger';
import { contractOperation } from './support/contract';
import { createOrganisation, memberWith, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { errorCodes, startTestService, type GraphQLResponse, type TestService } from './support/test-service';

const VIEWER = contractOperation('Viewer');
const MEMBERS = contractOperation('Members');
const AUDIT_LOG = contractOperation('AuditLog');
const INVITE_USER = contractOperation('InviteUser');

// pino's numeric levels.
const INFO = 30;
const WARN = 40;
const ERROR = 50;

type LogLine = Record<string, any> & { level: number; msg: string };

/** Every line the service logs, parsed (the logger's destination is redirected here for the suite). */
const lines: LogLine[] = [];
const raw: string[] = [];

async function post(service: TestService, query: string, variables: Record<string, unknown>, token: string | null, headers: Record<string, string> = {}) {
  const response = await fetch(service.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { requestId: response.headers.get('x-request-id'), body: (await response.json()) as GraphQLResponse };
}

/** The request's lines; its own summary line is written when the response is done, so wait for it. */
async function linesOf(requestId: string): Promise<{ all: LogLine[]; request: LogLine }> {
  for (let waited = 0; waited < 5_000; waited += 10) {
    const request = lines.find((line) => line.requestId === requestId && (line.msg === 'request completed' || line.msg === 'request failed'));
    if (request) return { all: lines.filter((line) => line.requestId === requestId), request };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no request line for ${requestId}`);
}

async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('request logs', () => {
  let service: TestService;
  let organisation: TestOrganisation;
  let owner: SignedInUser;
  let viewer: SignedInUser;
  let admin: SignedInUser;
  /** Secrets the service saw: none may appear in any line. */
  const secrets: string[] = [];

  beforeAll(async () => {
    // Debug, so even the lines below info (a failed statement) are checked for what they must not carry.
    logger.level = 'debug';
    redirectLogs({
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      },
    });
    service = await startTestService();
    owner = await signIn(service);
    organisation = await createOrganisation(service, await platformAdmin(service), owner);
    viewer = await memberWith(service, organisation.id, ['viewer']);
    admin = await memberWith(service, organisation.id, ['admin']);
    secrets.push(owner.token, viewer.token, admin.token, owner.email, viewer.email, admin.email);
  });
  afterAll(async () => {
    await service?.stop();
    redirectLogs();
    logger.level = 'silent';
  });

  test('one line per request: request id (accepted, echoed), operation, principal, organisations touched, status, duration, statements', async () => {
    const viewerCall = await post(service, VIEWER, {}, owner.token, { 'x-request-id': 'dashboard-1.2:3_x' });
    expect(viewerCall.requestId).toBe('dashboard-1.2:3_x');
    const { request } = await linesOf('dashboard-1.2:3_x');
    expect(request).toMatchObject({ level: INFO, msg: 'request completed', operation: 'Viewer', principalId: owner.userId, status: 200, service: 'access-subgraph' });
    expect(request.durationMs).toEqual(expect.any(Number));
    expect(request.statements).toBeGreaterThan(0);
    expect(request.errorCodes).toBeUndefined();
    expect(lines.filter((line) => line.requestId === 'dashboard-1.2:3_x' && line.msg === 'request completed')).toHaveLength(1);

    const membersCall = await post(service, MEMBERS, { organisationId: organisation.id, first: 50 }, owner.token);
    expect(membersCall.body.errors).toBeUndefined();
    expect(membersCall.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const members = (await linesOf(membersCall.requestId as string)).request;
    expect(members).toMatchObject({ operation: 'Members', organisationIds: [organisation.id], principalId: owner.userId });
  });

  test('an x-request-id that is too long or holds other characters is replaced by a generated one', async () => {
    for (const offered of ['a'.repeat(129), 'has spaces', 'quote"and\\slash', 'new\nline']) {
      const call = await post(service, '{ __typename }', {}, null, { 'x-request-id': offered.replace('\n', '%0A') });
      expect(call.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect((await linesOf(call.requestId as string)).request).toMatchObject({ operation: null, status: 200 });
    }
    const accepted = 'b'.repeat(128);
    expect((await post(service, '{ __typename }', {}, null, { 'x-request-id': accepted })).requestId).toBe(accepted);
  });

  test('refusals and escalation attempts at warn, invalid tokens at info', async () => {
    const refused = await post(service, AUDIT_LOG, { organisationId: organisation.id }, viewer.token);
    expect(errorCodes(refused.body)).toEqual(['FORBIDDEN']);
    expect((await linesOf(refused.requestId as string)).request).toMatchObject({ level: WARN, operation: 'AuditLog', errorCodes: ['FORBIDDEN'], principalId: viewer.userId });

    const [{ id: ownerRoleId }] = await service.database.dataSource.query(`SELECT id FROM roles WHERE organisation_id = $1 AND built_in_key = 'owner'`, [organisation.id]);
    const escalation = await post(service, INVITE_USER, { input: { organisationId: organisation.id, email: 'escalate@example.com', roleIds: [ownerRoleId] } }, admin.token);
    expect(errorCodes(escalation.body)).toEqual(['FORBIDDEN']);
    expect((await linesOf(escalation.requestId as string)).request).toMatchObject({ level: WARN, operation: 'InviteUser', errorCodes: ['FORBIDDEN'] });

    const expired = await service.token({ expiresAt: Math.floor(Date.now() / 1000) - 3600 });
    secrets.push(expired);
    const rejected = await post(service, VIEWER, {}, expired);
    expect(errorCodes(rejected.body)).toEqual(['UNAUTHENTICATED']);
    const { all, request } = await linesOf(rejected.requestId as string);
    expect(all.find((line) => line.msg === 'token rejected')).toMatchObject({ level: INFO });
    expect(request).toMatchObject({ level: INFO, errorCodes: ['UNAUTHENTICATED'] });
    expect(request.principalId).toBeUndefined();
  });

  test('a masked internal error is logged with the request id, without SQL parameters, emails or the invitation secret', async () => {
    const email = 'secret-invitee@example.com';
    secrets.push(email);
    // A fault the client did not cause: the outbox refuses the row (its parameters hold the email and the link's token).
    await service.database.dataSource.query(`ALTER TABLE email_outbox ADD CONSTRAINT test_outbox_refuses CHECK (to_address NOT LIKE 'secret-%')`);
    try {
      const failed = await post(service, INVITE_USER, { input: { organisationId: organisation.id, email } }, owner.token, { 'x-request-id': 'masked-error-1' });
      expect(errorCodes(failed.body)).toEqual(['INTERNAL_SERVER_ERROR']);
      const { all, request } = await linesOf('masked-error-1');
      const unexpected = all.find((line) => line.msg === 'unexpected error');
      expect(unexpected).toMatchObject({ level: ERROR, requestId: 'masked-error-1', err: { type: 'QueryFailedError', code: '23514', constraint: 'test_outbox_refuses', table: 'email_outbox' } });
      expect(unexpected?.err.query).toContain('$1');
      expect(request).toMatchObject({ level: ERROR, errorCodes: ['INTERNAL_SERVER_ERROR'], operation: 'InviteUser' });
    } finally {
      await service.database.dataSource.query('ALTER TABLE email_outbox DROP CONSTRAINT test_outbox_refuses');
    }
    // The same invitation, now sent: its secret token must not reach the logs either.
    const invited = await post(service, INVITE_USER, { input: { organisationId: organisation.id, email: 'invitee-two@example.com' } }, owner.token);
    expect(invited.body.errors).toBeUndefined();
    secrets.push((invited.body.data as any).inviteUser.token, 'invitee-two@example.com');
    await linesOf(invited.requestId as string);
  });

  test('key set (JWKS) failures are logged at error, told apart from invalid tokens', async () => {
    const down = await startTestService({ AUTH_JWKS_URL: `http://127.0.0.1:${await closedPort()}/jwks` });
    try {
      const token = await down.token();
      secrets.push(token);
      const call = await post(down, VIEWER, {}, token, { 'x-request-id': 'jwks-down-1' });
      // No key set at all: the identity provider is down, not the token bad (503, retry; still no access).
      expect(errorCodes(call.body)).toEqual(['SERVICE_UNAVAILABLE']);
      const { all } = await linesOf('jwks-down-1');
      expect(all.find((line) => /JWKS endpoint unavailable/.test(line.msg))).toMatchObject({ level: ERROR, requestId: 'jwks-down-1' });
      expect(all.some((line) => line.msg === 'token rejected')).toBe(false);
    } finally {
      await down.stop();
    }
  });

  // Last: what no line may carry, whatever test above made the service write it.
  test('no line carries a token, an invitation secret, an email or SQL parameters; lines written for a request name it', () => {
    expect(lines.length).toBeGreaterThan(20);
    const everything = raw.join('');
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/"parameters"|"detail"|[Bb]earer |"authorization"/);
    expect(everything).not.toMatch(/[A-Za-z0-9._%+-]+@example\.com/);
    // Every line written while serving a request names it.
    for (const line of lines.filter((candidate) => ['request completed', 'request failed', 'unexpected error', 'token rejected', 'query failed'].includes(candidate.msg))) {
      expect(line.requestId).toEqual(expect.any(String));
    }
  });
});
