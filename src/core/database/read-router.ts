import type { DataSource } from 'typeorm';
import { currentRequestScope } from '../context/request-scope';
import { logger } from '../logger';
import { recordReadRoute, type ReadRouteReason, type ReplicaStatus } from '../observability/replica-metrics';
import { PeriodicTask } from '../outbox/periodic-task';
import { laterLsn, type Lsn } from './lsn';
import { currentReadPreference } from './read-preference';
import type { ReplicaEndpoint } from './replica-endpoint';
import { currentWalPosition, readWritePosition, storeWritePosition } from './write-positions';

/** Where one request reads (kept in its scope: nothing of it outlives the request). */
export interface RequestReads {
  /** True once the operation is known and the route below is final. */
  settled?: boolean;
  /** The replica the request's reads go to; null: the primary. Meaningful once settled. */
  replica?: ReplicaEndpoint | null;
  /** Chosen for reads before the operation is known (authentication's), kept when the route allows. */
  candidate?: ReplicaEndpoint | null;
  /** The signed-in user, whose writes the request must see. */
  principalId?: string;
  /** WAL position of this request's last commit, and whether it is stored for its principal yet. */
  writePosition?: Lsn;
  writeStored?: boolean;
}

export interface ReadRouterOptions {
  /** DATABASE_REPLICA_MAX_LAG_MS: a replica further behind is skipped. */
  maxLagMs: number;
  /** DATABASE_REPLICA_CHECK_INTERVAL_MS: how often the replicas and the primary's position are checked. */
  checkIntervalMs: number;
}

// After a write whose position could not be recorded: read the primary for the rest of the request.
const UNKNOWN_POSITION = 2n ** 64n - 1n;

/**
 * Routes reads between the primary and its streaming replicas. A query request reads from ONE replica
 * throughout (a consistent view), chosen round-robin among the healthy ones that are close enough to the
 * primary; a mutation reads and writes on the primary. Read-your-writes: each commit's WAL position is
 * stored for its user on the primary (`user_write_positions`), and that user's queries read the primary
 * until the chosen replica has replayed it (`pg_last_wal_replay_lsn()`), so it holds across instances.
 *
 * In process memory only observations that can be wrong safely: each replica's health and a lower bound
 * of its replay position, and the primary's recent positions (for the lag bound).
 */
export class ReadRouter {
  private next = 0;
  /** The primary's WAL position over the last checks, oldest first: a replica's lag is measured against it. */
  private readonly samples: { at: number; lsn: Lsn }[] = [];
  private readonly task: PeriodicTask;

  constructor(
    private readonly primary: DataSource,
    readonly replicas: readonly ReplicaEndpoint[],
    private readonly options: ReadRouterOptions,
  ) {
    this.task = new PeriodicTask('read replica check', options.checkIntervalMs, () => this.check());
  }

  /** Checks the replicas now and then every interval (until then, reads go to the primary). */
  async start(): Promise<void> {
    await this.check();
    this.task.start();
  }

  async stop(): Promise<void> {
    await this.task.stop();
    await Promise.all(this.replicas.map((replica) => replica.close()));
  }

  /** One check: the primary's position, then every replica's health and replay position. */
  async check(): Promise<void> {
    try {
      const lsn = await currentWalPosition(this.primary);
      this.samples.push({ at: Date.now(), lsn });
    } catch (error) {
      // No new sample: the replicas' lag bound grows until they are skipped (bounded staleness).
      logger.debug({ err: error }, 'primary WAL position not read');
    }
    const horizon = Date.now() - 2 * this.options.maxLagMs - this.options.checkIntervalMs;
    while (this.samples.length > 1 && this.samples[0].at < horizon) this.samples.shift();
    await Promise.all(this.replicas.map((replica) => replica.probe()));
  }

  /**
   * How far behind `replica` may be, in ms: the time since the primary was last seen at a position the
   * replica has replayed (Infinity when it never was, or nothing is known).
   */
  lagMs(replica: ReplicaEndpoint): number {
    const replayed = replica.replayed;
    if (replayed === null || this.samples.length === 0) return Infinity;
    for (let index = this.samples.length - 1; index >= 0; index -= 1) {
      if (this.samples[index].lsn <= replayed) return Date.now() - this.samples[index].at;
    }
    return Infinity;
  }

  usable(replica: ReplicaEndpoint): boolean {
    return replica.healthy && this.lagMs(replica) <= this.options.maxLagMs;
  }

