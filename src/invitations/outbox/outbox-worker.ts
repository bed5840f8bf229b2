import type { DataSource } from 'typeorm';
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

export interface OutboxRunResult {
  sent: number;
  retried: number;
  failed: number;
}

const DEFAULTS = { batchSize: 20, backoffBaseMs: 30_000, backoffMaxMs: 3_600_000, leaseMs: 300_000 };

/** Exponential backoff: the delay before the next try after the `attempts`-th failed one. */
export function backoffDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

// Once an email left (or was given up), the accept token in its link is no longer needed at rest.
const SCRUBBED_BODY = `regexp_replace(body, '([?&#]token=)[A-Za-z0-9_-]+', '\\1[redacted]', 'g')`;

// Due PENDING rows, claimed by pushing their next attempt past a lease: a row another worker holds is
// skipped (SKIP LOCKED), and a row whose worker died becomes due again when the lease ends. (A final
// SELECT, so the driver answers rows, not an UPDATE's [rows, count].)
const CLAIM = `
  WITH due AS (
    SELECT id FROM email_outbox
    WHERE status = 'PENDING' AND next_attempt_at <= now()
    ORDER BY next_attempt_at, id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE email_outbox o SET next_attempt_at = now() + make_interval(secs => $2)
    FROM due WHERE o.id = due.id
    RETURNING o.id, o.organisation_id, o.to_address, o.subject, o.body, o.attempts, o.next_attempt_at, o.created_at
  )
  SELECT * FROM claimed ORDER BY created_at, id`;

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

/**
 * Delivers the email outbox: claims due PENDING rows (`FOR UPDATE SKIP LOCKED`, so many processes may
 * run one), sends each through the sender, marks it SENT, or records the failure and retries with
 * exponential backoff until `maxAttempts`, then marks it FAILED. Delivery is at least once.
 */
export class OutboxWorker {
  private readonly settings: Required<OutboxWorkerOptions>;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    readonly sender: OutboxSender,
    options: OutboxWorkerOptions,
  ) {
    this.settings = { ...DEFAULTS, ...options, maxAttempts: Math.max(1, options.maxAttempts) };
  }

  /** Starts polling (unless the poll interval is 0). */
  start(): void {
    if (this.settings.pollIntervalMs <= 0 || !this.stopped) return;
    this.stopped = false;
    this.stopping = false;
    this.schedule(0);
    logger.info({ sender: this.sender.name, pollIntervalMs: this.settings.pollIntervalMs }, 'email outbox worker started');
  }

  /** Stops polling and waits for the delivery in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await this.sender.close?.();
  }

  /** Claims and delivers what is due now, batch after batch, until nothing is. */
  async runOnce(): Promise<OutboxRunResult> {
    const total: OutboxRunResult = { sent: 0, retried: 0, failed: 0 };
    for (;;) {
      const claimed = await this.claim();
      for (const message of claimed) total[await this.deliver(message)] += 1;
      if (claimed.length < this.settings.batchSize || this.stopping) return total;
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) => logger.error({ err: error }, 'email outbox poll failed'))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.schedule(this.settings.pollIntervalMs);
        });
    }, delayMs);
    this.timer.unref(); // never keeps the process alive by itself
  }

  private async claim(): Promise<OutboxMessage[]> {
    const rows: Record<string, any>[] = await this.dataSource.query(CLAIM, [this.settings.batchSize, this.settings.leaseMs / 1000]);
    return rows.map((row) => ({
      id: row.id,
      organisationId: row.organisation_id,
      to: row.to_address,
      subject: row.subject,
      body: row.body,
      attempts: row.attempts,
    }));
  }

  private async deliver(message: OutboxMessage): Promise<keyof OutboxRunResult> {
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
}
