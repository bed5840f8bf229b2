import { AsyncLocalStorage } from 'node:async_hooks';

/** Where the statements of some code must (`primary`) or may (`replica`) go, whatever its request decided. */
export type ReadPreference = 'primary' | 'replica';

const preference = new AsyncLocalStorage<ReadPreference>();

/**
 * Runs `work` with every statement it sends on the primary: reads that decide a write (they must see
 * the latest state), and everything inside a transaction (`runTransaction` and `DataSource.transaction`
 * already do this). Without read replicas it changes nothing.
 */
export function onPrimary<T>(work: () => T): T {
  return preference.run('primary', work);
}

/**
 * Runs `work`, whose reads tolerate a replica's lag, on the request's replica even before its operation
 * is known (sign-in provisioning: a returning user with nothing to write costs the primary nothing).
 * Writes inside it must still use `onPrimary` or a transaction.
 */
export function replicaTolerated<T>(work: () => T): T {
  return preference.run('replica', work);
}

/** The preference of the code running now; undefined: the request's own routing decides. */
export function currentReadPreference(): ReadPreference | undefined {
  return preference.getStore();
}
