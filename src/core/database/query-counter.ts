import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger as TypeOrmLogger } from 'typeorm';
import { logger } from '../logger';

/** Counts SQL statements per async scope (a request), so tests can prove they do not grow with list sizes. */
export class QueryCounter {
  private readonly storage = new AsyncLocalStorage<{ count: number; statements: string[] }>();

  run<T>(work: () => T): T {
    return this.storage.run({ count: 0, statements: [] }, work);
  }

  record(statement: string): void {
    const scope = this.storage.getStore();
    if (!scope) return;
    scope.count += 1;
    scope.statements.push(statement);
  }

  current(): { count: number; statements: string[] } {
    return this.storage.getStore() ?? { count: 0, statements: [] };
  }
}

export const queryCounter = new QueryCounter();

const TRANSACTION_CONTROL = /^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)/i;

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
