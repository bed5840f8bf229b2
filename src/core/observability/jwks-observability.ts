import { Counter } from 'prom-client';
import { metricsRegistry } from './metrics-registry';

/** Which document of the identity provider was fetched. */
export type KeySetDocument = 'jwks' | 'discovery';

const fetches = new Counter({
  name: 'jwks_fetches_total',
  help: "Fetches of the identity provider's signing keys (jwks) and discovery document, by outcome",
  labelNames: ['document', 'outcome'] as const,
  registers: [metricsRegistry],
});

/** Counts one fetch of the key set (or of the discovery document that names it). */
export function recordJwksFetch(outcome: 'success' | 'failure', document: KeySetDocument = 'jwks'): void {
  fetches.inc({ document, outcome });
}

/** `fetch`, counted: a network failure or a status other than 200 is a failure. */
export function countedFetch(document: KeySetDocument): typeof fetch {
  return async (input, init) => {
    try {
      const response = await fetch(input, init);
      recordJwksFetch(response.status === 200 ? 'success' : 'failure', document);
      return response;
    } catch (error) {
      recordJwksFetch('failure', document);
      throw error;
    }
  };
}

// What jose throws when the key set could not be had (timeout, a status other than 200, not JSON, not a
// key set), as opposed to what is wrong with the token itself (signature, claims, unknown key id).
const KEY_SET_FAILURES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JOSE_GENERIC', 'ERR_JWKS_INVALID']);

/**
 * True when verification failed because the signing keys could not be fetched (JWKS or discovery
 * down, timing out, answering garbage): an error of ours, logged at `error`, not an invalid token.
 */
export function keySetUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // Not a JOSE error at all: the network (fetch failed) or the discovery document.
  if (!(error instanceof Error) || typeof code !== 'string' || !code.startsWith('ERR_')) return true;
  return KEY_SET_FAILURES.has(code);
}
