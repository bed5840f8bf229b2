import type { DataSource, EntityManager } from 'typeorm';

/**
 * The one way services open a transaction. Everything a transaction needs beyond BEGIN/COMMIT
 * (retries on transient failures, the request's deadline, routing to the primary) belongs here,
 * so no service repeats it.
 */
export function runTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  return dataSource.transaction(work);
}
