import { QueryFailedError } from 'typeorm';

/** The SQLSTATE (`23505`, `40P01`…) of a PostgreSQL error, whether TypeORM wrapped it or not. */
export function sqlState(error: unknown): string | undefined {
  const driverError = error instanceof QueryFailedError ? error.driverError : error;
  const code = (driverError as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The constraint name when `error` is a unique violation, else null. */
export function uniqueViolation(error: unknown): string | null {
  if (sqlState(error) !== '23505') return null;
  return (((error instanceof QueryFailedError ? error.driverError : error) as { constraint?: string }).constraint ?? '');
}

/** A deadlock or a serialization failure: the transaction did nothing wrong and succeeds when run again. */
export function isRetryableTransactionFailure(error: unknown): boolean {
  const state = sqlState(error);
  return state === '40001' || state === '40P01';
}

/** A write that refers to a row (a role, a membership…) deleted meanwhile. */
export function isForeignKeyViolation(error: unknown): boolean {
  return sqlState(error) === '23503';
}

/**
 * Why the database could not serve a statement, when the cause is the database or the way to it rather
 * than the statement: `UNAVAILABLE` (refused, reset, shut down, too many connections, no answer at all),
 * `TIMEOUT` (a statement or lock wait ran past its limit). Undefined for everything else.
 */
export type DatabaseFailure = 'UNAVAILABLE' | 'TIMEOUT';

// Socket errors on the way to the server (Node's `code`), not SQLSTATEs.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

// Errors node-postgres and pg-pool raise by message only (no code): a connection that died, never came, or
// a query the server never answered (DATABASE_QUERY_TIMEOUT_MS).
const DRIVER_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection ended unexpectedly',
];

/** Classifies `error` (see {@link DatabaseFailure}); undefined when it is not about availability. */
export function databaseFailure(error: unknown): DatabaseFailure | undefined {
  const state = sqlState(error);
  if (state) {
    // 57014 query_canceled (statement_timeout), 55P03 lock_not_available (lock_timeout).
    if (state === '57014' || state === '55P03') return 'TIMEOUT';
    // Class 08 connection exception; 57P01-57P05 shutdown, crash, cannot connect now, idle session timeouts;
    // 53xxx insufficient resources (too many connections, out of memory, disk full); 25P03 idle in transaction timeout.
    if (state.startsWith('08') || /^57P0[1-5]$/.test(state) || state.startsWith('53') || state === '25P03') return 'UNAVAILABLE';
    return undefined;
  }
  // Duck-typed: socket errors may come from another realm (Jest's VM), where `instanceof Error` is false.
  const cause = (error instanceof QueryFailedError ? error.driverError : error) as { code?: unknown; message?: unknown; errors?: unknown } | null;
  if (typeof cause !== 'object' || cause === null) return undefined;
  if (typeof cause.code === 'string' && NETWORK_CODES.has(cause.code)) return 'UNAVAILABLE';
  // Node reports a refused connection to a host with several addresses as an AggregateError.
  if (Array.isArray(cause.errors) && cause.errors.some((inner) => databaseFailure(inner) === 'UNAVAILABLE')) return 'UNAVAILABLE';
  const message = cause.message;
  return typeof message === 'string' && DRIVER_MESSAGES.some((known) => message.includes(known)) ? 'UNAVAILABLE' : undefined;
}
