import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { logger } from '../logger';
import { countedFetch } from '../observability/jwks-observability';

/** No key set can be used: never fetched yet, or older than its cache age plus the stale allowance, and the endpoint fails. */
export class KeySetUnavailableError extends Error {}

export interface RemoteKeySetOptions {
  /** The issuer: its discovery document names the key set when `jwksUrl` is not given. */
  issuer: string;
  jwksUrl?: string;
  /** After this age the set is fetched again (in the background: requests keep the set they have). */
  cacheMaxAgeMs: number;
  /** Least time between two fetches caused by unknown `kid`s or by a failing endpoint. */
  cooldownMs: number;
  /** How long past its cache age the last good set is still used while the endpoint fails. */
  maxStaleMs: number;
  /** Limit of one fetch (discovery or key set). */
  timeoutMs: number;
  /** The clock, in milliseconds (tests move it). */
  now?: () => number;
}

interface CachedKeys {
  resolve: JWTVerifyGetKey;
  fetchedAt: number;
}

/**
 * The issuer's signing keys (JWKS), cached, with stale-if-error: jose's `createRemoteJWKSet` refuses every
 * token once its cache is older than its maximum age and the endpoint fails, even tokens signed by keys it
 * knows. Here the last good set keeps serving (bounded by `maxStaleMs`) while the endpoint is down, fetches
 * happen at most once per cooldown while it fails, and the outage is logged once per cooldown. Unknown
 * `kid`s still fail closed. Key selection is jose's (`createLocalJWKSet`).
 */
export class RemoteKeySet {
  private cached?: CachedKeys;
  private pending?: Promise<CachedKeys>;
  private lastAttemptAt = -Infinity;
  private lastFailureAt = -Infinity;
  private lastOutageLogAt = -Infinity;
  private failing = false;
  private jwksUrl?: Promise<string>;
  private readonly now: () => number;

  constructor(private readonly options: RemoteKeySetOptions) {
    this.now = options.now ?? Date.now;
  }

  /** For `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const keys = await this.usableKeys();
    try {
      return await keys.resolve(header, token);
    } catch (error) {
      // A kid we do not know may be a new key: look once per cooldown (or join a fetch under way); the
      // token stays refused otherwise.
      if (!(error instanceof errors.JWKSNoMatchingKey) || (!this.pending && this.coolingDown())) throw error;
      const fresh = await this.refresh().catch(() => keys);
      return fresh.resolve(header, token);
    }
  };

  private async usableKeys(): Promise<CachedKeys> {
    const cached = this.cached;
    if (!cached) return this.refreshUnlessFailing();
    const age = this.now() - cached.fetchedAt;
    if (age < this.options.cacheMaxAgeMs) return cached;
    if (age < this.options.cacheMaxAgeMs + this.options.maxStaleMs) {
      // Stale: fetched again in the background; this request keeps the last good set.
      if (!this.pending && !this.coolingDown()) void this.refresh().catch(() => undefined);
      return cached;
    }
    return this.refreshUnlessFailing();
  }

  /** A fresh set, unless a fetch failed within the cooldown (then fail at once instead of waiting again). */
  private refreshUnlessFailing(): Promise<CachedKeys> {
    if (!this.pending && this.now() - this.lastFailureAt < this.options.cooldownMs) {
      return Promise.reject(new KeySetUnavailableError('the JWKS endpoint failed recently and no usable key set is cached'));
    }
    return this.refresh().catch((error: unknown) => {
      throw new KeySetUnavailableError(`no usable key set: ${(error as Error).message}`);
    });
  }

  private coolingDown(): boolean {
    return this.now() - this.lastAttemptAt < this.options.cooldownMs;
  }

  /** One fetch at a time; concurrent callers share it. */
  private refresh(): Promise<CachedKeys> {
    this.pending ??= this.fetchKeys().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchKeys(): Promise<CachedKeys> {
    this.lastAttemptAt = this.now();
    try {
      const url = await this.resolveUrl();
      const response = await countedFetch('jwks')(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.options.timeoutMs) });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      const keySet = (await response.json()) as JSONWebKeySet;
      const resolve = createLocalJWKSet(keySet); // throws on anything that is not a key set
      if (this.failing) logger.warn({ url }, 'JWKS endpoint answers again');
      this.failing = false;
      this.lastFailureAt = -Infinity;
      this.lastOutageLogAt = -Infinity;
      this.cached = { resolve, fetchedAt: this.now() };
      return this.cached;
    } catch (error) {
      this.failing = true;
      this.lastFailureAt = this.now();
      if (this.lastFailureAt - this.lastOutageLogAt >= this.options.cooldownMs) {
        this.lastOutageLogAt = this.lastFailureAt;
        const ageSeconds = this.cached ? Math.round((this.lastFailureAt - this.cached.fetchedAt) / 1000) : null;
        logger.error({ err: error, cachedKeySetAgeSeconds: ageSeconds }, 'JWKS endpoint unavailable (tokens of cached keys are still verified while the key set is within AUTH_JWKS_MAX_STALE_SECONDS)');
      }
      throw error;
    }
  }

  private resolveUrl(): Promise<string> {
    this.jwksUrl ??= (this.options.jwksUrl ? Promise.resolve(this.options.jwksUrl) : discoverJwksUri(this.options.issuer, this.options.timeoutMs)).catch((error: unknown) => {
      this.jwksUrl = undefined; // a failed discovery is tried again with the next fetch
      throw error;
    });
    return this.jwksUrl;
  }
}

async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<string> {
  const discoveryUrl = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await countedFetch('discovery')(discoveryUrl, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`discovery document ${discoveryUrl} answered ${response.status}`);
  const document = (await response.json()) as { jwks_uri?: unknown; issuer?: unknown };
  if (typeof document.jwks_uri !== 'string') throw new Error(`discovery document ${discoveryUrl} has no jwks_uri`);
  if (document.issuer !== undefined && document.issuer !== issuer) {
    logger.warn({ expected: issuer, found: document.issuer }, 'discovery document names another issuer');
  }
  return document.jwks_uri;
}
