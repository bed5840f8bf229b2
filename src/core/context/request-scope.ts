import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestReads } from '../database/read-router';

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
  /** Where this request's reads go, with read replicas configured (`src/core/database/read-router.ts`). */
  reads?: RequestReads;
  // What the request log line and the metrics report when the request ends (src/core/observability).
  /** The operation's name as the document gives it; null when anonymous, undefined when never resolved. */
  operationName?: string | null;
  /** The signed-in user's id, once authenticated. */
  principalId?: string;
  /** Organisations whose access snapshot this request computed. */
  organisationIds?: Set<string>;
  /** `extensions.code` of each error of the response. */
  errorCodes?: string[];
  /** The trace this request belongs to, when tracing is on. */
  traceId?: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** A new scope for the request `requestId`, starting now, with no deadline yet (see `requestDeadline`). */
export function createRequestScope(requestId: string, timeoutMs = Infinity): RequestScope {
  const startedAt = performance.now();
  return { requestId, startedAt, statements: 0, deadline: startedAt + timeoutMs, timedOut: false, committed: false };
}

/** Runs `work` (and everything it starts) inside a request scope: a new one for `requestId` (deadline `timeoutMs` from now), or `scope`. */
export function runInRequestScope<T>(scope: string | RequestScope, work: () => T, timeoutMs = Infinity): T {
  return storage.run(typeof scope === 'string' ? createRequestScope(scope, timeoutMs) : scope, work);
}

/** The scope of the request being served, or undefined outside a request (workers, start-up). */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/** Milliseconds left before the current request's deadline (Infinity outside a request or without one). */
export function remainingRequestTime(scope: RequestScope | undefined = currentRequestScope()): number {
  return scope ? scope.deadline - performance.now() : Infinity;
}

/** Notes that the current request touched an organisation (for its log line); nothing outside a request. */
export function noteOrganisation(organisationId: string): void {
  const scope = storage.getStore();
  if (scope) (scope.organisationIds ??= new Set()).add(organisationId);
}
