import { claimHoldsRole, identityFromClaims, readClaim, writeClaim } from '../src/core/auth/verified-identity';
import { startTestService, type TestService } from './support/test-service';

/**
 * The README's identity provider recipes, each proven with tokens shaped like that provider's access
 * tokens (signed by the test OpenID provider): which claim makes a platform administrator, and how
 * people and machines are named.
 */

interface Viewer {
  isPlatformAdmin: boolean;
  user: { id: string; email: string | null; displayName: string };
}

const VIEWER = '{ viewer { isPlatformAdmin user { id email displayName } } }';

async function viewerOf(service: TestService, subject: string, claims: Record<string, unknown>, options: { email?: string | null; name?: string } = {}): Promise<Viewer> {
  const token = await service.token({ subject, email: options.email === undefined ? null : options.email, name: options.name, claims });
  const response = await service.graphql<{ viewer: Viewer }>(VIEWER, {}, token);
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return response.data.viewer;
}

/** A token without `name` (the test provider puts one in unless the claims take it out). */
const withoutName = { name: undefined };

async function emailVerified(service: TestService, userId: string): Promise<boolean> {
  const [row] = await service.database.dataSource.query('SELECT email_verified FROM users WHERE id = $1', [userId]);
  return row.email_verified;
}

describe('Keycloak: realm roles at realm_access.roles, client roles at resource_access.<client>.roles', () => {
  let service: TestService;
  afterEach(() => service?.stop());

  it('PLATFORM_ADMIN_CLAIM=realm_access.roles', async () => {
    service = await startTestService({ PLATFORM_ADMIN_CLAIM: 'realm_access.roles' });
    const keycloak = (roles: string[]) => ({
      typ: 'Bearer',
      azp: 'dashboard',
      preferred_username: 'ada',
      email_verified: true,
      realm_access: { roles: ['offline_access', 'uma_authorization', ...roles] },
      resource_access: { account: { roles: ['manage-account'] } },
    });
    const admin = await viewerOf(service, 'f3c6-admin', keycloak(['platform-admin']), { email: 'ada@example.com', name: 'Ada Lovelace' });
    expect(admin).toMatchObject({ isPlatformAdmin: true, user: { email: 'ada@example.com', displayName: 'Ada Lovelace' } });
    const plain = await viewerOf(service, 'f3c6-plain', keycloak([]), { email: 'bob@example.com' });
    expect(plain.isPlatformAdmin).toBe(false);
    // No `name` in the token: Keycloak's preferred_username names the person.
    const token = await service.token({ subject: 'f3c6-username', email: 'carol@example.com', claims: { ...keycloak([]), ...withoutName, preferred_username: 'carol' } });
    expect((await service.graphql<{ viewer: Viewer }>(VIEWER, {}, token)).data?.viewer.user.displayName).toBe('carol');
  });

  it('client roles of a client whose id holds dots: resource_access.web.app.roles', async () => {
    service = await startTestService({ PLATFORM_ADMIN_CLAIM: 'resource_access.web.app.roles' });
    const admin = await viewerOf(service, 'kc-client-role', { resource_access: { 'web.app': { roles: ['platform-admin'] }, account: { roles: [] } } }, { email: 'dan@example.com' });
    expect(admin.isPlatformAdmin).toBe(true);
    const other = await viewerOf(service, 'kc-other-client', { resource_access: { 'web.other': { roles: ['platform-admin'] } } }, { email: 'eve@example.com' });
    expect(other.isPlatformAdmin).toBe(false);
  });

  it('a service account (client credentials) is named by its username, never left blank', async () => {
    service = await startTestService({ PLATFORM_ADMIN_CLAIM: 'realm_access.roles' });
    const machine = await viewerOf(service, 'kc-service-account', { ...withoutName, azp: 'billing-sync', preferred_username: 'service-account-billing-sync', clientId: 'billing-sync', realm_access: { roles: [] } });
    expect(machine.user).toMatchObject({ email: null, displayName: 'service-account-billing-sync' });
  });
});

