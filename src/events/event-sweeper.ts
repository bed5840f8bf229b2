import type { DataSource } from 'typeorm';
import { runTransaction } from '../core/database/transaction';
import { PeriodicTask } from '../core/outbox/periodic-task';
import { emitEvents } from './event-emitter';

export interface EventSweeperOptions {
  /** EVENT_SWEEP_INTERVAL_MS; 0: never started (tests call runOnce). */
  intervalMs: number;
  /** EVENT_RETENTION_DAYS. */
  retentionDays: number;
  batchSize?: number;
}

// Pending invitations whose expiry passed and was not announced yet, claimed (SKIP LOCKED: another
// instance's sweeper takes others) and marked announced in the transaction that publishes them.
const ANNOUNCE_EXPIRED = `
  WITH due AS (
    SELECT id FROM invitations
    WHERE status = 'PENDING' AND expires_at <= now() AND expiry_announced_for IS DISTINCT FROM expires_at
    ORDER BY expires_at LIMIT $1
    FOR UPDATE SKIP LOCKED
  ), announced AS (
    UPDATE invitations i SET expiry_announced_for = i.expires_at FROM due WHERE i.id = due.id
    RETURNING i.id, i.organisation_id, i.email, i.expires_at
  )
  SELECT * FROM announced ORDER BY expires_at, id`;

// Oldest first, a batch at a time (their webhook deliveries go with them). SKIP LOCKED: sweepers of
// other instances delete other batches instead of waiting for (or deadlocking with) this one.
const DELETE_EXPIRED_EVENTS = `
  WITH old AS (SELECT id FROM events WHERE time < now() - make_interval(days => $1) ORDER BY time LIMIT $2 FOR UPDATE SKIP LOCKED),
  deleted AS (DELETE FROM events e USING old WHERE e.id = old.id RETURNING e.id)
  SELECT count(*)::int AS count FROM deleted`;

/**
 * Background housekeeping of the event feed: publishes `invitation.expired` once per expiry (nothing
 * else notices an invitation running out), and deletes events older than the retention period.
 */
export class EventSweeper {
  private readonly task: PeriodicTask;
  private readonly batchSize: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: EventSweeperOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.task = new PeriodicTask('event sweeper', options.intervalMs, () => this.runOnce());
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  async runOnce(): Promise<{ expiredInvitations: number; deletedEvents: number }> {
    return { expiredInvitations: await this.announceExpiredInvitations(), deletedEvents: await this.deleteExpiredEvents() };
  }

  /** One `invitation.expired` per invitation and expiry, however many sweepers run. */
  async announceExpiredInvitations(): Promise<number> {
    let total = 0;
    for (;;) {
      const announced = await runTransaction(this.dataSource, async (manager) => {
        const rows: { id: string; organisation_id: string; email: string; expires_at: Date }[] = await manager.query(ANNOUNCE_EXPIRED, [this.batchSize]);
        emitEvents(
          manager,
          null,
          rows.map((row) => ({
            organisationId: row.organisation_id,
            type: 'invitation.expired' as const,
            objectId: row.id,
            data: { invitationId: row.id, email: row.email, expiresAt: row.expires_at.toISOString() },
            actorUserId: null,
          })),
        );
        return rows.length;
      });
      total += announced;
      if (announced < this.batchSize) return total;
    }
  }

  async deleteExpiredEvents(): Promise<number> {
    let total = 0;
    for (;;) {
      const [{ count }] = await this.dataSource.query(DELETE_EXPIRED_EVENTS, [this.options.retentionDays, this.batchSize]);
      total += count;
      if (count < this.batchSize) return total;
    }
  }
}
