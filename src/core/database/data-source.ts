import { DataSource } from 'typeorm';
import { entities } from './entities';
import { migrations } from './migrations';
import { CountingTypeOrmLogger } from './query-counter';

/** Builds the TypeORM data source shared by the app, the CLI and the tests. Never `synchronize`. */
export function createDataSource(url: string, options: { poolSize?: number; applicationName?: string } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['query', 'error', 'warn', 'migration'],
    logger: new CountingTypeOrmLogger(),
    maxQueryExecutionTime: 1000,
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? 'access-subgraph',
  });
}

/** True when every migration of the code is applied to the database. */
export async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}
