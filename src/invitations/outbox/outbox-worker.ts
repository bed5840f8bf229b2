import type { DataSource } from 'typeorm';
import { backoffDelayMs } from '../../core/outbox/backoff';
import { leaseClaimSql } from '../../core/outbox/lease-claim';
import { OutboxLoop, type OutboxOutcome, type OutboxQueue, type OutboxRunResult } from '../../core/outbox/outbox-loop';
import { logger } from '../../core/logger';
import type { OutboxMessage, OutboxSender } from './outbox-sender';

export interface OutboxWorkerOptions {
  /** Pause between polls when nothing is due; 0: `start()` does nothing (tests drive `runOnce`). */
  pollIntervalMs: number;
  /** Deliveries tried before a message is marked FAILED. */
  maxAttempts: number;
  /** Messages claimed per statement. */
  batchSize?: number;
  /** Delay after the first failure; doubled after each further one. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How long a claimed message is hidden from other workers while it is being sent. */
  leaseMs?: number;
}

export type { OutboxRunResult };

const DEFAULTS = { batchSize: 20, backoffBaseMs: 30_000, backoffMaxMs: 3_600_000, leaseMs: 300_000 };

// Once an email left (or was given up), the accept token in its link is no longer needed at rest.
const SCRUBBED_BODY = `regexp_replace(body, '([?&#]token=)[A-Za-z0-9_-]+', '\\1[redacted]', 'g')`;

const CLAIM = `${leaseClaimSql({
  table: 'email_outbox',
  due: `status = 'PENDING' AND next_attempt_at <= now()`,
  order: 'next_attempt_at, id',
  returning: 't.id, t.organisation_id, t.to_address, t.subject, t.body, t.attempts, t.created_at',
})} ORDER BY created_at, id`;

const MARK_SENT = `
  UPDATE email_outbox SET status = 'SENT', sent_at = now(), attempts = attempts + 1, last_error = NULL, body = ${SCRUBBED_BODY}
  WHERE id = $1 AND status = 'PENDING'`;

const MARK_FAILED = `
  UPDATE email_outbox SET
    attempts = attempts + 1,
    last_error = $2,
    status = CASE WHEN attempts + 1 >= $3 THEN 'FAILED' ELSE 'PENDING' END,
    next_attempt_at = CASE WHEN attempts + 1 >= $3 THEN next_attempt_at ELSE now() + make_interval(secs => $4) END,
    body = CASE WHEN attempts + 1 >= $3 THEN ${SCRUBBED_BODY} ELSE body END
  WHERE id = $1 AND status = 'PENDING'`;

/** The email outbox as the shared outbox loop drives it. */
class EmailOutboxQueue implements OutboxQueue<OutboxMessage> {
  readonly name = 'email';

  constructor(
    private readonly dataSource: DataSource,
    readonly sender: OutboxSender,
    private readonly settings: { maxAttempts: number; backoffBaseMs: number; backoffMaxMs: number },
  ) {}

  async claim(limit: number, leaseMs: number): Promise<OutboxMessage[]> {
    const rows: Record<string, any>[] = await this.dataSource.query(CLAIM, [limit, leaseMs / 1000]);
    return rows.map((row) => ({
      id: row.id,
      organisationId: row.organisation_id,
      to: row.to_address,
      subject: row.subject,
      body: row.body,
      attempts: row.attempts,
    }));
  }

  async deliver(message: OutboxMessage): Promise<OutboxOutcome> {
    try {
      await this.sender.send(message);
    } catch (error) {
      const attempts = message.attempts + 1;
      const delayMs = backoffDelayMs(attempts, this.settings.backoffBaseMs, this.settings.backoffMaxMs);
      const reason = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
      await this.dataSource.query(MARK_FAILED, [message.id, reason, this.settings.maxAttempts, delayMs / 1000]);
      const givenUp = attempts >= this.settings.maxAttempts;
      logger.warn({ outboxId: message.id, attempts, givenUp, err: error }, givenUp ? 'email given up' : 'email delivery failed; will retry');
      return givenUp ? 'failed' : 'retried';
    }
    await this.dataSource.query(MARK_SENT, [message.id]);
    return 'sent';
  }

  close(): Promise<void> | void {
    return this.sender.close?.();
  }
}

/**
 * Delivers the email outbox on the shared outbox loop: claims due PENDING rows (leased, SKIP LOCKED, so
 * many processes may run one), sends each through the sender, marks it SENT, or records the failure and
 * retries with exponential backoff until `maxAttempts`, then marks it FAILED. Delivery is at least once.
 */
export class OutboxWorker extends OutboxLoop<OutboxMessage> {
  readonly sender: OutboxSender;

  constructor(dataSource: DataSource, sender: OutboxSender, options: OutboxWorkerOptions) {
    const settings = { ...DEFAULTS, ...options, maxAttempts: Math.max(1, options.maxAttempts) };
    super(new EmailOutboxQueue(dataSource, sender, settings), { pollIntervalMs: settings.pollIntervalMs, batchSize: settings.batchSize, leaseMs: settings.leaseMs });
    this.sender = sender;
  }
}
