import type { Pool } from 'pg';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { logger } from '../logger';
import { metricsRegistry } from './metrics-registry';
import { pgPoolOf } from './pg-pool';

/** The data source whose pool and outboxes are reported (one service per process; tests start several in turn). */
let observed: DataSource | undefined;

const poolOf = (): Pool | undefined => (observed ? pgPoolOf(observed) : undefined);

function poolGauge(name: string, help: string, read: (pool: Pool) => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [metricsRegistry],
    collect() {
      const pool = poolOf();
      if (pool) this.set(read(pool));
    },
  });
}

poolGauge('db_pool_total_connections', 'Connections the database pool holds (idle and in use)', (pool) => pool.totalCount);
poolGauge('db_pool_idle_connections', 'Idle connections in the database pool', (pool) => pool.idleCount);
poolGauge('db_pool_waiting_requests', 'Callers waiting for a connection of the database pool', (pool) => pool.waitingCount);

// ---------------------------------------------------------------------------------------------
// Outbox backlogs: a registry of named queries, run when Prometheus scrapes (never per request).

const backlogQueries = new Map<string, string>();
const BACKLOG_TIMEOUT_MS = 2_000;

/**
 * Reports an outbox on `/metrics`: `sql` answers one row with `backlog` (messages waiting) and
 * `oldest_age_seconds` (age of the oldest waiting one, null when none). Registering a name again
 * replaces its query.
 */
export function registerOutboxBacklog(name: string, sql: string): void {
  backlogQueries.set(name, sql);
}

const backlogGauge = new Gauge({
  name: 'outbox_backlog_messages',
  help: 'Messages waiting in each outbox',
  labelNames: ['outbox'] as const,
  registers: [metricsRegistry],
  collect: () => refreshBacklogs(),
});
const oldestGauge = new Gauge({
  name: 'outbox_oldest_message_age_seconds',
  help: 'Age of the oldest message waiting in each outbox (0 when empty)',
  labelNames: ['outbox'] as const,
  registers: [metricsRegistry],
  collect: () => refreshBacklogs(),
});

// prom-client collects every metric of a scrape at once: both gauges share one run of the queries.
let running: Promise<void> | undefined;

function refreshBacklogs(): Promise<void> {
  const dataSource = observed?.isInitialized ? observed : undefined;
  if (!dataSource) return Promise.resolve();
  running ??= Promise.all([...backlogQueries].map(([name, sql]) => refreshBacklog(dataSource, name, sql))).then(() => {
    running = undefined;
  });
  return running;
}

async function refreshBacklog(dataSource: DataSource, name: string, sql: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${BACKLOG_TIMEOUT_MS} ms`)), BACKLOG_TIMEOUT_MS);
    });
    const [row] = (await Promise.race([dataSource.query(sql), timeout])) as { backlog: number | string; oldest_age_seconds: number | string | null }[];
    backlogGauge.set({ outbox: name }, Number(row?.backlog ?? 0));
    oldestGauge.set({ outbox: name }, Number(row?.oldest_age_seconds ?? 0));
  } catch (error) {
    // No stale figure: the series disappears until the query answers again.
    backlogGauge.remove({ outbox: name });
    oldestGauge.remove({ outbox: name });
    logger.warn({ err: error, outbox: name }, 'outbox backlog not measured');
  } finally {
    clearTimeout(timer);
  }
}

/** Reports this data source's pool and outboxes from now on; the returned function stops that. */
export function observeDatabase(dataSource: DataSource): () => void {
  observed = dataSource;
  return () => {
    if (observed === dataSource) observed = undefined;
  };
}
