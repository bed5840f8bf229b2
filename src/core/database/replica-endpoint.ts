import type { DataSource } from 'typeorm';
import { logger } from '../logger';
import { parseLsn, type Lsn } from './lsn';

const PROBE = 'SELECT pg_is_in_recovery() AS recovering, pg_last_wal_replay_lsn()::text AS replayed';
const REPLAYED = 'SELECT pg_last_wal_replay_lsn()::text AS replayed';

/**
 * One read replica: its pool, and what this process last learned of it. Its circuit breaker opens on the
 * first failure (a statement that could not be served, or a failed probe) and closes only when a probe
 * succeeds, so requests never pay for finding out whether it is back.
 *
 * What is kept is not the truth of anything: `replayed` is a lower bound of the replica's replayed WAL
 * position (it only grows), so a stale value can only send a read to the primary, never serve a stale one.
 */
export class ReplicaEndpoint {
  private up = false;
  private replayedLsn: Lsn | null = null;
  private downSince: number | null = null;

  constructor(
    readonly dataSource: DataSource,
    /** For logs and metrics: host, port and database, never credentials. */
    readonly name: string,
  ) {}

  /** Reachable, a standby, and its pool ready (lag is the router's business). */
  get healthy(): boolean {
    return this.up;
  }

  /** A lower bound of the WAL position the replica has replayed; null until first seen. */
  get replayed(): Lsn | null {
    return this.replayedLsn;
  }

  /** The background check: opens or closes the breaker. */
  async probe(): Promise<void> {
    try {
      if (!this.dataSource.isInitialized) await this.dataSource.initialize();
      const [row] = await this.dataSource.query(PROBE);
      if (!row.recovering) {
        // Promoted (a failover): it no longer follows the primary the service writes to.
        this.markDown('not in recovery: no longer a replica of the primary');
        return;
      }
      this.noteReplayed(parseLsn(row.replayed));
      if (!this.up) logger.info({ replica: this.name, downForMs: this.downSince ? Date.now() - this.downSince : undefined }, 'read replica in use');
      this.up = true;
      this.downSince = null;
    } catch (error) {
      this.markDown(error);
    }
  }

  /**
   * Whether the replica has replayed `lsn`: from what is known, else asked once (one statement on the
   * replica). A replica that cannot answer has not.
   */
  async hasReplayed(lsn: Lsn): Promise<boolean> {
    if (this.replayedLsn !== null && this.replayedLsn >= lsn) return true;
    try {
      const [row] = await this.dataSource.query(REPLAYED);
      this.noteReplayed(parseLsn(row.replayed));
    } catch (error) {
      this.markDown(error);
      return false;
    }
    return this.replayedLsn !== null && this.replayedLsn >= lsn;
  }

  /** Opens the breaker (logged once per outage). */
  markDown(reason: unknown): void {
    if (this.up || this.downSince === null) {
      logger.warn({ replica: this.name, err: reason instanceof Error ? reason : undefined, reason: reason instanceof Error ? undefined : reason }, 'read replica out of use');
      this.downSince = Date.now();
    }
    this.up = false;
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private noteReplayed(lsn: Lsn | null): void {
    if (lsn !== null && (this.replayedLsn === null || lsn > this.replayedLsn)) this.replayedLsn = lsn;
  }
}
