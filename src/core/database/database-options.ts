import type { AppConfig } from '../config';
import type { DataSourceOptions } from './data-source';

/** The pool size and every database timeout, from the configuration. */
export function databaseOptions(config: AppConfig): DataSourceOptions {
  return {
    poolSize: config.DATABASE_POOL_SIZE,
    timeouts: {
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: config.DATABASE_LOCK_TIMEOUT_MS,
      idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS,
    },
  };
}
