import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { conflict, forbidden, notFound } from '../core/errors';
import { assertOwnerRemains, holdsOwner, lockOrganisation } from './last-owner-guard';
import { MembershipStatus } from './membership-status';
import { MembershipEntity } from './membership.entity';
import { runTransaction } from '../core/database/transaction';
import { emitEvent } from '../events/event-emitter';
import { mutationPermissions } from '../core/authz/mutation-permissions';

const EVENT_TYPES = { approve: 'membership.approved', deactivate: 'membership.deactivated', reactivate: 'membership.reactivated' } as const;

type Transition = 'approve' | 'deactivate' | 'reactivate';

const TRANSITIONS: Record<Transition, { from: MembershipStatus[]; to: MembershipStatus; action: string }> = {
  approve: { from: [MembershipStatus.PENDING_APPROVAL], to: MembershipStatus.ACTIVE, action: 'member.approved' },
  deactivate: { from: [MembershipStatus.ACTIVE, MembershipStatus.PENDING_APPROVAL], to: MembershipStatus.DEACTIVATED, action: 'member.deactivated' },
  reactivate: { from: [MembershipStatus.DEACTIVATED], to: MembershipStatus.ACTIVE, action: 'member.reactivated' },
};

const REFUSALS: Partial<Record<Transition, Partial<Record<MembershipStatus, string>>>> = {
  approve: { [MembershipStatus.DEACTIVATED]: 'A deactivated member is reactivated, not approved' },
  reactivate: { [MembershipStatus.PENDING_APPROVAL]: 'A pending member is approved, not reactivated' },
};

/** Approve, deactivate, reactivate and remove members (members:manage), keeping an active Owner. */
export class MembershipLifecycleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  approve(ctx: RequestContext, membershipId: string) {
    return this.transition(ctx, membershipId, 'approve');
  }

  deactivate(ctx: RequestContext, membershipId: string) {
    return this.transition(ctx, membershipId, 'deactivate');
  }

  reactivate(ctx: RequestContext, membershipId: string) {
    return this.transition(ctx, membershipId, 'reactivate');
  }

  /** Removes the membership and its team places; the User stays. */
  async remove(ctx: RequestContext, membershipId: string): Promise<boolean> {
    const target = await this.findManageable(ctx, membershipId, 'removeMember');
    await runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, target.organisationId);
      const current = await this.reload(manager, target);
      await this.assertMayActOnOwner(ctx, manager, current);
      await manager.delete(MembershipEntity, { id: current.id, organisationId: current.organisationId });
      await assertOwnerRemains(manager, current.organisationId);
      await this.audit.record(manager, ctx, { organisationId: current.organisationId, action: 'member.removed', targetType: 'Membership', targetId: current.id, details: { userId: current.userId } });
      emitEvent(manager, ctx, { organisationId: current.organisationId, type: 'membership.removed', objectId: current.id, data: { membershipId: current.id, userId: current.userId, status: current.status } });
    });
    ctx.invalidateAccess();
    ctx.loaders.membershipById.clear(membershipId);
    return true;
  }

  private async transition(ctx: RequestContext, membershipId: string, kind: Transition): Promise<MembershipEntity> {
    const target = await this.findManageable(ctx, membershipId, `${kind}Member`);
    const rule = TRANSITIONS[kind];
    const saved = await runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, target.organisationId);
      const current = await this.reload(manager, target);
      if (current.status === rule.to) return current; // idempotent: asking again changes nothing
      if (!rule.from.includes(current.status)) {
        throw conflict(REFUSALS[kind]?.[current.status] ?? `Cannot ${kind} a member who is ${current.status}`);
      }
      if (kind === 'deactivate') await this.assertMayActOnOwner(ctx, manager, current);
      const before = current.status;
      current.status = rule.to;
      current.deactivatedAt = rule.to === MembershipStatus.DEACTIVATED ? new Date() : null;
      const updated = await manager.save(current);
      if (kind === 'deactivate') await assertOwnerRemains(manager, current.organisationId);
      await this.audit.record(manager, ctx, { organisationId: current.organisationId, action: rule.action, targetType: 'Membership', targetId: current.id, details: { userId: current.userId, from: before, to: rule.to } });
      emitEvent(manager, ctx, { organisationId: current.organisationId, type: EVENT_TYPES[kind], objectId: current.id, data: { membershipId: current.id, userId: current.userId, before: { status: before }, after: { status: rule.to } } });
      return updated;
    });
    ctx.invalidateAccess();
    ctx.loaders.membershipById.clear(membershipId).prime(membershipId, saved);
    return saved;
  }

  /** The membership, authorized by the mutation's declaration (src/core/authz/mutation-permissions.ts). */
  private async findManageable(ctx: RequestContext, membershipId: string, mutation: 'approveMember' | 'deactivateMember' | 'reactivateMember' | 'removeMember'): Promise<MembershipEntity> {
    return (await mutationPermissions[mutation].authorize(ctx, { membershipId })).object;
  }

  private async reload(manager: EntityManager, target: MembershipEntity): Promise<MembershipEntity> {
    const current = await manager.findOneBy(MembershipEntity, { id: target.id, organisationId: target.organisationId });
    if (!current) throw notFound('Membership');
    return current;
  }

  /** Only an Owner may take an Owner's access away (no escalation through removal). */
  private async assertMayActOnOwner(ctx: RequestContext, manager: EntityManager, target: MembershipEntity): Promise<void> {
    if (!(await holdsOwner(manager, target.id))) return;
    const snapshot = await ctx.access(target.organisationId);
    if (!snapshot.owner) throw forbidden('Only an Owner may deactivate or remove an Owner');
  }
}
