import type { AppConfig } from '../config';
import { observeReplicas } from '../observability/replica-metrics';
import { createDataSource } from './data-source';
import { databaseOptions } from './database-options';
import { ReadRouter } from './read-router';
import { ReplicaEndpoint } from './replica-endpoint';
import type { RoutedDataSource } from './routed-data-source';

/** How a replica is named in logs and metrics: host, port and database, never credentials. */
export function replicaName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/**
 * Attaches a read router over DATABASE_REPLICA_URLS to `primary` and starts checking the replicas (each
 * with a pool like the primary's: DATABASE_POOL_SIZE and the DATABASE_*_TIMEOUT_MS limits). Null, and
 * nothing changed, without replicas. A replica down at start is retried by the checks.
 */
export async function startReadReplicas(config: AppConfig, primary: RoutedDataSource): Promise<ReadRouter | null> {
  if (config.DATABASE_REPLICA_URLS.length === 0) return null;
  const options = { ...databaseOptions(config), replica: true, applicationName: 'access-subgraph-replica-reads' };
  const replicas = config.DATABASE_REPLICA_URLS.map((url) => new ReplicaEndpoint(createDataSource(url, options), replicaName(url)));
  const router = new ReadRouter(primary, replicas, { maxLagMs: config.DATABASE_REPLICA_MAX_LAG_MS, checkIntervalMs: config.DATABASE_REPLICA_CHECK_INTERVAL_MS });
  await router.start();
  primary.readRouter = router;
  observeReplicas(() => router.status());
  return router;
}

/** Detaches and stops the router (its replica pools closed). */
export async function stopReadReplicas(primary: RoutedDataSource, router: ReadRouter | null): Promise<void> {
  if (!router) return;
  primary.readRouter = null;
  observeReplicas(null);
  await router.stop();
}
