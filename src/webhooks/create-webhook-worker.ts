import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { AppConfig } from '../core/config';
import { SecretSealer } from './webhook-secret';
import type { UrlPolicy } from './webhook-url-policy';
import { WebhookWorker } from './webhook-worker';

type WebhookConfig = Pick<AppConfig, 'NODE_ENV' | 'WEBHOOK_ALLOW_PRIVATE_NETWORKS' | 'WEBHOOK_SECRET_KEY' | 'WEBHOOK_POLL_INTERVAL_MS'>;

/** Where webhooks may go: public addresses over https in production; anything where private networks are allowed. */
export function webhookUrlPolicy(config: WebhookConfig): UrlPolicy {
  const allowPrivateNetworks = config.WEBHOOK_ALLOW_PRIVATE_NETWORKS;
  return { allowPrivateNetworks, requireHttps: config.NODE_ENV === 'production' && !allowPrivateNetworks };
}

export function webhookSecretSealer(config: WebhookConfig): SecretSealer {
  return new SecretSealer(config.WEBHOOK_SECRET_KEY);
}

/** The process's webhook worker, polling every WEBHOOK_POLL_INTERVAL_MS (0: never started). */
export function createWebhookWorker(config: WebhookConfig, dataSource: DataSource, audit: AuditService): WebhookWorker {
  return new WebhookWorker(dataSource, audit, {
    pollIntervalMs: config.WEBHOOK_POLL_INTERVAL_MS,
    policy: webhookUrlPolicy(config),
    sealer: webhookSecretSealer(config),
  });
}