  /** The next usable replica, round-robin; null when none is. */
  pick(): ReplicaEndpoint | null {
    for (let tried = 0; tried < this.replicas.length; tried += 1) {
      const replica = this.replicas[this.next++ % this.replicas.length];
      if (this.usable(replica)) return replica;
    }
    return null;
  }

  /** Where a statement about to be sent reads: a replica, or null for the primary. */
  replicaForRead(): ReplicaEndpoint | null {
    const preference = currentReadPreference();
    if (preference === 'primary') return null;
    // Outside a request (workers, start-up, the CLI): the primary.
    const scope = currentRequestScope();
    if (!scope) return null;
    const reads = (scope.reads ??= {});
    if (reads.settled) return reads.replica ?? null;
    // Before the operation is known only reads that tolerate lag may use a replica (sign-in's user lookup).
    if (preference !== 'replica') return null;
    if (reads.candidate === undefined) reads.candidate = this.pick();
    return reads.candidate;
  }

  /**
   * Decides the request's route once its operation is known: a mutation reads the primary; a query reads
   * its replica unless the caller wrote something the replica has not replayed yet. Never throws: a
   * failure to decide reads the primary.
   */
  async settle(operation: string | undefined, principalId: string | undefined): Promise<void> {
    const scope = currentRequestScope();
    if (!scope) return;
    const reads = (scope.reads ??= {});
    if (reads.settled) return;
    reads.principalId = principalId;
    let route: ReplicaEndpoint | null = null;
    let reason: ReadRouteReason = 'mutation';
    try {
      await this.storePendingWrite(reads);
      if (operation === 'query') [route, reason] = await this.routeQuery(reads);
    } catch (error) {
      logger.warn({ err: error }, 'read route not decided; reading the primary');
      reason = 'no-healthy-replica';
    }
    reads.replica = route;
    reads.settled = true;
    recordReadRoute(reason);
  }

  /** After a COMMIT of this request (runTransaction): its principal's reads must see it from now on. */
  async recordCommit(): Promise<void> {
    const scope = currentRequestScope();
    if (!scope) return;
    const reads = (scope.reads ??= {});
    try {
      if (reads.principalId) {
        reads.writePosition = await storeWritePosition(this.primary, reads.principalId, null);
        reads.writeStored = true;
      } else {
        // Before the principal is known (sign-in provisioning): kept until settle() knows whose it is.
        reads.writePosition = await currentWalPosition(this.primary);
        reads.writeStored = false;
      }
    } catch (error) {
      logger.warn({ err: error }, 'write position not recorded; this request reads the primary');
      reads.writePosition = UNKNOWN_POSITION;
    }
    // A query request that wrote (rare) reads what it wrote for the rest of the request.
    if (reads.settled && reads.replica) reads.replica = null;
  }

  /** A statement the request's replica could not serve: the replica is out, the request reads the primary. */
  replicaFailed(replica: ReplicaEndpoint, error: unknown): void {
    replica.markDown(error);
    const reads = currentRequestScope()?.reads;
    if (reads?.replica === replica) {
      reads.replica = null;
      recordReadRoute('failover');
    }
    if (reads?.candidate === replica) reads.candidate = null;
  }

  /** Each replica as `/metrics` reports it. */
  status(): ReplicaStatus[] {
    return this.replicas.map((replica) => ({ name: replica.name, up: this.usable(replica), lagSeconds: this.lagMs(replica) / 1000 }));
  }

  private async storePendingWrite(reads: RequestReads): Promise<void> {
    if (reads.writePosition === undefined || reads.writeStored || !reads.principalId || reads.writePosition === UNKNOWN_POSITION) return;
    await storeWritePosition(this.primary, reads.principalId, reads.writePosition);
    reads.writeStored = true;
  }

  private async routeQuery(reads: RequestReads): Promise<[ReplicaEndpoint | null, ReadRouteReason]> {
    const replica = reads.candidate && this.usable(reads.candidate) ? reads.candidate : this.pick();
    if (!replica) return [null, 'no-healthy-replica'];
    let needed = reads.writePosition ?? null;
    if (reads.principalId) needed = laterLsn(needed, await this.lastWriteOf(reads.principalId));
    if (needed !== null && !(await replica.hasReplayed(needed))) return [null, 'read-your-writes'];
    return [replica, 'replica'];
  }

  /** The caller's last write; when the primary cannot say, none (replicas keep serving while it is down). */
  private async lastWriteOf(principalId: string): Promise<Lsn | null> {
    try {
      return await readWritePosition(this.primary, principalId);
    } catch (error) {
      logger.warn({ err: error }, 'last write position unreadable; reading a replica');
      return null;
    }
  }
}
