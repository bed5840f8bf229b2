import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import { runTransaction } from '../core/database/transaction';
import { logger } from '../core/logger';
import { backoffDelayMs } from '../core/outbox/backoff';
import { leaseClaimSql } from '../core/outbox/lease-claim';
import type { OutboxOutcome, OutboxQueue } from '../core/outbox/outbox-loop';
import { eventFromRow, toCloudEvent, type StoredEvent } from '../events/cloud-event';
import { emitEvent } from '../events/event-emitter';
import { postWebhook, type PostResult } from './webhook-http';
import type { SecretSealer } from './webhook-secret';
import { signatureHeaders } from './webhook-signature';
import type { UrlPolicy } from './webhook-url-policy';

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  /** The endpoint's organisation (null: platform-wide). */
  organisationId: string | null;
  attempt: number;
  firstAttemptedAt: Date | null;
  url: string;
  secrets: { current: string; previous: string | null };
  includeEmails: boolean;
  event: StoredEvent;
}

export interface DeliverySettings {
  policy: UrlPolicy;
  sealer: SecretSealer;
  /** The whole exchange with the receiver. */
  timeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Share of each backoff delay that is randomised. */
  jitter: number;
  /** How long an event is retried (from its first attempt) before it is given up and the endpoint disabled. */
  retryWindowMs: number;
}

/**
 * Each enabled endpoint's queue is its PENDING rows in `position` order; only the head of a queue is
 * due (if its time has come), so an endpoint's next event waits until the one before it was delivered
 * or given up. Heads are claimed with a lease (SKIP LOCKED), so many workers share the endpoints and
 * never send one row twice at once; a claimed head stays the head (its lease is its next_attempt_at),
 * which keeps the endpoint waiting while it is in flight.
 */
const CLAIM = leaseClaimSql({
  table: 'webhook_deliveries',
  candidates: `
    SELECT h.id FROM webhook_endpoints w
    CROSS JOIN LATERAL (
      SELECT q.id, q.next_attempt_at FROM webhook_deliveries q
      WHERE q.endpoint_id = w.id AND q.status = 'PENDING' ORDER BY q.position LIMIT 1
    ) h
    WHERE w.enabled AND h.next_attempt_at <= now()`,
  due: `status = 'PENDING' AND next_attempt_at <= now()`,
  order: 'next_attempt_at, position',
  returning: 't.id, t.endpoint_id, t.event_id, t.organisation_id, t.attempt, t.first_attempted_at',
  answer: `
    SELECT c.id, c.endpoint_id, c.organisation_id, c.attempt, c.first_attempted_at,
           w.url, w.secret, w.include_emails, CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END AS previous_secret,
           e.id AS event_id, e.organisation_id AS event_organisation_id, e.sequence::text AS sequence, e.type, e.subject, e.data, e.time
    FROM claimed c JOIN webhook_endpoints w ON w.id = c.endpoint_id JOIN events e ON e.id = c.event_id`,
});

const OUTCOME = `status = $2, response_status = $3, duration_ms = $4, error = $5, attempted_at = $6, first_attempted_at = coalesce(first_attempted_at, $6)`;

const MARK_SUCCEEDED = `UPDATE webhook_deliveries SET ${OUTCOME}, next_attempt_at = NULL WHERE id = $1 AND status = 'PENDING'`;

// The failed attempt keeps when the next one is due; the next one is a new PENDING row in the same place.
const MARK_FAILED_AND_RETRY = `
  WITH failed AS (
    UPDATE webhook_deliveries SET ${OUTCOME}, next_attempt_at = now() + make_interval(secs => $7)
    WHERE id = $1 AND status = 'PENDING'
    RETURNING endpoint_id, event_id, organisation_id, position, attempt, first_attempted_at, next_attempt_at
  )
  INSERT INTO webhook_deliveries (endpoint_id, event_id, organisation_id, position, attempt, first_attempted_at, next_attempt_at)
  SELECT endpoint_id, event_id, organisation_id, position, attempt + 1, first_attempted_at, next_attempt_at FROM failed`;

// (UPDATE … RETURNING in a CTE with a final SELECT: the driver then answers rows, not [rows, count].)
const MARK_GIVEN_UP = `
  WITH given_up AS (UPDATE webhook_deliveries SET ${OUTCOME}, next_attempt_at = NULL WHERE id = $1 AND status = 'PENDING' RETURNING first_attempted_at)
  SELECT * FROM given_up`;

const DISABLE_ENDPOINT = `
  WITH disabled AS (UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1 AND enabled RETURNING id)
  SELECT * FROM disabled`;

// A worker that stops hands its claim back at once instead of letting the lease run out.
const RELEASE = `UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1 AND status = 'PENDING'`;

const USER_AGENT = 'access-subgraph-webhooks/1.0';

