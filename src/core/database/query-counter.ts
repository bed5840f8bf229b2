import type { Logger as TypeOrmLogger } from 'typeorm';
import { currentRequestScope } from '../context/request-scope';
import { logger } from '../logger';

/**
 * Counts SQL statements per request (in the request's scope) and per process. Tests and benchmarks
 * watch one request by its id, so statements of other requests or of background workers never fall
 * into what they measure.
 */
export class QueryCounter {
  private total = 0;
  /** Requests being watched, by request id: their statements' text (nothing kept otherwise). */
  private readonly watched = new Map<string, string[]>();

  record(statement: string): void {
    this.total += 1;
    const scope = currentRequestScope();
    if (!scope) return;
    scope.statements += 1;
    if (this.watched.size > 0) this.watched.get(scope.requestId)?.push(statement);
  }

  /** Statements issued by this process since it started (all requests and workers). */
  get processTotal(): number {
    return this.total;
  }

  /** Runs `work`, which sends the request `requestId`, and reports the statements that request issued. */
  async measureRequest<T>(requestId: string, work: () => Promise<T>): Promise<{ result: T; count: number; statements: string[] }> {
    const statements: string[] = [];
    this.watched.set(requestId, statements);
    try {
      const result = await work();
      return { result, count: statements.length, statements };
    } finally {
      this.watched.delete(requestId);
    }
  }
}

export const queryCounter = new QueryCounter();

// The limits `runTransaction` sets when it opens a transaction are part of opening it, like BEGIN.
const TRANSACTION_CONTROL = /^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|SELECT set_config\('statement_timeout')/i;

/** TypeORM logger: counts statements (transaction control excluded) and logs failures and slow queries. */
export class CountingTypeOrmLogger implements TypeOrmLogger {
  logQuery(query: string): void {
    if (!TRANSACTION_CONTROL.test(query)) queryCounter.record(query);
  }
  logQueryError(error: string | Error, query: string): void {
    logger.debug({ err: error, query }, 'query failed');
  }
  logQuerySlow(time: number, query: string): void {
    logger.warn({ time, query }, 'slow query');
  }
  logSchemaBuild(): void {}
  logMigration(message: string): void {
    logger.info({ migration: message }, 'migration');
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') logger.warn({ message }, 'typeorm');
  }
}
