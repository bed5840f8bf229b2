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

/** A new scope for the request `requestId`, starting now. */
export function createRequestScope(requestId: string): RequestScope {
  return { requestId, startedAt: performance.now(), statements: 0 };
}

/** Runs `work` (and everything it starts) inside a request scope: a new one for `requestId`, or `scope`. */
export function runInRequestScope<T>(scope: string | RequestScope, work: () => T): T {
  return storage.run(typeof scope === 'string' ? createRequestScope(scope) : scope, work);
}

/** The scope of the request being served, or undefined outside a request (workers, start-up). */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/** Notes that the current request touched an organisation (for its log line); nothing outside a request. */
export function noteOrganisation(organisationId: string): void {
  const scope = storage.getStore();
  if (scope) (scope.organisationIds ??= new Set()).add(organisationId);
}
