import fs from 'node:fs';
import type { Client } from 'pg';
import { processCpuMs, procStat } from './server-process';

/** What PostgreSQL did for one server's role between a reset and a read. */
export interface StatementStats {
  /** Statements other than transaction control. */
  calls: number;
  /** BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE. */
  transactionControl: number;
  /** Execution time of every statement, ms (planning not included: pg_stat_statements.track_planning is off). */
  execMs: number;
  sharedBlocks: number;
}

const TRANSACTION_CONTROL = String.raw`^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|SAVEPOINT|RELEASE)\b`;

/** Makes pg_stat_statements readable from the connected database (the library is loaded at start). */
export async function enableStatements(client: Client): Promise<void> {
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
}

/** Forgets every statement's figures (all roles). */
export async function resetStatements(client: Client): Promise<void> {
  await client.query('SELECT pg_stat_statements_reset()');
}

/** Figures of the statements run by `role` since the last reset. */
export async function readStatements(client: Client, role: string): Promise<StatementStats> {
  const { rows } = await client.query(
    `SELECT coalesce(sum(calls) FILTER (WHERE query !~* $2), 0)::float8 AS calls,
            coalesce(sum(calls) FILTER (WHERE query ~* $2), 0)::float8 AS transaction_control,
            coalesce(sum(total_exec_time), 0)::float8 AS exec_ms,
            coalesce(sum(shared_blks_hit + shared_blks_read), 0)::float8 AS shared_blocks
     FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = $1`,
    [role, TRANSACTION_CONTROL],
  );
  const [row] = rows;
  return { calls: row.calls, transactionControl: row.transaction_control, execMs: row.exec_ms, sharedBlocks: row.shared_blocks };
}

/** The statements `role` ran since the last reset, most time first: calls, ms in all, text (first 160 characters). */
export async function listStatements(client: Client, role: string): Promise<{ calls: number; execMs: number; query: string }[]> {
  const { rows } = await client.query(
    `SELECT calls::int, total_exec_time::float8 AS exec_ms, regexp_replace(left(query, 400), '\\s+', ' ', 'g') AS query
     FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = $1 ORDER BY total_exec_time DESC`,
    [role],
  );
  return rows.map((row) => ({ calls: row.calls, execMs: row.exec_ms, query: String(row.query).slice(0, 160) }));
}

/** True while `role` has a statement running (requests abandoned at the end of a run finish in the background). */
export async function roleBusy(client: Client, role: string): Promise<boolean> {
  const { rows } = await client.query(`SELECT count(*)::int AS active FROM pg_stat_activity WHERE usename = $1 AND state = 'active'`, [role]);
  return rows[0].active > 0;
}

/**
 * CPU time (ms) of the whole PostgreSQL instance, from /proc: the postmaster, every live process it started
 * (backends, background workers), and the ones that have exited (the postmaster's cutime/cstime), so that
 * pools closing idle connections do not make it go down.
 */
export function postgresCpuMs(postmasterPid: number): number {
  let total = processCpuMs(postmasterPid, true);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(procStat(Number(entry))[1]) === postmasterPid) total += processCpuMs(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}
