import type { DataSource, EntityManager } from 'typeorm';
import { openHooks, runBeforeCommitHooks } from './transaction-hooks';

/**
 * The one way services open a transaction. Everything a transaction needs beyond BEGIN/COMMIT
 * (retries on transient failures, the request's deadline, routing to the primary) belongs here,
 * so no service repeats it.
 */
export function runTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  return dataSource.transaction(async (manager) => {
    openHooks(manager);
    const result = await work(manager);
    // Work that must commit with the change, written last (e.g. the domain events, in one statement).
    await runBeforeCommitHooks(manager);
    return result;
  });
}
