import { UserEntity } from '../src/users/user.entity';
import { platformAdmin, signIn } from './support/factories';
import { errorCodes, startTestService, type TestService } from './support/test-service';

const VIEWER = '{ viewer { isPlatformAdmin user { id email displayName lastSignInAt } } }';

describe('authentication', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ LAST_SIGN_IN_INTERVAL_SECONDS: '300' });
  });
  afterAll(() => service.stop());

  const expectUnauthenticated = async (token: string | null) => {
    const response = await service.graphql(VIEWER, {}, token);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.errors?.[0].message).toBe('Authentication required');
    expect(response.data).toBeNull();
  };

  it('refuses a missing token on a field that needs a user', () => expectUnauthenticated(null));
  it('refuses an expired token', async () => expectUnauthenticated(await service.token({ expiresAt: Math.floor(Date.now() / 1000) - 3600 })));
  it('refuses a token from another issuer', async () => expectUnauthenticated(await service.token({ issuer: 'https://evil.example.com' })));
  it('refuses a token for another audience', async () => expectUnauthenticated(await service.token({ audience: 'some-other-api' })));
  it('refuses alg none', () => expectUnauthenticated(service.idp.unsignedToken()));
  it('refuses HMAC signed with the public key', async () => expectUnauthenticated(await service.idp.hmacWithPublicKeyToken()));
  it('refuses a token signed by an unknown key', async () => expectUnauthenticated(await service.token({ unknownKey: true })));
  it('refuses a tampered signature', async () => {
    const token = await service.token();
    const [header, payload, signature] = token.split('.');
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    await expectUnauthenticated(`${header}.${payload}.${flipped}`);
  });
  it('refuses a tampered payload', async () => {
    const token = await service.token();
    const [header, , signature] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 'someone-else', iss: service.idp.issuer, aud: service.idp.audience, exp: 9999999999 })).toString('base64url');
    await expectUnauthenticated(`${header}.${payload}.${signature}`);
  });
  it('refuses a token without exp', async () => expectUnauthenticated(await service.token({ noExpiry: true })));
  it('refuses something that is not a JWT', () => expectUnauthenticated('not-a-jwt'));
  it('accepts a token that expired within the clock tolerance (5 s) only', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(errorCodes(await service.graphql(VIEWER, {}, await service.token({ expiresAt: now - 2 })))).toEqual([]);
    await expectUnauthenticated(await service.token({ expiresAt: now - 30 }));
  });
  it('refuses a malformed Authorization header', async () => {
    const response = await service.graphql(VIEWER, {}, null, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });

  it('serves _service without a token (the gateway fetches SDL unauthenticated)', async () => {
    const response = await service.graphql('{ _service { sdl } }');
    expect(response.errors).toBeUndefined();
    expect(response.data._service.sdl).toContain('@key');
  });

  it('provisions the user on first sign-in and refreshes name and email later', async () => {
    const subject = service.idp.nextSubject();
    const first = await service.graphql(VIEWER, {}, await service.token({ subject, email: `${subject}@Example.com`, name: 'Ada' }));
    expect(first.errors).toBeUndefined();
    expect(first.data.viewer).toMatchObject({ isPlatformAdmin: false, user: { email: `${subject}@example.com`, displayName: 'Ada' } });
    expect(first.data.viewer.user.lastSignInAt).not.toBeNull();
    const second = await service.graphql(VIEWER, {}, await service.token({ subject, email: `${subject}.new@example.com`, name: 'Ada Lovelace' }));
    expect(second.data.viewer.user).toMatchObject({ id: first.data.viewer.user.id, email: `${subject}.new@example.com`, displayName: 'Ada Lovelace' });
    const rows = await service.database.dataSource.getRepository(UserEntity).findBy({ subject });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ issuer: service.idp.issuer, emailVerified: true });
  });

  it('writes lastSignInAt at most once per interval', async () => {
    const user = await signIn(service);
    const before = await service.database.dataSource.getRepository(UserEntity).findOneByOrFail({ id: user.userId });
    for (let index = 0; index < 3; index += 1) await service.graphql(VIEWER, {}, user.token);
    const after = await service.database.dataSource.getRepository(UserEntity).findOneByOrFail({ id: user.userId });
    expect(after.lastSignInAt?.getTime()).toBe(before.lastSignInAt?.getTime());
    expect(after.updatedAt.getTime()).toBe(before.updatedAt.getTime());
  });

  it('creates one user when the first requests of a person race', async () => {
    const subject = service.idp.nextSubject();
    const token = await service.token({ subject });
    const responses = await Promise.all(Array.from({ length: 8 }, () => service.graphql(VIEWER, {}, token)));
    expect(responses.every((response) => response.errors === undefined)).toBe(true);
    expect(new Set(responses.map((response) => response.data.viewer.user.id)).size).toBe(1);
    expect(await service.database.dataSource.getRepository(UserEntity).countBy({ subject })).toBe(1);
  });

  it('recognises platform administrators by the configured claim', async () => {
    const admin = await platformAdmin(service);
    const response = await service.graphql(VIEWER, {}, admin.token);
    expect(response.data.viewer.isPlatformAdmin).toBe(true);
  });

  it('links a placeholder by verified email only', async () => {
    const admin = await platformAdmin(service);
    const email = `placeholder-${Date.now()}@example.com`;
    const created = await service.graphql(
      'mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { id } }',
      { input: { name: 'Placeholder Org', slug: `ph-${Date.now()}`, ownerEmail: email } },
      admin.token,
    );
    expect(created.errors).toBeUndefined();
    const users = service.database.dataSource.getRepository(UserEntity);
    const placeholder = await users.findOneByOrFail({ email });
    expect(placeholder.issuer).toBeNull();

    // An unverified token with the same email does not take the placeholder over.
    const unverified = await signIn(service, { email, emailVerified: false });
    expect(unverified.userId).not.toBe(placeholder.id);
    expect((await users.findOneByOrFail({ id: placeholder.id })).issuer).toBeNull();

    // A verified one becomes it, with its membership.
    const verified = await signIn(service, { email });
    expect(verified.userId).toBe(placeholder.id);
    const viewer = await service.graphql('{ viewer { memberships { status organisation { id } roles { name } } } }', {}, verified.token);
    expect(viewer.data.viewer.memberships).toEqual([{ status: 'ACTIVE', organisation: { id: created.data.createOrganisation.id }, roles: [{ name: 'Owner' }] }]);
  });
});

