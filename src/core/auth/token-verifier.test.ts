import { RemoteKeySet } from './remote-key-set';
import { InvalidTokenError, TokenVerifier } from './token-verifier';
import { TestIdentityProvider } from '../../../test/support/identity-provider';

describe('TokenVerifier refuses each bad token for its own reason', () => {
  let idp: TestIdentityProvider;
  let verifier: TokenVerifier;
  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    verifier = new TokenVerifier({
      issuer: idp.issuer,
      audience: idp.audience,
      algorithms: ['RS256'],
      clockToleranceSeconds: 5,
      keys: new RemoteKeySet({ issuer: idp.issuer, cacheMaxAgeMs: 600_000, cooldownMs: 30_000, maxStaleMs: 86_400_000, timeoutMs: 5000 }).getKey,
    });
  });
  afterAll(() => idp.stop());

  const reason = async (token: string) => {
    try {
      await verifier.verify(token);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidTokenError);
      return (error as Error).message;
    }
    throw new Error('token was accepted');
  };

  it('accepts a good token and reads identity only', async () => {
    const identity = await verifier.verify(await idp.token({ subject: 's1', email: 'A@Example.com', name: 'A', amr: ['pwd', 'otp'] }));
    expect(identity).toMatchObject({ issuer: idp.issuer, subject: 's1', email: 'a@example.com', emailVerified: true, name: 'A', amr: ['pwd', 'otp'] });
  });
  it('expired', async () => expect(await reason(await idp.token({ expiresAt: Math.floor(Date.now() / 1000) - 60 }))).toMatch(/ERR_JWT_EXPIRED/));
  it('wrong issuer', async () => expect(await reason(await idp.token({ issuer: 'https://other' }))).toMatch(/ERR_JWT_CLAIM_VALIDATION_FAILED.*iss/));
  it('wrong audience', async () => expect(await reason(await idp.token({ audience: 'other' }))).toMatch(/ERR_JWT_CLAIM_VALIDATION_FAILED.*aud/));
  it('no exp', async () => expect(await reason(await idp.token({ noExpiry: true }))).toMatch(/ERR_JWT_CLAIM_VALIDATION_FAILED.*exp/));
  it('alg none', async () => expect(await reason(idp.unsignedToken())).toMatch(/ERR_JOSE_ALG_NOT_ALLOWED|ERR_JWS_INVALID/));
  it('HMAC with the public key', async () => expect(await reason(await idp.hmacWithPublicKeyToken())).toMatch(/ERR_JOSE_ALG_NOT_ALLOWED/));
  it('unknown key', async () => expect(await reason(await idp.token({ unknownKey: true }))).toMatch(/ERR_JWKS_NO_MATCHING_KEY/));
  it('tampered signature', async () => {
    const [header, payload, signature] = (await idp.token()).split('.');
    const tampered = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(await reason(tampered)).toMatch(/ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
  });
  it('unverified email is reported as such', async () => {
    const identity = await verifier.verify(await idp.token({ email: 'x@example.com', emailVerified: false }));
    expect(identity.emailVerified).toBe(false);
  });
});
