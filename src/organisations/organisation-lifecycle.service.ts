import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { runTransaction } from '../core/database/transaction';
import { conflict, notFound } from '../core/errors';
import { isId } from '../core/ids';
import { emitEvent } from '../events/event-emitter';
import type { DomainEventType } from '../events/event-types';
import { OrganisationEntity } from './organisation.entity';
import { OrganisationStatus } from './organisation-status';
import { mutationPermissions } from '../core/authz/mutation-permissions';

type Transition = 'suspend' | 'reactivate' | 'delete';

const TRANSITIONS: Record<Transition, { from: OrganisationStatus[]; to: OrganisationStatus; type: DomainEventType }> = {
  suspend: { from: [OrganisationStatus.ACTIVE], to: OrganisationStatus.SUSPENDED, type: 'organisation.suspended' },
  reactivate: { from: [OrganisationStatus.SUSPENDED, OrganisationStatus.DELETED], to: OrganisationStatus.ACTIVE, type: 'organisation.reactivated' },
  delete: { from: [OrganisationStatus.ACTIVE, OrganisationStatus.SUSPENDED], to: OrganisationStatus.DELETED, type: 'organisation.deleted' },
};

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Platform administrators suspend, reactivate and (softly) delete organisations. Each change runs under the
 * organisation's row lock (the lock every change to its Owners and the purge sweeper take), is idempotent
 * (asking for the status it already has changes nothing and records nothing), and is audited as a platform
 * action with its domain event. Members are refused by the access decision itself (`AccessSnapshot.refusal`).
 */
export class OrganisationLifecycleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly options: { purgeDays: number },
  ) {}

  suspend(ctx: RequestContext, id: string): Promise<OrganisationEntity> {
    return this.transition(ctx, id, 'suspend');
  }

  reactivate(ctx: RequestContext, id: string): Promise<OrganisationEntity> {
    return this.transition(ctx, id, 'reactivate');
  }

  /** Soft delete: reactivatable until the purge sweeper removes its contents, ORGANISATION_PURGE_DAYS later. */
  delete(ctx: RequestContext, id: string): Promise<OrganisationEntity> {
    return this.transition(ctx, id, 'delete');
  }

  private async transition(ctx: RequestContext, id: string, kind: Transition): Promise<OrganisationEntity> {
    await mutationPermissions[`${kind}Organisation`].authorize(ctx, { id });
    if (!isId(id)) throw notFound('Organisation');
    const rule = TRANSITIONS[kind];
    const saved = await runTransaction(this.dataSource, async (manager) => {
      const organisation = await manager.findOne(OrganisationEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!organisation) throw notFound('Organisation');
      const before = { status: organisation.status, suspendedAt: organisation.suspendedAt, deletedAt: organisation.deletedAt };
      if (organisation.status === rule.to) return organisation;
      if (!rule.from.includes(organisation.status)) {
        throw conflict(`Cannot ${kind} an organisation that is ${organisation.status}`, { status: organisation.status });
      }
      const now = new Date();
      organisation.status = rule.to;
      organisation.suspendedAt = rule.to === OrganisationStatus.SUSPENDED ? now : null;
      organisation.deletedAt = rule.to === OrganisationStatus.DELETED ? now : null;
      const updated = await manager.save(organisation);
      // A deleted organisation sends no more invitations (they could not be accepted).
      if (rule.to === OrganisationStatus.DELETED) {
        await manager.query(`UPDATE email_outbox SET status = 'SUPERSEDED' WHERE organisation_id = $1 AND status = 'PENDING'`, [id]);
      }
      const after = { status: updated.status, suspendedAt: updated.suspendedAt, deletedAt: updated.deletedAt };
      const purgeAfter = rule.to === OrganisationStatus.DELETED ? new Date(now.getTime() + this.options.purgeDays * DAY_MS) : null;
      const details = { platformAction: true, before, after, ...(purgeAfter ? { purgeAfter } : {}) };
      await this.audit.record(manager, ctx, { organisationId: id, action: rule.type, targetType: 'Organisation', targetId: id, details });
      emitEvent(manager, ctx, { organisationId: id, type: rule.type, objectId: id, data: { before, after, ...(purgeAfter ? { purgeAfter: purgeAfter.toISOString() } : {}) } });
      return updated;
    });
    ctx.invalidateAccess();
    ctx.loaders.organisationById.clear(id).prime(id, saved);
    return saved;
  }
}
