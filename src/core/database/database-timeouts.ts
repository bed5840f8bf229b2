/** How long the service waits for PostgreSQL, in milliseconds (the DATABASE_*_TIMEOUT_MS variables). */
export interface DatabaseTimeouts {
  /** Opening a connection, or waiting for a free one when the pool is full. */
  connectTimeoutMs: number;
  /** One statement, server-side (`statement_timeout`); inside a request also cut at its deadline. */
  statementTimeoutMs: number;
  /** One wait for a row or table lock, server-side (`lock_timeout`). */
  lockTimeoutMs: number;
  /** A transaction left open with nothing running, server-side (`idle_in_transaction_session_timeout`). */
  idleInTransactionTimeoutMs: number;
  /** Client-side: a statement the server never answers (stopped, black-holed); longer than the statement timeout. */
  queryTimeoutMs: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = {
  connectTimeoutMs: 3000,
  statementTimeoutMs: 5000,
  lockTimeoutMs: 3000,
  idleInTransactionTimeoutMs: 10_000,
  queryTimeoutMs: 6000,
};
