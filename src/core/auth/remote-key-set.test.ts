import { errors, jwtVerify } from 'jose';
import { TestIdentityProvider } from '../../../test/support/identity-provider';
import { logger } from '../logger';
import { KeySetUnavailableError, RemoteKeySet } from './remote-key-set';

const MINUTE = 60_000;

describe('RemoteKeySet: stale-if-error against the test identity provider, on a clock the test moves', () => {
  let idp: TestIdentityProvider;
  let now: number;
  let keys: RemoteKeySet;
  let outageLogs: jest.SpyInstance;

  beforeEach(async () => {
    idp = await TestIdentityProvider.start();
    now = 1_000_000;
    keys = new RemoteKeySet({ issuer: idp.issuer, cacheMaxAgeMs: 10 * MINUTE, cooldownMs: 30_000, maxStaleMs: 24 * 60 * MINUTE, timeoutMs: 2000, now: () => now });
    outageLogs = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    outageLogs.mockRestore();
    idp.jwksFailure = null;
    await idp.stop();
  });

  const verify = async (token: string) => (await jwtVerify(token, keys.getKey, { issuer: idp.issuer, audience: idp.audience })).payload.sub;
  // Background fetches are not awaited by requests; let them settle before counting.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  it('keeps known keys past the cache age while the endpoint fails, fetching and logging once per cooldown', async () => {
    expect(await verify(await idp.token({ subject: 'before' }))).toBe('before');
    expect(idp.jwksRequests).toBe(1);
    idp.jwksFailure = 'error';
    now += 11 * MINUTE; // past the cache age: jose's remote set would refuse every token from here on
    for (let index = 0; index < 20; index += 1) expect(await verify(await idp.token({ subject: `during-${index}` }))).toBe(`during-${index}`);
    await settle();
    expect(idp.jwksRequests).toBe(2); // one background attempt, not one per request
    expect(outageLogs).toHaveBeenCalledTimes(1);

    now += 10_000; // within the cooldown: no new attempt, no new log line
    await verify(await idp.token());
    await settle();
    expect(idp.jwksRequests).toBe(2);
    now += 30_000; // the cooldown passed: one more attempt, one more log line
    await verify(await idp.token());
    await settle();
    expect(idp.jwksRequests).toBe(3);
    expect(outageLogs).toHaveBeenCalledTimes(2);
  });

  it('refuses unknown kids while the endpoint fails (fail closed)', async () => {
    await verify(await idp.token());
    idp.jwksFailure = 'error';
    now += 11 * MINUTE;
    await expect(verify(await idp.token({ unknownKey: true }))).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it('stops trusting the last good set after AUTH_JWKS_MAX_STALE_SECONDS past its cache age', async () => {
    await verify(await idp.token());
    idp.jwksFailure = 'error';
    now += 10 * MINUTE + 24 * 60 * MINUTE - 1000; // still within the allowance
    expect(await verify(await idp.token({ subject: 'last' }))).toBe('last');
    await settle();
    now += 2000; // beyond it
    await expect(verify(await idp.token())).rejects.toBeInstanceOf(KeySetUnavailableError);
  });

  it('does not wait for an endpoint that hangs when a usable set is cached', async () => {
    await verify(await idp.token());
    idp.jwksFailure = 'hang';
    now += 11 * MINUTE;
    const started = performance.now();
    await verify(await idp.token());
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('picks up the endpoint again when it recovers (a rotated key included)', async () => {
    await verify(await idp.token());
    idp.jwksFailure = 'error';
    now += 11 * MINUTE;
    await verify(await idp.token());
    await settle();
    idp.jwksFailure = null;
    await idp.rotateKey();
    now += 31_000;
    // The new kid is unknown to the cached set: one fetch (the cooldown passed) finds it.
    expect(await verify(await idp.token({ subject: 'rotated' }))).toBe('rotated');
  });

  it('without any key set, a failing endpoint is KeySetUnavailableError, tried at most once per cooldown', async () => {
    idp.jwksFailure = 'error';
    await expect(verify(await idp.token())).rejects.toBeInstanceOf(KeySetUnavailableError);
    await expect(verify(await idp.token())).rejects.toBeInstanceOf(KeySetUnavailableError);
    expect(idp.jwksRequests).toBe(1);
    idp.jwksFailure = null;
    now += 30_000;
    expect(await verify(await idp.token({ subject: 'back' }))).toBe('back');
  });
});
