import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import { runTransaction } from '../core/database/transaction';
import { logger } from '../core/logger';
import { PeriodicTask } from '../core/outbox/periodic-task';
import { expireStaleElevationRequests } from '../elevation/elevation-expiry';
import { emitEvents } from '../events/event-emitter';
import { expiredGrant } from './grant-expiry';
import { rolesChangedEvents } from '../events/event-payloads';

export interface GrantExpirySweeperOptions {
  /** GRANT_EXPIRY_SWEEP_INTERVAL_MS; 0: never started (tests call runOnce). */
  intervalMs: number;
  /** Organisations looked at per round. */
  batchSize?: number;
}

// Organisations with something to sweep: an expired direct grant or team place, or an elevation request
// left PENDING past its bound. Served by the partial indexes on expires_at and pending_until.
const SELECT_DUE = `
  SELECT organisation_id FROM membership_roles WHERE ${expiredGrant('membership_roles')}
  UNION
  SELECT organisation_id FROM team_members WHERE ${expiredGrant('team_members')}
  UNION
  SELECT organisation_id FROM elevation_requests WHERE status = 'PENDING' AND pending_until <= now()
  LIMIT $1`;

/**
 * Removes time-bound grants after they expired. The evaluator and every statement reading grants
 * ignore an expired grant already (grant-expiry.ts), so this only tidies up and tells: one
 * `member.role_expired` audit event per grant removed, `membership.roles_changed` per member whose
 * direct roles changed and `team.member_removed` per team place; it also marks elevation requests
 * left PENDING past their bound as EXPIRED (`elevation.expired`). Safe with several instances: each
 * organisation is swept in a transaction of its own that takes its lock with SKIP LOCKED (an
 * organisation busy elsewhere, another sweeper included, is left for the next round), and the DELETEs
 * answer only what they removed, so each grant is announced once.
 */
export class GrantExpirySweeper {
  private readonly task: PeriodicTask;
  private readonly batchSize: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    options: GrantExpirySweeperOptions,
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.task = new PeriodicTask('grant expiry sweeper', options.intervalMs, () => this.runOnce());
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Sweeps what has expired by now; answers how many grants (and requests) it removed or expired. */
  async runOnce(): Promise<number> {
    let swept = 0;
    for (;;) {
      const due: { organisation_id: string }[] = await this.dataSource.query(SELECT_DUE, [this.batchSize]);
      let progressed = 0;
      for (const { organisation_id: organisationId } of due) {
        try {
          const count = await runTransaction(this.dataSource, (manager) => this.sweepOrganisation(manager, organisationId));
          if (count > 0) progressed += 1;
          swept += count;
        } catch (error) {
          // One organisation's failure must not stop the others; it is tried again next round.
          logger.error({ err: error, organisationId }, 'sweeping expired grants failed');
        }
      }
      if (due.length < this.batchSize || progressed === 0) return swept;
    }
  }

  private async sweepOrganisation(manager: EntityManager, organisationId: string): Promise<number> {
    const locked = await manager.query('SELECT id FROM organisations WHERE id = $1 FOR UPDATE SKIP LOCKED', [organisationId]);
    if (locked.length === 0) return 0;
    const roles: { membership_id: string; role_id: string; expires_at: Date; user_id: string; role_ids: string[] }[] = await manager.query(
      // As a CTE: TypeORM answers a bare DELETE … RETURNING as [rows, count]. role_ids: the member's direct roles before.
      `WITH removed AS (DELETE FROM membership_roles WHERE organisation_id = $1 AND ${expiredGrant('membership_roles')}
         RETURNING membership_id, role_id, expires_at)
       SELECT r.*, m.user_id,
         ARRAY(SELECT l.role_id FROM membership_roles l WHERE l.membership_id = r.membership_id) AS role_ids -- the DELETE's snapshot: before
       FROM removed r JOIN memberships m ON m.id = r.membership_id`,
      [organisationId],
    );
    const places: { team_id: string; membership_id: string; role: string; expires_at: Date; user_id: string }[] = await manager.query(
      `WITH removed AS (DELETE FROM team_members WHERE organisation_id = $1 AND ${expiredGrant('team_members')}
         RETURNING team_id, membership_id, role, expires_at)
       SELECT r.*, m.user_id FROM removed r JOIN memberships m ON m.id = r.membership_id`,
      [organisationId],
    );
    await this.audit.recordMany(manager, null, [
      ...roles.map((row) => ({
        organisationId,
        action: 'member.role_expired',
        targetType: 'Membership',
        targetId: row.membership_id,
        details: { roleId: row.role_id, expiresAt: row.expires_at, userId: row.user_id },
        actorUserId: null,
      })),
      ...places.map((row) => ({
        organisationId,
        action: 'member.role_expired',
        targetType: 'Membership',
        targetId: row.membership_id,
        details: { teamId: row.team_id, place: row.role, expiresAt: row.expires_at, userId: row.user_id },
        actorUserId: null,
      })),
    ]);
    // role_ids was read in the DELETE's own snapshot: the member's direct roles before it.
    const byMember = new Map<string, { userId: string; before: string[]; removed: string[] }>();
    for (const row of roles) {
      const entry = byMember.get(row.membership_id) ?? { userId: row.user_id, before: row.role_ids, removed: [] };
      entry.removed.push(row.role_id);
      byMember.set(row.membership_id, entry);
    }
    emitEvents(manager, null, [
      ...rolesChangedEvents(
        organisationId,
        [...byMember].map(([membershipId, entry]) => ({
          membershipId,
          userId: entry.userId,
          before: entry.before,
          after: entry.before.filter((roleId) => !entry.removed.includes(roleId)),
        })),
      ),
      ...places.map((row) => ({
        organisationId,
        type: 'team.member_removed' as const,
        objectId: row.team_id,
        data: { teamId: row.team_id, membershipId: row.membership_id, role: row.role, reason: 'expired' },
      })),
    ]);
    const requests = await expireStaleElevationRequests(manager, this.audit, null, organisationId);
    return roles.length + places.length + requests;
  }
}
