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
  /**
   * `performance.now()` after which the request is abandoned (REQUEST_TIMEOUT_MS): no transaction starts
   * or commits after it, and statements inside a transaction are cut at it. Infinity: no deadline.
   */
  deadline: number;
  /** Set when the deadline passed and the client was (or is about to be) answered with a TIMEOUT. */
  timedOut: boolean;
  /**
   * Set once a transaction of this request starts to COMMIT. From then on the request is never answered
   * with a TIMEOUT (which promises that nothing was written): it completes and answers normally.
   */
  committed: boolean;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `work` (and everything it starts) inside a new request scope, with a deadline `timeoutMs` from now. */
export function runInRequestScope<T>(requestId: string, work: () => T, timeoutMs = Infinity): T {
  const startedAt = performance.now();
  return storage.run({ requestId, startedAt, statements: 0, deadline: startedAt + timeoutMs, timedOut: false, committed: false }, work);
}

/** The scope of the request being served, or undefined outside a request (workers, start-up). */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/** Milliseconds left before the current request's deadline (Infinity outside a request or without one). */
export function remainingRequestTime(scope: RequestScope | undefined = currentRequestScope()): number {
  return scope ? scope.deadline - performance.now() : Infinity;
}
