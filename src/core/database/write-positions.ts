import type { DataSource } from 'typeorm';
import { onPrimary } from './read-preference';
import { formatLsn, parseLsn, type Lsn } from './lsn';

// Each user's last write (migration ScaleOut): GREATEST, so a late-arriving older position never moves it back.
const STORE = `
  INSERT INTO user_write_positions AS p (user_id, lsn) VALUES ($1, COALESCE($2::pg_lsn, pg_current_wal_insert_lsn()))
  ON CONFLICT (user_id) DO UPDATE SET lsn = GREATEST(p.lsn, EXCLUDED.lsn), written_at = now()
  RETURNING lsn::text AS lsn`;
const READ = 'SELECT lsn::text AS lsn FROM user_write_positions WHERE user_id = $1';
// The insert position: past every record already inserted, a COMMIT's included, whatever
// synchronous_commit says (the write position of pg_current_wal_lsn() may trail an asynchronous commit).
const CURRENT = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';

/**
 * Stores `userId`'s last write position on the primary: `lsn`, or (null) the primary's WAL insert
 * position now, which, read after a COMMIT returned, is past that commit's record. Answers the stored
 * position.
 */
export async function storeWritePosition(primary: DataSource, userId: string, lsn: Lsn | null): Promise<Lsn> {
  const [row] = await onPrimary(() => primary.query(STORE, [userId, lsn === null ? null : formatLsn(lsn)]));
  return parseLsn(row.lsn) as Lsn;
}

/** `userId`'s last write position, or null when it never wrote (or the primary restarted after a crash). */
export async function readWritePosition(primary: DataSource, userId: string): Promise<Lsn | null> {
  const rows: { lsn: string }[] = await onPrimary(() => primary.query(READ, [userId]));
  return rows.length === 0 ? null : parseLsn(rows[0].lsn);
}

/** The primary's WAL position now. */
export async function currentWalPosition(primary: DataSource): Promise<Lsn> {
  const [row] = await onPrimary(() => primary.query(CURRENT));
  return parseLsn(row.lsn) as Lsn;
}
