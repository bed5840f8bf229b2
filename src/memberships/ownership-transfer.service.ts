import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { AccessSnapshot } from '../access/access-snapshot';
import type { RequestContext } from '../core/context/request-context';
import { runTransaction } from '../core/database/transaction';
import { AppError, badInput, conflict, ErrorCode, forbidden, notFound, organisationRefused } from '../core/errors';
import { isId } from '../core/ids';
import { emitEvent, emitEvents } from '../events/event-emitter';
import { rolesChangedEvents } from '../events/event-payloads';
import { assertOwnerRemains, holdsOwner, lockOrganisation } from './last-owner-guard';
import { MembershipStatus } from './membership-status';
import { MembershipEntity } from './membership.entity';
import { mutationPermissions } from '../core/authz/mutation-permissions';

export interface OwnershipTransfer {
  /** The caller's membership: Owner taken away, Admin given (if not already held). */
  previousOwner: MembershipEntity;
  /** The recipient's membership, now holding Owner directly. */
  newOwner: MembershipEntity;
}

/**
 * The refusal for a caller who is not an Owner here, in the order every rule answers: the organisation
 * suspended or deleted (FORBIDDEN with its reason), MFA_REQUIRED, FORBIDDEN for other active members,
 * NOT_FOUND for everyone else (another organisation looks like none). null: the caller is an Owner.
 */
export function ownerRefusal(snapshot: AccessSnapshot): AppError | null {
  if (snapshot.owner) return null;
  if (snapshot.refusal) return organisationRefused(snapshot.refusal);
  if (snapshot.mfaRequired) return new AppError(ErrorCode.MFA_REQUIRED);
  if (snapshot.active) return forbidden('Only an Owner transfers ownership');
  return notFound('Organisation');
}

/**
 * `transferOwnership`: an Owner hands the Owner role to another active member. The caller **loses** Owner
 * (the direct role) and **keeps Admin** (granted if they did not hold it), so the organisation has exactly
 * the Owners it had, one replaced. Under the organisation's row lock (as every change to Owners), the caller
 * is checked again: of two transfers racing from the same Owner the second finds the caller no longer an
 * Owner (FORBIDDEN) and writes nothing; the last-Owner invariant is asserted before commit.
 */
export class OwnershipTransferService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async transfer(ctx: RequestContext, organisationId: string, toMembershipId: string): Promise<OwnershipTransfer> {
    const principal = ctx.requirePrincipal();
    await mutationPermissions.transferOwnership.authorize(ctx, { organisationId, toMembershipId });
    if (!isId(toMembershipId)) throw notFound('Membership');
    const result = await runTransaction(this.dataSource, async (manager) => {
      await lockOrganisation(manager, organisationId);
      const from = await manager.findOneBy(MembershipEntity, { organisationId, userId: principal.user.id });
      const to = await manager.findOneBy(MembershipEntity, { id: toMembershipId, organisationId });
      if (!to) throw notFound('Membership');
      if (!from || from.status !== MembershipStatus.ACTIVE) throw forbidden('Only an Owner transfers ownership');
      if (to.id === from.id) throw badInput('toMembershipId is your own membership: name another member', { field: 'toMembershipId' });
      if (to.status !== MembershipStatus.ACTIVE) throw conflict(`The recipient is ${to.status}: only an active member can become Owner`, { status: to.status });
      const roles: { key: string; id: string }[] = await manager.query(
        `SELECT built_in_key AS key, id FROM roles WHERE organisation_id = $1 AND built_in_key IN ('owner', 'admin')`,
        [organisationId],
      );
      const ownerRoleId = roles.find((role) => role.key === 'owner')?.id as string;
      const adminRoleId = roles.find((role) => role.key === 'admin')?.id as string;
      const before = await this.directRoles(manager, [from.id, to.id]);
      // Re-checked under the lock: a concurrent transfer (or role change) may have taken Owner away already.
      if (!(before.get(from.id) ?? []).includes(ownerRoleId)) {
        if (await holdsOwner(manager, from.id)) {
          throw conflict('You hold Owner through a team, not directly: change the team\'s roles, or assign Owner with assignRoles', { field: 'organisationId' });
        }
        throw forbidden('Only an Owner transfers ownership');
      }
      if (await holdsOwner(manager, to.id)) throw conflict('The recipient is already an Owner', { field: 'toMembershipId' });
      await manager.query('DELETE FROM membership_roles WHERE membership_id = $1 AND role_id = $2', [from.id, ownerRoleId]);
      // Both for good: a time-bound Admin grant the caller held becomes permanent.
      await manager.query(
        `INSERT INTO membership_roles (membership_id, role_id, organisation_id)
         VALUES ($1, $2, $4), ($3, $5, $4)
         ON CONFLICT (membership_id, role_id, organisation_id) DO UPDATE SET expires_at = NULL`,
        [from.id, adminRoleId, to.id, organisationId, ownerRoleId],
      );
      await assertOwnerRemains(manager, organisationId);
      const after = await this.directRoles(manager, [from.id, to.id]);
      const details = { fromMembershipId: from.id, fromUserId: from.userId, toMembershipId: to.id, toUserId: to.userId, callerKeeps: 'Admin' };
      const roleIds = (id: string) => ({ before: before.get(id) ?? [], after: after.get(id) ?? [] });
      await this.audit.record(manager, ctx, {
        organisationId,
        action: 'organisation.ownership-transferred',
        targetType: 'Membership',
        targetId: to.id,
        details: { ...details, fromRoleIds: roleIds(from.id), toRoleIds: roleIds(to.id) },
      });
      emitEvent(manager, ctx, { organisationId, type: 'organisation.ownership_transferred', objectId: organisationId, data: details });
      emitEvents(
        manager,
        ctx,
        rolesChangedEvents(
          organisationId,
          [from, to].map((membership) => ({ membershipId: membership.id, userId: membership.userId, before: before.get(membership.id) ?? [], after: after.get(membership.id) ?? [] })),
        ),
      );
      return { previousOwner: from, newOwner: to };
    });
    ctx.invalidateAccess();
    ctx.loaders.membershipById.clear(result.previousOwner.id).clear(result.newOwner.id);
    return result;
  }

  private async directRoles(manager: { query(sql: string, parameters?: unknown[]): Promise<any> }, membershipIds: string[]): Promise<Map<string, string[]>> {
    const rows: { membership_id: string; role_ids: string[] }[] = await manager.query(
      'SELECT membership_id, array_agg(role_id ORDER BY role_id) AS role_ids FROM membership_roles WHERE membership_id = ANY($1::uuid[]) GROUP BY membership_id',
      [membershipIds],
    );
    return new Map(rows.map((row) => [row.membership_id, row.role_ids]));
  }
}
