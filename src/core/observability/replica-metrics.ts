import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from './metrics-registry';

/** Why a request's reads went where they went (the `reason` label; bounded). */
export type ReadRouteReason = 'replica' | 'mutation' | 'read-your-writes' | 'no-healthy-replica' | 'failover';

export interface ReplicaStatus {
  name: string;
  up: boolean;
  /** Bound on how far behind the primary it is; Infinity when unknown. */
  lagSeconds: number;
}

const routes = new Counter({
  name: 'db_read_routes_total',
  help: 'GraphQL requests by where their reads went (only with read replicas configured): target primary or replica, and why',
  labelNames: ['target', 'reason'] as const,
  registers: [metricsRegistry],
});

/** Counts one request's read route. */
export function recordReadRoute(reason: ReadRouteReason): void {
  routes.inc({ target: reason === 'replica' ? 'replica' : 'primary', reason });
}

// The process's replicas, read at scrape time (one service per process; tests start several in turn).
let replicaStatus: (() => ReplicaStatus[]) | undefined;

/** Reports replicas on `/metrics` (null: none any more). */
export function observeReplicas(status: (() => ReplicaStatus[]) | null): void {
  replicaStatus = status ?? undefined;
}

new Gauge({
  name: 'db_replica_up',
  help: 'Read replica in use: reachable, a standby, and not lagging more than DATABASE_REPLICA_MAX_LAG_MS (1) or skipped (0)',
  labelNames: ['replica'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const replica of replicaStatus?.() ?? []) this.set({ replica: replica.name }, replica.up ? 1 : 0);
  },
});

new Gauge({
  name: 'db_replica_lag_seconds',
  help: 'Bound on how far each read replica is behind the primary (absent while unknown)',
  labelNames: ['replica'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const replica of replicaStatus?.() ?? []) if (Number.isFinite(replica.lagSeconds)) this.set({ replica: replica.name }, replica.lagSeconds);
  },
});
