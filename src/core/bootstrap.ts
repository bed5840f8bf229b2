import type { AddressInfo } from 'node:net';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { DataSource } from 'typeorm';
import { Authenticator } from './auth/authenticator';
import { DEV_AUDIENCE, DEV_ISSUER, DevIssuer } from './auth/dev-issuer';
import { RemoteKeySet } from './auth/remote-key-set';
import { TokenVerifier } from './auth/token-verifier';
import type { AppConfig } from './config';
import { createAppServices, type AppServices } from './context/app-services';
import { createDataSource } from './database/data-source';
import { databaseOptions } from './database/database-options';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { NotificationListener } from './database/notification-listener';
import { startReadReplicas, stopReadReplicas } from './database/read-replicas';
import { RoutedDataSource } from './database/routed-data-source';
import { SERVICE_KEYS_CHANNEL } from './pagination/cursor-codec';
import { buildAppSchema } from './graphql/build-schema';
import { createOutboxWorker } from '../invitations/outbox/create-outbox-worker';
import { EMAIL_OUTBOX_BACKLOG_SQL } from '../invitations/outbox/email-outbox';
import { registerOutboxBacklog } from './observability/database-metrics';
import { startObservability } from './observability/observability';
import { EventSweeper } from '../events/event-sweeper';
import { createWebhookWorker } from '../webhooks/create-webhook-worker';
import { ReviewCampaignSweeper } from '../campaigns/review-campaign.sweeper';
import { GrantExpirySweeper } from '../access/grant-expiry.sweeper';
import { OrganisationPurgeSweeper } from '../organisations/organisation-purge.sweeper';
import { WEBHOOK_BACKLOG_SQL } from '../webhooks/webhook-delivery-queue';
import { createApp } from './http/create-app';
import { logger } from './logger';
import { loadPermissionCatalogue } from './permissions/permission-catalogue';

export interface RunningService {
  url: string;
  port: number;
  services: AppServices;
  /** The port serving `/metrics` when METRICS_PORT is set; undefined: `/metrics` is on `port`. */
  metricsPort: number | undefined;
  /** Drains requests, closes the pool and the embedded database. */
  stop(): Promise<void>;
}

/** The database URL: DATABASE_URL, or an embedded PostgreSQL under the data folder. */
export async function resolveDatabase(config: AppConfig): Promise<{ url: string; stop(): Promise<void> }> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, stop: async () => undefined };
  return startEmbeddedPostgres(config.dataDir, config.EMBEDDED_POSTGRES_PORT);
}


/**
 * Applies pending migrations: given a URL, on a connection of their own without the service's statement
 * limits (a migration may run long).
 */
async function applyMigrations(target: DataSource | string): Promise<void> {
  const dataSource = typeof target === 'string' ? createDataSource(target, { poolSize: 1, timeouts: null, applicationName: 'access-subgraph-migrations' }) : target;
  try {
    if (!dataSource.isInitialized) await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) logger.info({ migrations: applied.map((migration) => migration.name) }, 'migrations applied');
  } finally {
    if (typeof target === 'string' && dataSource.isInitialized) await dataSource.destroy();
  }
}

/** The token verifier: the configured issuer, or the local development issuer (never in production). */
export async function createTokenVerifier(config: AppConfig): Promise<TokenVerifier> {
  if (!config.devIssuer) {
    return new TokenVerifier({
      issuer: config.AUTH_ISSUER as string,
      audience: config.AUTH_AUDIENCE as string,
      algorithms: config.AUTH_ALGORITHMS,
      clockToleranceSeconds: config.AUTH_CLOCK_TOLERANCE_SECONDS,
      keys: new RemoteKeySet({
        issuer: config.AUTH_ISSUER as string,
        jwksUrl: config.AUTH_JWKS_URL,
        cacheMaxAgeMs: config.AUTH_JWKS_CACHE_MAX_AGE_SECONDS * 1000,
        cooldownMs: config.AUTH_JWKS_COOLDOWN_SECONDS * 1000,
        maxStaleMs: config.AUTH_JWKS_MAX_STALE_SECONDS * 1000,
        timeoutMs: 5000,
      }).getKey,
    });
  }
  const devIssuer = await DevIssuer.open(config.dataDir);
  logger.warn({ issuer: DEV_ISSUER }, 'no AUTH_ISSUER: trusting the local development issuer (npm run token mints tokens)');
  return new TokenVerifier({
    issuer: DEV_ISSUER,
    audience: config.AUTH_AUDIENCE ?? DEV_AUDIENCE,
    algorithms: ['ES256'],
    clockToleranceSeconds: config.AUTH_CLOCK_TOLERANCE_SECONDS,
    keys: devIssuer.keySet(),
  });
}

