import type { DataSource } from 'typeorm';

/**
 * Runs `work` (requests to the service sharing `dataSource`) and returns the PostgreSQL plan of every
 * statement `matches` picks, explained with its real parameters just before it runs.
 */
export async function capturePlans(dataSource: DataSource, matches: (sql: string) => boolean, work: () => Promise<unknown>): Promise<string[]> {
  const original = dataSource.query;
  const plans: string[] = [];
  dataSource.query = async function query(this: DataSource, sql: string, parameters?: unknown[], ...rest: unknown[]) {
    if (matches(sql)) {
      const rows = (await original.call(this, `EXPLAIN ${sql}`, parameters)) as { 'QUERY PLAN': string }[];
      plans.push(rows.map((row) => row['QUERY PLAN']).join('\n'));
    }
    return original.call(this, sql, parameters, ...(rest as []));
  } as DataSource['query'];
  try {
    await work();
  } finally {
    dataSource.query = original;
  }
  return plans;
}
