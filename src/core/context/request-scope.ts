import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the process knows about the request whose code is running now, wherever it runs (resolvers,
 * services, the SQL logger): carried by AsyncLocalStorage, set once per HTTP request.
 */
export interface RequestScope {
  readonly requestId: string;
  /** `performance.now()` when the request started. */
  readonly startedAt: number;
  /** SQL statements issued for this request so far (transaction control excluded). */
  statements: number;
  /** The statements' text, only while a test or benchmark watches this request. */
  recording?: string[];
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `work` (and everything it starts) inside a new request scope. */
export function runInRequestScope<T>(requestId: string, work: () => T): T {
  return storage.run({ requestId, startedAt: performance.now(), statements: 0 }, work);
}

/** The scope of the request being served, or undefined outside a request (workers, start-up). */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}
