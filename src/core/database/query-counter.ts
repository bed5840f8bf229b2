import type { Logger as TypeOrmLogger } from 'typeorm';
import { logger } from '../logger';

/**
 * Counts SQL statements issued by this process, so tests can prove a request's statement count does
 * not grow with list sizes (measured as the difference around one request, with nothing else running).
 */
export class QueryCounter {
  private total = 0;
  /** The statements' text, kept only while a measurement runs (nothing piles up in normal operation). */
  private recording: string[] | null = null;

  record(statement: string): void {
    this.total += 1;
    this.recording?.push(statement);
  }

  /** Runs `work` and reports the statements issued meanwhile. */
  async measure<T>(work: () => Promise<T>): Promise<{ result: T; count: number; statements: string[] }> {
    const before = this.total;
    const statements: string[] = [];
    this.recording = statements;
    try {
      const result = await work();
      return { result, count: this.total - before, statements };
    } finally {
      this.recording = null;
    }
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
