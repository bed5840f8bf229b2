import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import { runTransaction } from '../core/database/transaction';
import { logger } from '../core/logger';
import { PeriodicTask } from '../core/outbox/periodic-task';
import { emitEvent } from '../events/event-emitter';

export interface OrganisationPurgeSweeperOptions {
  /** ORGANISATION_PURGE_DAYS: the grace period after deleteOrganisation. */
  purgeDays: number;
  /** ORGANISATION_PURGE_SWEEP_INTERVAL_MS; 0: never started (tests call runOnce). */
  intervalMs: number;
  /** Organisations looked at per round. */
  batchSize?: number;
}

/** What a purged organisation's row keeps: its id (the audit trail names it), nothing that identifies it. */
export const PURGED_ORGANISATION_NAME = 'Purged organisation';

const SELECT_DUE = `
  SELECT id FROM organisations
  WHERE status = 'DELETED' AND deleted_at <= now() - make_interval(days => $1)
  ORDER BY deleted_at, id LIMIT $2`;

// Every table whose rows belong to an organisation and go with it (a foreign key ON DELETE CASCADE to
// organisations): read from the catalog, so a table added later is purged too. audit_events is not among
// them (its key refuses deletion: the audit trail outlives the organisation), nor events (no key; below).
const CASCADING_TABLES = `
  SELECT c.conrelid::regclass::text AS table_name, quote_ident(a.attname) AS column_name
  FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
  WHERE c.contype = 'f' AND c.confrelid = 'organisations'::regclass AND c.confdeltype = 'c' AND cardinality(c.conkey) = 1
  ORDER BY 1`;

/**
 * Purges organisations deleted more than ORGANISATION_PURGE_DAYS ago. The organisations row cannot go (the
 * immutable audit log refers to it), so it is pseudonymised and marked PURGED; everything else of the
 * organisation is deleted: memberships, roles, teams, invitations, domains, webhooks, campaigns, outbox
 * emails, its domain events. Users stay (they are global; see eraseUser). Safe with several instances:
 * each organisation is purged in a transaction of its own that takes its row lock with SKIP LOCKED (one
 * busy elsewhere, another sweeper included, is left for the next round) and checks it is still due, so a
 * reactivation that commits first wins, and one that comes later finds it PURGED (CONFLICT).
 */
export class OrganisationPurgeSweeper {
  private readonly task: PeriodicTask;
  private readonly batchSize: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly options: OrganisationPurgeSweeperOptions,
  ) {
    this.batchSize = options.batchSize ?? 20;
    this.task = new PeriodicTask('organisation purge sweeper', options.intervalMs, () => this.runOnce());
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Purges what is due now; answers how many organisations it purged. */
  async runOnce(): Promise<number> {
    let purged = 0;
    for (;;) {
      const due: { id: string }[] = await this.dataSource.query(SELECT_DUE, [this.options.purgeDays, this.batchSize]);
      let progressed = 0;
      for (const { id } of due) {
        try {
          if (await this.purgeIfDue(id)) progressed += 1;
        } catch (error) {
          // One organisation's failure must not stop the others; it is tried again next round.
          logger.error({ err: error, organisationId: id }, 'purging a deleted organisation failed');
        }
      }
      purged += progressed;
      if (due.length < this.batchSize || progressed === 0) return purged;
    }
  }

  private purgeIfDue(organisationId: string): Promise<boolean> {
    return runTransaction(this.dataSource, async (manager) => {
      const locked = await manager.query(
        `SELECT id, deleted_at FROM organisations WHERE id = $1 AND status = 'DELETED' AND deleted_at <= now() - make_interval(days => $2) FOR UPDATE SKIP LOCKED`,
        [organisationId, this.options.purgeDays],
      );
      if (locked.length === 0) return false;
      const removed = await this.deleteContents(manager, organisationId);
      await manager.query(
        `UPDATE organisations SET status = 'PURGED', purged_at = now(), name = $2, slug = 'purged-' || id::text,
           allowed_email_domains = '{}', auto_join_domains = '{}', permission_boundary = NULL, require_mfa = false,
           require_approval = false, updated_at = now()
         WHERE id = $1`,
        [organisationId, PURGED_ORGANISATION_NAME],
      );
      const deletedAt = (locked[0].deleted_at as Date).toISOString();
      await this.audit.record(manager, null, {
        organisationId,
        action: 'organisation.purged',
        targetType: 'Organisation',
        targetId: organisationId,
        details: { platformAction: true, deletedAt, purgeDays: this.options.purgeDays, removed },
        actorUserId: null,
      });
      emitEvent(manager, null, { organisationId, type: 'organisation.purged', objectId: organisationId, data: { deletedAt }, actorUserId: null });
      return true;
    });
  }

  /** Rows deleted per table (cascades not counted). */
  private async deleteContents(manager: EntityManager, organisationId: string): Promise<Record<string, number>> {
    const tables: { table_name: string; column_name: string }[] = await manager.query(CASCADING_TABLES);
    const removed: Record<string, number> = {};
    for (const { table_name: table, column_name: column } of tables) {
      const [{ count }] = await manager.query(`WITH gone AS (DELETE FROM ${table} WHERE ${column} = $1 RETURNING 1) SELECT count(*)::int AS count FROM gone`, [organisationId]);
      if (count > 0) removed[table] = count;
    }
    // Its event feed (which names members and addresses), and its endpoints' deliveries (tables without a
    // key to organisations: see the DomainEvents and Webhooks migrations for why).
    for (const table of ['webhook_deliveries', 'events']) {
      const [{ count }] = await manager.query(`WITH gone AS (DELETE FROM ${table} WHERE organisation_id = $1 RETURNING 1) SELECT count(*)::int AS count FROM gone`, [organisationId]);
      if (count > 0) removed[table] = count;
    }
    return removed;
  }
}
