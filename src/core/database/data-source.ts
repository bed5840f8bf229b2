import type { DataSource } from 'typeorm';
import { entities } from './entities';
import { migrations } from './migrations';
import { DEFAULT_DATABASE_TIMEOUTS, type DatabaseTimeouts } from './database-timeouts';
import { TimeLimitedClient } from './pg-client';
import { CountingTypeOrmLogger } from './query-counter';
import { RoutedDataSource } from './routed-data-source';

const MIGRATIONS_TABLE = 'typeorm_migrations';

export interface DataSourceOptions {
  poolSize?: number;
  applicationName?: string;
  /** Defaults: {@link DEFAULT_DATABASE_TIMEOUTS}. `null`: no statement limits (migrations may run long). */
  timeouts?: Partial<DatabaseTimeouts> | null;
  /** A read replica's pool: never tries to install extensions (a standby is read-only). */
  replica?: boolean;
}

const timeoutsBySource = new WeakMap<DataSource, DatabaseTimeouts>();

/** The statement limits a data source was built with (null: none), for `runTransaction`. */
export function databaseTimeouts(dataSource: DataSource): DatabaseTimeouts | null {
  return timeoutsBySource.get(dataSource) ?? null;
}

/**
 * Builds the TypeORM data source shared by the app, the CLI and the tests. Never `synchronize`. It routes
 * reads to replicas once a read router is attached (see `RoutedDataSource`).
 */
export function createDataSource(url: string, options: DataSourceOptions = {}): RoutedDataSource {
  const timeouts = options.timeouts === null ? null : { ...DEFAULT_DATABASE_TIMEOUTS, ...options.timeouts };
  const dataSource = new RoutedDataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    ...(options.replica && { installExtensions: false }),
    logging: ['query', 'error', 'warn', 'migration'],
    logger: new CountingTypeOrmLogger(),
    maxQueryExecutionTime: 1000,
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? 'access-subgraph',
    connectTimeoutMS: timeouts?.connectTimeoutMs ?? DEFAULT_DATABASE_TIMEOUTS.connectTimeoutMs,
    extra: {
      Client: TimeLimitedClient,
      // Sent as startup parameters, so every statement has them without a round trip. Behind PgBouncer in
      // transaction mode (which refuses or ignores them) `runTransaction` still sets them per transaction.
      ...(timeouts && {
        statement_timeout: timeouts.statementTimeoutMs,
        lock_timeout: timeouts.lockTimeoutMs,
        idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
        query_timeout: timeouts.queryTimeoutMs,
      }),
      // A peer that vanished without a FIN/RST is noticed by the kernel, not only by the timeouts.
      keepAlive: true,
    },
  });
  if (timeouts) timeoutsBySource.set(dataSource, timeouts);
  return dataSource;
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

/** What `/readyz` reports. */
export type Readiness = 'ready' | 'migrations pending' | 'database unreachable' | 'database timeout';

/**
 * Readiness within `timeoutMs` whatever the database does (refuses, resets, or never answers): the
 * check is abandoned at the limit, its late outcome ignored.
 */
export async function checkReadiness(dataSource: DataSource, timeoutMs: number): Promise<Readiness> {
  const check = migrationsApplied(dataSource).then(
    (applied): Readiness => (applied ? 'ready' : 'migrations pending'),
    (): Readiness => 'database unreachable',
  );
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<Readiness>((resolve) => {
    timer = setTimeout(() => resolve('database timeout'), timeoutMs);
  });
  try {
    return await Promise.race([check, limit]);
  } finally {
    clearTimeout(timer);
  }
}
