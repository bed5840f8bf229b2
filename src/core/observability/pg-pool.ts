import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** The pg Pool behind a TypeORM postgres data source (its driver keeps it as `master`), once initialised. */
export function pgPoolOf(dataSource: DataSource): Pool | undefined {
  return dataSource.isInitialized ? (dataSource.driver as unknown as { master?: Pool }).master : undefined;
}