/** Webhook deliveries as the shared outbox loop drives them. */
export class WebhookDeliveryQueue implements OutboxQueue<ClaimedDelivery> {
  readonly name = 'webhook';
  private readonly stopping = new AbortController();

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly settings: DeliverySettings,
  ) {}

  async claim(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const rows: Record<string, any>[] = await this.dataSource.query(CLAIM, [limit, leaseMs / 1000]);
    return rows.map((row) => ({
      id: row.id,
      endpointId: row.endpoint_id,
      organisationId: row.organisation_id,
      attempt: row.attempt,
      firstAttemptedAt: row.first_attempted_at,
      url: row.url,
      secrets: { current: row.secret, previous: row.previous_secret },
      includeEmails: row.include_emails,
      event: eventFromRow({ ...row, id: row.event_id, organisation_id: row.event_organisation_id }),
    }));
  }

  async deliver(delivery: ClaimedDelivery): Promise<OutboxOutcome> {
    const attemptedAt = new Date();
    const result = await this.send(delivery, attemptedAt);
    if (result.error && this.stopping.signal.aborted) {
      await this.dataSource.query(RELEASE, [delivery.id]);
      return 'retried';
    }
    const outcome = [result.status, result.durationMs, result.error?.slice(0, 1000) ?? null, attemptedAt];
    if (!result.error) {
      await this.dataSource.query(MARK_SUCCEEDED, [delivery.id, 'SUCCEEDED', ...outcome]);
      return 'sent';
    }
    const delayMs = backoffDelayMs(delivery.attempt, this.settings.backoffBaseMs, this.settings.backoffMaxMs, this.settings.jitter);
    const failingSince = delivery.firstAttemptedAt ?? attemptedAt;
    if (attemptedAt.getTime() + delayMs - failingSince.getTime() > this.settings.retryWindowMs) {
      await this.giveUp(delivery, outcome, result);
      return 'failed';
    }
    await this.dataSource.query(MARK_FAILED_AND_RETRY, [delivery.id, 'FAILED', ...outcome, delayMs / 1000]);
    logger.debug({ deliveryId: delivery.id, endpointId: delivery.endpointId, attempt: delivery.attempt, error: result.error }, 'webhook delivery failed; will retry');
    return 'retried';
  }

  /** Aborts the requests in flight (their claims are handed back) when the worker stops for good. */
  abortInFlight(): void {
    this.stopping.abort();
  }

  private async send(delivery: ClaimedDelivery, attemptedAt: Date): Promise<PostResult> {
    let secrets: string[];
    try {
      secrets = [delivery.secrets.current, delivery.secrets.previous].filter((sealed): sealed is string => sealed !== null).map((sealed) => this.settings.sealer.unseal(sealed));
    } catch (error) {
      return { status: null, durationMs: 0, error: `cannot sign: ${(error as Error).message}` };
    }
    const body = JSON.stringify(toCloudEvent(delivery.event, delivery.includeEmails));
    const headers = {
      'content-type': 'application/cloudevents+json; charset=utf-8',
      'user-agent': USER_AGENT,
      ...signatureHeaders(delivery.event.id, attemptedAt, body, secrets),
    };
    return postWebhook(delivery.url, body, headers, { timeoutMs: this.settings.timeoutMs, policy: this.settings.policy, signal: this.stopping.signal });
  }

  /**
   * The event was retried for the whole window: this attempt is the last, and the endpoint is disabled
   * (audited, and announced by a webhook_endpoint.disabled event). Its other deliveries wait, and go
   * when someone enables it again.
   */
  private async giveUp(delivery: ClaimedDelivery, outcome: unknown[], result: PostResult): Promise<void> {
    await runTransaction(this.dataSource, async (manager) => {
      const [failed] = await manager.query(MARK_GIVEN_UP, [delivery.id, 'FAILED', ...outcome]);
      if (!failed) return; // another worker settled it meanwhile
      const reason = `Deliveries failed for ${Math.round(this.settings.retryWindowMs / 3_600_000)} h (last: ${result.error})`.slice(0, 1000);
      const [disabled] = await manager.query(DISABLE_ENDPOINT, [delivery.endpointId, reason]);
      if (!disabled) return;
      const details = { endpointId: delivery.endpointId, reason, eventId: delivery.event.id, responseStatus: result.status, failingSince: (failed.first_attempted_at as Date).toISOString() };
      await this.audit.record(manager, null, { organisationId: delivery.organisationId, action: 'webhook.endpoint-disabled', targetType: 'WebhookEndpoint', targetId: delivery.endpointId, details });
      emitEvent(manager, null, { organisationId: delivery.organisationId, type: 'webhook_endpoint.disabled', objectId: delivery.endpointId, data: details, actorUserId: null });
    });
    logger.warn({ deliveryId: delivery.id, endpointId: delivery.endpointId, error: result.error }, 'webhook given up; endpoint disabled');
  }
}

/** The deliveries still to make and the age of the oldest (the `outbox_backlog_messages{outbox="webhooks"}` gauges). */
export const WEBHOOK_BACKLOG_SQL = `
  SELECT count(*)::int AS backlog, extract(epoch FROM now() - min(d.created_at))::float8 AS oldest_age_seconds
  FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
  WHERE d.status = 'PENDING' AND w.enabled`;
