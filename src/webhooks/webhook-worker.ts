import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import { OutboxLoop } from '../core/outbox/outbox-loop';
import { WebhookDeliveryQueue, type ClaimedDelivery, type DeliverySettings } from './webhook-delivery-queue';

export interface WebhookWorkerOptions extends Omit<DeliverySettings, 'timeoutMs' | 'backoffBaseMs' | 'backoffMaxMs' | 'jitter' | 'retryWindowMs'> {
  /** Pause between polls when nothing is due; 0: `start()` does nothing (tests drive `runOnce`). */
  pollIntervalMs: number;
  batchSize?: number;
  leaseMs?: number;
  timeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  jitter?: number;
  retryWindowMs?: number;
}

/** The numbers: 10 s per request, exponential backoff with jitter for 24 h. */
export const WEBHOOK_DEFAULTS = {
  batchSize: 50,
  // Well above the request timeout: a live worker's claim never runs out while it is sending.
  leaseMs: 60_000,
  timeoutMs: 10_000,
  backoffBaseMs: 10_000,
  backoffMaxMs: 3_600_000,
  jitter: 0.5,
  retryWindowMs: 24 * 3_600_000,
};

/**
 * Delivers webhooks on the shared outbox loop: at least once, in order per endpoint, from any number
 * of processes at once. One batch holds at most one delivery per endpoint, so a batch is sent
 * concurrently (a slow endpoint does not hold up the others beyond the batch).
 */
export class WebhookWorker extends OutboxLoop<ClaimedDelivery> {
  constructor(dataSource: DataSource, audit: AuditService, options: WebhookWorkerOptions) {
    const settings = { ...WEBHOOK_DEFAULTS, ...withoutUndefined(options) };
    super(new WebhookDeliveryQueue(dataSource, audit, settings), {
      pollIntervalMs: settings.pollIntervalMs,
      batchSize: settings.batchSize,
      leaseMs: settings.leaseMs,
      concurrent: true,
      // An endpoint's next event is due as soon as the one before it is delivered.
      untilEmpty: true,
    });
  }

  /** Aborts requests in flight (their deliveries are handed back to be sent again), then stops for good (not started again). */
  override async stop(): Promise<void> {
    (this.queue as WebhookDeliveryQueue).abortInFlight();
    await super.stop();
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as T;
}
