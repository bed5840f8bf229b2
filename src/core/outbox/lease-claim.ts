/** What {@link leaseClaimSql} needs to know of an outbox table. */
export interface LeaseClaimShape {
  table: string;
  /** Which rows are due, over the table's own columns (re-checked on the row's latest version once locked). */
  due: string;
  /** Optional: SQL selecting the ids worth trying (e.g. the head of each queue); default every row. */
  candidates?: string;
  /** Order of the claim among due rows. */
  order: string;
  /** Columns of the claimed rows to answer, qualified with `t.`. */
  returning: string;
  /** The final SELECT over the CTE `claimed` (e.g. joining what delivery needs); default its rows. */
  answer?: string;
}

/**
 * One statement that claims due outbox rows for one worker: locks up to `$1` due rows, skipping rows
 * another worker holds (`FOR UPDATE SKIP LOCKED`), and pushes their `next_attempt_at` past a lease of
 * `$2` seconds. A claimed row is invisible to other workers until its lease ends; if its worker dies,
 * it becomes due again then (at-least-once). Extra parameters start at `$3`.
 */
export function leaseClaimSql(shape: LeaseClaimShape): string {
  const candidates = shape.candidates ? `id IN (${shape.candidates}) AND ` : '';
  // A final SELECT, so the driver answers rows, not an UPDATE's [rows, count].
  return `
    WITH due AS (
      SELECT id FROM ${shape.table}
      WHERE ${candidates}${shape.due}
      ORDER BY ${shape.order}
      LIMIT $1
      FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE ${shape.table} t SET next_attempt_at = now() + make_interval(secs => $2)
      FROM due WHERE t.id = due.id
      RETURNING ${shape.returning}
    )
    ${shape.answer ?? 'SELECT * FROM claimed'}`;
}
