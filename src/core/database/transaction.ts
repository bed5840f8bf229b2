import type { DataSource, EntityManager } from 'typeorm';
import { currentRequestScope, remainingRequestTime, type RequestScope } from '../context/request-scope';
import { AppError, conflict, serviceUnavailable, UnavailableReason, unavailableFromDatabase } from '../errors';
import { logger } from '../logger';
import { databaseTimeouts } from './data-source';
import { readRouterOf } from './routed-data-source';
import { isForeignKeyViolation, isRetryableTransactionFailure, sqlState } from './postgres-errors';
import { openHooks, runBeforeCommitHooks } from './transaction-hooks';

/** Tries of one transaction that met a deadlock or a serialization failure (the first one included). */
export const MAX_TRANSACTION_ATTEMPTS = 3;
const RETRY_BASE_DELAY_MS = 15;

/**
 * The statement that opens every transaction: this transaction's limits, local to it (so they survive a
 * transaction-pooling PgBouncer, and never leak into the connection's next user). Counted as transaction
 * control, like BEGIN (`query-counter.ts`).
 */
export const TRANSACTION_LIMITS_SQL =
  "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true), set_config('idle_in_transaction_session_timeout', $3, true)";

let retries = 0;

/** Transactions run again after a deadlock or serialization failure since the process started. */
export function transactionRetryCount(): number {
  return retries;
}

/**
 * The one way services open a transaction. Everything a transaction needs beyond BEGIN/COMMIT lives here,
 * so no service repeats it:
 * - before-commit hooks (`transaction-hooks.ts`): work that must commit with the change, written last;
 * - its limits: statement and lock timeouts, cut at the request's deadline (REQUEST_TIMEOUT_MS);
 * - the deadline: no transaction starts or commits after it (a TIMEOUT answer means nothing was written);
 * - retries: a deadlock or serialization failure (40P01, 40001) runs `work` again, at most
 *   {@link MAX_TRANSACTION_ATTEMPTS} times, after a jittered pause, so `work` must not have effects
 *   outside the transaction that a second run would repeat;
 * - read-your-writes, with read replicas: after COMMIT, the primary's WAL position is recorded for the
 *   request's principal (`ReadRouter.recordCommit`); the transaction itself, and every read sent while it
 *   runs, is on the primary;
 * - errors: what remains of those, and foreign-key violations (a row deleted meanwhile), are CONFLICT; an
 *   unreachable or too slow database is SERVICE_UNAVAILABLE. Unique violations pass unchanged: callers
 *   name them.
 */
export async function runTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  const scope = currentRequestScope();
  for (let attempt = 1; ; attempt += 1) {
    assertBeforeDeadline(scope);
    let result: T;
    try {
      result = await dataSource.transaction(async (manager) => {
        openHooks(manager);
        await applyLimits(dataSource, manager, scope);
        const result = await work(manager);
        // Work that must commit with the change, written last (e.g. the domain events, in one statement).
        await runBeforeCommitHooks(manager);
        assertBeforeDeadline(scope);
        if (scope) scope.committed = true;
        return result;
      });
    } catch (error) {
      if (isRetryableTransactionFailure(error) && attempt < MAX_TRANSACTION_ATTEMPTS && remainingRequestTime(scope) > RETRY_BASE_DELAY_MS * 4) {
        retries += 1;
        logger.info({ attempt, code: sqlState(error) }, 'transaction retried after a deadlock or serialization failure');
        await pause(RETRY_BASE_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
        continue;
      }
      throw translate(error);
    }
    // With read replicas: the commit's WAL position, so its principal's next reads (from any instance)
    // wait for a replica that has replayed it, or go to the primary.
    await readRouterOf(dataSource)?.recordCommit();
    return result;
  }
}

function assertBeforeDeadline(scope: RequestScope | undefined): void {
  if (scope && (scope.timedOut || remainingRequestTime(scope) <= 0)) throw serviceUnavailable(UnavailableReason.TIMEOUT);
}

async function applyLimits(dataSource: DataSource, manager: EntityManager, scope: RequestScope | undefined): Promise<void> {
  const limits = databaseTimeouts(dataSource);
  const remaining = Math.ceil(remainingRequestTime(scope));
  if (!limits && !Number.isFinite(remaining)) return;
  const statement = Math.max(1, Math.min(limits?.statementTimeoutMs ?? Infinity, remaining));
  const lock = Math.min(limits?.lockTimeoutMs ?? Infinity, statement);
  const idle = limits?.idleInTransactionTimeoutMs ?? 0;
  await manager.query(TRANSACTION_LIMITS_SQL, [String(statement), String(lock), String(idle)]);
}

function translate(error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (isRetryableTransactionFailure(error)) {
    return conflict('The change collided with concurrent changes; retry', { reason: 'CONCURRENT_CHANGE' });
  }
  if (isForeignKeyViolation(error)) {
    return conflict('Something this change refers to was changed or deleted meanwhile; reload and retry', { reason: 'CONCURRENT_CHANGE' });
  }
  return unavailableFromDatabase(error) ?? error;
}

function pause(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
