import { DataSource } from 'typeorm';
import { entities } from './entities';
import { migrations } from './migrations';
import { CountingTypeOrmLogger } from './query-counter';

const MIGRATIONS_TABLE = 'typeorm_migrations';

/** Builds the TypeORM data source shared by the app, the CLI and the tests. Never `synchronize`. */
export function createDataSource(url: string, options: { poolSize?: number; applicationName?: string } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['query', 'error', 'warn', 'migration'],
    logger: new CountingTypeOrmLogger(),
    maxQueryExecutionTime: 1000,
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? 'access-subgraph',
  });
}

/**
 * True when every migration of the code is applied to the database. Reads only: TypeORM's
 * `showMigrations` would create the migrations table, and a readiness probe must not write.
 */
export async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  const [{ present }] = await dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [MIGRATIONS_TABLE]);
  if (!present) return dataSource.migrations.length === 0;
  const rows: { name: string }[] = await dataSource.query(`SELECT name FROM ${MIGRATIONS_TABLE}`);
  const applied = new Set(rows.map((row) => row.name));
  return dataSource.migrations.every((migration) => applied.has(migration.name ?? migration.constructor.name));
}
