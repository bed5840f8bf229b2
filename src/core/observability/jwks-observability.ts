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