describe('email ownership', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  it('never binds Owner to an account that only claimed the address unverified', async () => {
    const email = `claimed-${Date.now()}@example.com`;
    const claimer = await signIn(service, { email, emailVerified: false });
    const users = service.database.dataSource.getRepository(UserEntity);
    expect((await users.findOneByOrFail({ id: claimer.userId })).email).toBe(email);
    const admin = await platformAdmin(service);
    const created = await service.graphql(
      'mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { id } }',
      { input: { name: 'Claimed', slug: `claimed-${Date.now()}`, ownerEmail: email } },
      admin.token,
    );
    expect(created.errors).toBeUndefined();
    // The claimer lost the address (audited) and holds nothing; a placeholder holds Owner.
    expect((await users.findOneByOrFail({ id: claimer.userId })).email).toBeNull();
    expect((await service.graphql('{ viewer { memberships { id } } }', {}, claimer.token)).data.viewer.memberships).toEqual([]);
    const placeholder = await users.findOneByOrFail({ email });
    expect(placeholder.issuer).toBeNull();
    // Whoever proves the address becomes the Owner.
    const owner = await signIn(service, { email });
    expect(owner.userId).toBe(placeholder.id);
    const viewer = await service.graphql('{ viewer { memberships { roles { name } } } }', {}, owner.token);
    expect(viewer.data.viewer.memberships).toEqual([{ roles: [{ name: 'Owner' }] }]);
  });
});

describe('key rotation', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ AUTH_JWKS_COOLDOWN_SECONDS: '1' });
  });
  afterAll(() => service.stop());

  it('refetches the JWKS for an unknown kid, at most once per cooldown', async () => {
    await signIn(service);
    const fetchesBefore = service.idp.jwksRequests;
    expect(fetchesBefore).toBe(1); // discovered once, then cached
    await signIn(service);
    expect(service.idp.jwksRequests).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the cooldown since the first fetch
    await service.idp.rotateKey();
    const rotated = await service.graphql(VIEWER, {}, await service.token());
    expect(rotated.errors).toBeUndefined(); // the new kid caused one refetch
    expect(service.idp.jwksRequests).toBe(2);

    // Tokens with unknown kids do not make the service hammer the IdP: the cooldown holds.
    for (let index = 0; index < 5; index += 1) {
      expect(errorCodes(await service.graphql(VIEWER, {}, await service.token({ unknownKey: true })))).toEqual(['UNAUTHENTICATED']);
    }
    expect(service.idp.jwksRequests).toBe(2);
  });
});

describe('platform admin claim paths', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ PLATFORM_ADMIN_CLAIM: 'realm_access.roles', PLATFORM_ADMIN_ROLE: 'super' });
  });
  afterAll(() => service.stop());

  it('reads a dotted claim path', async () => {
    const admin = await signIn(service, { claims: { realm_access: { roles: ['user', 'super'] } } });
    const plain = await signIn(service, { claims: { realm_access: { roles: ['user'] } }, platformAdmin: true });
    expect((await service.graphql('{ viewer { isPlatformAdmin } }', {}, admin.token)).data.viewer.isPlatformAdmin).toBe(true);
    expect((await service.graphql('{ viewer { isPlatformAdmin } }', {}, plain.token)).data.viewer.isPlatformAdmin).toBe(false);
  });
});
