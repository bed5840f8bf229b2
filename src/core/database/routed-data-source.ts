import { DataSource, type EntityManager, type QueryRunner, type ReplicationMode } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import { logger } from '../logger';
import { databaseFailure, sqlState } from './postgres-errors';
import { onPrimary } from './read-preference';
import type { ReadRouter } from './read-router';
import type { ReplicaEndpoint } from './replica-endpoint';

/**
 * The service's data source: the primary's pool, and, when read replicas are configured, the one place
 * that decides which server a statement goes to. Every service, loader and repository reads through it
 * as before; the request's route (`ReadRouter`, kept in its scope) picks the pool each statement's
 * connection comes from. Transactions always run on the primary, and so does every read sent while one
 * runs (`onPrimary`). Without a router it is a plain TypeORM data source.
 */
export class RoutedDataSource extends DataSource {
  /** Set at start when DATABASE_REPLICA_URLS is (bootstrap); null: everything on the primary. */
  readRouter: ReadRouter | null = null;

  override createQueryRunner(mode: ReplicationMode = 'master'): QueryRunner {
    const replica = this.readRouter?.replicaForRead();
    if (!replica) return super.createQueryRunner(mode);
    const router = this.readRouter as ReadRouter;
    return withPrimaryFallback(replica, replica.dataSource.createQueryRunner(mode), () => super.createQueryRunner(mode), (error) => router.replicaFailed(replica, error));
  }

  override transaction<T>(runInTransaction: (entityManager: EntityManager) => Promise<T>): Promise<T>;
  override transaction<T>(isolationLevel: IsolationLevel, runInTransaction: (entityManager: EntityManager) => Promise<T>): Promise<T>;
  override transaction<T>(first: IsolationLevel | ((entityManager: EntityManager) => Promise<T>), second?: (entityManager: EntityManager) => Promise<T>): Promise<T> {
    return onPrimary(() => (typeof first === 'function' ? super.transaction(first) : super.transaction(first, second as (entityManager: EntityManager) => Promise<T>)));
  }
}

/** The router of `dataSource`, when it routes reads. */
export function readRouterOf(dataSource: DataSource): ReadRouter | null {
  return dataSource instanceof RoutedDataSource ? dataSource.readRouter : null;
}

/**
 * A replica's query runner whose statements run on the primary instead when the replica cannot serve
 * them: unreachable or shut down (the replica is taken out of use), a standby cancelling a query for a
 * recovery conflict, or a write sent there by mistake (read-only: logged as the bug it is). Every
 * statement outside a transaction stands alone, so running it again elsewhere is safe; from then on the
 * runner stays on the primary. A transaction cannot start on it.
 */
function withPrimaryFallback(replica: ReplicaEndpoint, runner: QueryRunner, primaryRunner: () => QueryRunner, onUnavailable: (error: unknown) => void): QueryRunner {
  const onReplica = runner.query.bind(runner);
  const releaseReplica = runner.release.bind(runner);
  let fallback: QueryRunner | undefined;
  runner.query = (async (query: string, parameters?: unknown[], structured?: boolean) => {
    if (fallback) return fallback.query(query, parameters, structured as true);
    try {
      return await onReplica(query, parameters, structured as true);
    } catch (error) {
      const reason = replicaCannotServe(error);
      if (!reason) throw error;
      if (reason === 'unavailable') onUnavailable(error);
      else if (reason === 'read-only') logger.error({ err: error, replica: replica.name }, 'a write was sent to a read replica; it ran on the primary');
      fallback = primaryRunner();
      return fallback.query(query, parameters, structured as true);
    }
  }) as QueryRunner['query'];
  runner.release = async () => {
    await releaseReplica();
    await fallback?.release();
  };
  runner.startTransaction = () => Promise.reject(new Error('transactions run on the primary: open them with runTransaction'));
  return runner;
}

function replicaCannotServe(error: unknown): 'unavailable' | 'conflict' | 'read-only' | null {
  if (databaseFailure(error) === 'UNAVAILABLE') return 'unavailable';
  const state = sqlState(error);
  // 40001/40P01 on a standby: "canceling statement due to conflict with recovery".
  if (state === '40001' || state === '40P01') return 'conflict';
  if (state === '25006') return 'read-only';
  return null;
}