describe('Auth0: namespaced custom claims (https://example.com/roles)', () => {
  let service: TestService;
  afterEach(() => service?.stop());

  it('PLATFORM_ADMIN_CLAIM=https://example.com/roles reads the whole claim name', async () => {
    service = await startTestService({ PLATFORM_ADMIN_CLAIM: 'https://example.com/roles' });
    const auth0 = (roles: string[]) => ({ 'https://example.com/roles': roles, scope: 'openid profile email', azp: 'dashboard-spa', permissions: [] });
    expect((await viewerOf(service, 'auth0|admin', auth0(['platform-admin']), { email: 'ada@example.com' })).isPlatformAdmin).toBe(true);
    expect((await viewerOf(service, 'auth0|plain', auth0(['viewer']), { email: 'bob@example.com' })).isPlatformAdmin).toBe(false);
  });

  it('a JSON pointer reaches a claim nested under a namespace', async () => {
    service = await startTestService({ PLATFORM_ADMIN_CLAIM: '/https:~1~1example.com~1app_metadata/roles' });
    const claims = { 'https://example.com/app_metadata': { roles: ['platform-admin'] } };
    expect((await viewerOf(service, 'auth0|pointer', claims, { email: 'carol@example.com' })).isPlatformAdmin).toBe(true);
  });

  it('a machine-to-machine token (sub "<client>@clients", no email, no name) is named by its client id', async () => {
    service = await startTestService({ PLATFORM_ADMIN_CLAIM: 'https://example.com/roles' });
    const machine = await viewerOf(service, 'Xk2hQ9@clients', { ...withoutName, azp: 'Xk2hQ9', gty: 'client-credentials', scope: 'read:users' });
    expect(machine).toMatchObject({ isPlatformAdmin: false, user: { email: null, displayName: 'Xk2hQ9' } });
  });
});

describe('Okta: groups', () => {
  let service: TestService;
  afterEach(() => service?.stop());

  it('PLATFORM_ADMIN_CLAIM=groups with a group name holding spaces', async () => {
    service = await startTestService({ PLATFORM_ADMIN_CLAIM: 'groups', PLATFORM_ADMIN_ROLE: 'Platform Admins' });
    const okta = (groups: string[]) => ({ ver: 1, cid: '0oa1dashboard', uid: '00u1ada', scp: ['openid', 'email'], groups });
    expect((await viewerOf(service, 'ada@example.com', okta(['Everyone', 'Platform Admins']), { email: 'ada@example.com' })).isPlatformAdmin).toBe(true);
    expect((await viewerOf(service, 'bob@example.com', okta(['Everyone', 'Platform']), { email: 'bob@example.com' })).isPlatformAdmin).toBe(false);
  });

  it('a client-credentials token (sub is the client id, no email) is named by its cid', async () => {
    service = await startTestService({ PLATFORM_ADMIN_CLAIM: 'groups' });
    const machine = await viewerOf(service, '0oa9reporting', { ...withoutName, ver: 1, cid: '0oa9reporting', scp: ['access.read'] });
    expect(machine.user).toMatchObject({ email: null, displayName: '0oa9reporting' });
  });
});

describe('Azure AD / Entra ID: roles or groups; preferred_username or upn when there is no email', () => {
  let service: TestService;
  afterEach(() => service?.stop());

  it('app roles in `roles` (PLATFORM_ADMIN_ROLE=Platform.Admin); the v2 preferred_username stands in for the email, unverified', async () => {
    service = await startTestService({ PLATFORM_ADMIN_CLAIM: 'roles', PLATFORM_ADMIN_ROLE: 'Platform.Admin' });
    const entra = { ver: '2.0', tid: '72f988bf', oid: '5c1e-ada', azp: 'dashboard-app', roles: ['Platform.Admin'], preferred_username: 'Ada.Lovelace@Contoso.com', email_verified: true };
    const admin = await viewerOf(service, 'entra-v2-ada', entra, { name: 'Ada Lovelace' });
    expect(admin).toMatchObject({ isPlatformAdmin: true, user: { email: 'ada.lovelace@contoso.com', displayName: 'Ada Lovelace' } });
    // email_verified speaks of `email` only: a sign-in name is never a verified address.
    expect(await emailVerified(service, admin.user.id)).toBe(false);
  });

  it('groups by object id (PLATFORM_ADMIN_CLAIM=groups); the v1 upn stands in for the email', async () => {
    const group = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
    service = await startTestService({ PLATFORM_ADMIN_CLAIM: 'groups', PLATFORM_ADMIN_ROLE: group });
    const entraV1 = (groups: string[]) => ({ ver: '1.0', appid: 'dashboard-app', upn: 'bob@contoso.com', unique_name: 'bob@contoso.com', groups });
    const admin = await viewerOf(service, 'entra-v1-bob', entraV1(['11111111-2222-3333-4444-555555555555', group]), { name: 'Bob' });
    expect(admin).toMatchObject({ isPlatformAdmin: true, user: { email: 'bob@contoso.com', displayName: 'Bob' } });
    expect((await viewerOf(service, 'entra-v1-carol', { ...entraV1([]), upn: 'carol@contoso.com' }, { name: 'Carol' })).isPlatformAdmin).toBe(false);
  });

  it('an application token (client credentials: roles, no name, no email) is named by its client id', async () => {
    service = await startTestService({ PLATFORM_ADMIN_CLAIM: 'roles', PLATFORM_ADMIN_ROLE: 'Platform.Admin' });
    const app = await viewerOf(service, 'app-oid-7', { ...withoutName, ver: '2.0', azp: 'c2b1-provisioner', azpacr: '1', oid: 'app-oid-7', roles: ['Directory.Sync'] });
    expect(app).toMatchObject({ isPlatformAdmin: false, user: { email: null, displayName: 'c2b1-provisioner' } });
    const v1 = await viewerOf(service, 'app-oid-8', { ...withoutName, ver: '1.0', appid: 'd4e5-exporter', oid: 'app-oid-8' });
    expect(v1.user.displayName).toBe('d4e5-exporter');
  });
});