/** Starts the whole service on `config.PORT` (0 picks a free port). */
export async function startService(config: AppConfig, options: { dataSource?: DataSource; spanExporter?: SpanExporter } = {}): Promise<RunningService> {
  const catalogue = loadPermissionCatalogue(config.PERMISSIONS_FILE);
  const database = options.dataSource ? { url: '', stop: async () => undefined } : await resolveDatabase(config);
  const dataSource = options.dataSource ?? createDataSource(database.url, databaseOptions(config));
  const ownsDataSource = !options.dataSource;
  try {
    if (config.MIGRATE_ON_START) await applyMigrations(options.dataSource ?? database.url);
    if (!dataSource.isInitialized) await dataSource.initialize();
  } catch (error) {
    if (ownsDataSource && dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    await database.stop();
    throw error;
  }
  // With DATABASE_REPLICA_URLS: queries read from replicas (before anything is served).
  const readRouter = dataSource instanceof RoutedDataSource ? await startReadReplicas(config, dataSource) : null;
  const services = createAppServices(config, dataSource, catalogue);
  // What instances keep in memory from the database is reloaded when another instance (or an operator)
  // changes it: the cursor key. LISTEN needs a connection of its own, not through a pooler.
  const listener = new NotificationListener(config.DATABASE_LISTEN_URL ?? (config.DATABASE_URL || database.url));
  listener.on(SERVICE_KEYS_CHANNEL, () => services.cursors.reload());
  listener.onReconnected(() => services.cursors.reload());
  await listener.start();
  const authenticator = new Authenticator(await createTokenVerifier(config), services.provisioning, config);
  const schema = await buildAppSchema();
  registerOutboxBacklog('email', EMAIL_OUTBOX_BACKLOG_SQL);
  registerOutboxBacklog('webhooks', WEBHOOK_BACKLOG_SQL);
  const observability = await startObservability(config, dataSource, options.spanExporter);
  const app = await createApp(services, schema, authenticator, observability.tracing);
  try {
    // A taken port is an 'error' event, not a callback: without this the start would hang or crash unexplained.
    await new Promise<void>((resolve, reject) => {
      app.httpServer.once('error', reject);
      app.httpServer.listen(config.PORT, () => {
        app.httpServer.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await app.stop().catch(() => undefined);
    await observability.stop();
    await listener.stop();
    if (dataSource instanceof RoutedDataSource) await stopReadReplicas(dataSource, readRouter);
    if (ownsDataSource && dataSource.isInitialized) await dataSource.destroy();
    await database.stop();
    throw new Error(`cannot listen on port ${config.PORT}: ${(error as Error).message}`);
  }
  const port = (app.httpServer.address() as AddressInfo).port;
  logger.info({ port }, `listening on http://localhost:${port}/graphql`);
  // Delivers the email outbox (invitations) every OUTBOX_POLL_INTERVAL_MS; 0 leaves it off.
  const outboxWorker = createOutboxWorker(config, dataSource);
  outboxWorker.start();
  // Delivers webhooks every WEBHOOK_POLL_INTERVAL_MS; announces expired invitations and deletes events past
  // EVENT_RETENTION_DAYS every EVENT_SWEEP_INTERVAL_MS. 0 leaves either off; safe with many instances.
  const webhookWorker = createWebhookWorker(config, dataSource, services.audit);
  webhookWorker.start();
  const eventSweeper = new EventSweeper(dataSource, { intervalMs: config.EVENT_SWEEP_INTERVAL_MS, retentionDays: config.EVENT_RETENTION_DAYS });
  eventSweeper.start();
  // Closes review campaigns past their due date (default decision, recurrence) every REVIEW_CAMPAIGN_SWEEP_INTERVAL_MS.
  const reviewCampaignSweeper = new ReviewCampaignSweeper(dataSource, services.reviewCampaignCloser, { intervalMs: config.REVIEW_CAMPAIGN_SWEEP_INTERVAL_MS });
  reviewCampaignSweeper.start();
  // Removes expired time-bound grants (they already count for nothing) and expires stale elevation
  // requests every GRANT_EXPIRY_SWEEP_INTERVAL_MS; safe with many instances.
  const grantExpirySweeper = new GrantExpirySweeper(dataSource, services.audit, { intervalMs: config.GRANT_EXPIRY_SWEEP_INTERVAL_MS });
  grantExpirySweeper.start();
  // Purges organisations deleted more than ORGANISATION_PURGE_DAYS ago, every ORGANISATION_PURGE_SWEEP_INTERVAL_MS.
  const organisationPurgeSweeper = new OrganisationPurgeSweeper(dataSource, services.audit, {
    purgeDays: config.ORGANISATION_PURGE_DAYS,
    intervalMs: config.ORGANISATION_PURGE_SWEEP_INTERVAL_MS,
  });
  organisationPurgeSweeper.start();
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    services,
    metricsPort: observability.metricsPort,
    async stop() {
      await outboxWorker.stop();
      await webhookWorker.stop();
      await eventSweeper.stop();
      await reviewCampaignSweeper.stop();
      await grantExpirySweeper.stop();
      await organisationPurgeSweeper.stop();
      await app.stop();
      await observability.stop();
      await listener.stop();
      if (dataSource instanceof RoutedDataSource) await stopReadReplicas(dataSource, readRouter);
      if (ownsDataSource && dataSource.isInitialized) await dataSource.destroy();
      await database.stop();
    },
  };
}
