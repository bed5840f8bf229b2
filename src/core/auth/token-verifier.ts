import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { logger } from '../logger';
import { countedFetch, keySetUnavailable } from '../observability/jwks-observability';
import { identityFromClaims, type VerifiedIdentity } from './verified-identity';

export interface TokenVerifierOptions {
  issuer: string;
  audience: string;
  algorithms: string[];
  clockToleranceSeconds: number;
  keys: JWTVerifyGetKey;
}

/** Raised for every token problem; the reason is for logs only, never for the client. */
export class InvalidTokenError extends Error {}

/** Verifies bearer JWTs: signature against the trusted keys, issuer, audience, algorithm allow-list, `exp`. */
export class TokenVerifier {
  constructor(private readonly options: TokenVerifierOptions) {}

  async verify(token: string): Promise<VerifiedIdentity> {
    try {
      const { payload } = await jwtVerify(token, this.options.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.options.algorithms,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub', 'iss'],
      });
      return identityFromClaims(payload);
    } catch (error) {
      const reason = error instanceof errors.JOSEError ? `${error.code}: ${error.message}` : String(error);
      if (keySetUnavailable(error)) logger.error({ reason }, 'signing keys unavailable (JWKS or discovery): token not verified');
      else logger.info({ reason }, 'token rejected');
      throw new InvalidTokenError(reason);
    }
  }
}

/**
 * Remote key set: from `AUTH_JWKS_URL`, else the `jwks_uri` of the issuer's OpenID discovery document.
 * Keys are cached; an unknown `kid` triggers a refetch, at most once per cooldown.
 */
export function remoteKeySet(issuer: string, jwksUrl: string | undefined, cooldownSeconds: number): JWTVerifyGetKey {
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  const resolveKeySet = async (): Promise<JWTVerifyGetKey> => {
    const url = jwksUrl ?? (await discoverJwksUri(issuer));
    return createRemoteJWKSet(new URL(url), { cooldownDuration: cooldownSeconds * 1000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000, [customFetch]: countedFetch('jwks') });
  };
  return async (header, token) => {
    keySet ??= resolveKeySet().catch((error) => {
      keySet = undefined; // a failed discovery is retried on the next request
      throw error;
    });
    return (await keySet)(header, token);
  };
}

async function discoverJwksUri(issuer: string): Promise<string> {
  const discoveryUrl = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await countedFetch('discovery')(discoveryUrl, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`discovery document ${discoveryUrl} answered ${response.status}`);
  const document = (await response.json()) as { jwks_uri?: unknown; issuer?: unknown };
  if (typeof document.jwks_uri !== 'string') throw new Error(`discovery document ${discoveryUrl} has no jwks_uri`);
  if (document.issuer !== undefined && document.issuer !== issuer) {
    logger.warn({ expected: issuer, found: document.issuer }, 'discovery document names another issuer');
  }
  return document.jwks_uri;
}