describe('machine tokens of any provider', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  it('client_id (RFC 9068) names the machine; with nothing else, the subject does', async () => {
    expect((await viewerOf(service, 'svc-1', { ...withoutName, client_id: 'nightly-export' })).user.displayName).toBe('nightly-export');
    expect((await viewerOf(service, 'svc-2-subject-only', withoutName)).user.displayName).toBe('svc-2-subject-only');
    // Blank claims are no name.
    expect((await viewerOf(service, 'svc-3', { name: '  ', preferred_username: '', client_id: 'reporter' })).user.displayName).toBe('reporter');
  });
});

describe('claim paths', () => {
  const claims = {
    roles: ['a'],
    realm_access: { roles: ['kc'] },
    resource_access: { 'web.app': { roles: ['client'] }, web: { roles: ['shadowed'] } },
    'https://example.com/roles': ['ns'],
    'https://example.com/meta': { 'tier.level': 'gold' },
    'a/b~c': 'escaped',
  };

  it.each([
    ['roles', ['a']],
    ['realm_access.roles', ['kc']],
    ['resource_access.web.app.roles', ['client']],
    ['resource_access.web.roles', ['shadowed']],
    ['https://example.com/roles', ['ns']],
    ['https://example.com/meta.tier.level', 'gold'],
    ['/https:~1~1example.com~1roles', ['ns']],
    ['/realm_access/roles', ['kc']],
    ['/a~1b~0c', 'escaped'],
    ['realm_access.missing', undefined],
    ['/realm_access.roles', undefined],
    ['constructor', undefined],
    ['__proto__', undefined],
    ['roles.length', undefined],
    ['realm_access.roles.constructor', undefined],
  ])('%s', (claimPath, expected) => {
    expect(readClaim(claims, claimPath)).toEqual(expected);
  });

  it('holds a role in a list or a space/comma separated string, nothing else', () => {
    expect(claimHoldsRole({ scope: 'openid platform-admin' }, 'scope', 'platform-admin')).toBe(true);
    expect(claimHoldsRole({ roles: 'viewer,platform-admin' }, 'roles', 'platform-admin')).toBe(true);
    expect(claimHoldsRole({ roles: { 'platform-admin': true } }, 'roles', 'platform-admin')).toBe(false);
    expect(claimHoldsRole({ roles: ['platform-admin-2'] }, 'roles', 'platform-admin')).toBe(false);
  });

  it('writeClaim writes where readClaim reads (the development issuer mints with it)', () => {
    for (const claimPath of ['roles', 'realm_access.roles', '/https:~1~1example.com~1roles', 'https://example.com/roles']) {
      const written: Record<string, unknown> = {};
      writeClaim(written, claimPath, ['platform-admin']);
      expect([claimPath, claimHoldsRole(written, claimPath, 'platform-admin')]).toEqual([claimPath, true]);
    }
  });

  it('names: a person by name, preferred_username or upn; with an email and no name, none (the email names them)', () => {
    const base = { iss: 'https://idp', sub: 's' };
    expect(identityFromClaims({ ...base, email: 'A@X.io', name: ' Ada ' })).toMatchObject({ email: 'a@x.io', name: 'Ada' });
    expect(identityFromClaims({ ...base, email: 'a@x.io' })).toMatchObject({ email: 'a@x.io', name: null });
    expect(identityFromClaims({ ...base, upn: 'Bob@X.io' })).toMatchObject({ email: 'bob@x.io', emailVerified: false, name: 'Bob@X.io' });
    expect(identityFromClaims({ ...base, preferred_username: 'carol' })).toMatchObject({ email: null, name: 'carol' });
    expect(identityFromClaims({ ...base, azp: 'client-9' })).toMatchObject({ email: null, name: 'client-9' });
  });
});
