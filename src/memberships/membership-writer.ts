import type { EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { RoleEntity } from '../roles/role.entity';
import { insertMany } from '../core/database/bulk-insert';
import { MembershipStatus } from './membership-status';
import { MembershipEntity } from './membership.entity';
import { emitEvent } from '../events/event-emitter';

/** Creates memberships with roles, inside a caller's transaction; shared by every path that adds members. */
export class MembershipWriter {
  constructor(private readonly audit: AuditService) {}

  /**
   * Adds the user to the organisation with the built-in role `roleKey` (and any extra role ids), unless a
   * membership exists already (then it is returned untouched).
   */
  async join(
    manager: EntityManager,
    ctx: RequestContext | null,
    options: { organisationId: string; userId: string; builtInRole?: string; roleIds?: string[]; status: MembershipStatus; via: string; rolesExpireAt?: Date | null },
  ): Promise<{ membership: MembershipEntity; created: boolean }> {
    const existing = await manager.findOneBy(MembershipEntity, { organisationId: options.organisationId, userId: options.userId });
    if (existing) return { membership: existing, created: false };
    const membership = await manager.save(
      manager.create(MembershipEntity, { organisationId: options.organisationId, userId: options.userId, status: options.status }),
    );
    const roleIds = [...(options.roleIds ?? [])];
    if (options.builtInRole) {
      const role = await manager.findOneByOrFail(RoleEntity, { organisationId: options.organisationId, builtInKey: options.builtInRole });
      roleIds.push(role.id);
    }
    await insertMany(manager, 'membership_roles', [
      { name: 'membership_id', type: 'uuid', value: membership.id },
      { name: 'role_id', type: 'uuid', values: [...new Set(roleIds)] },
      { name: 'organisation_id', type: 'uuid', value: options.organisationId },
      { name: 'expires_at', type: 'timestamptz', value: options.rolesExpireAt ?? null },
    ]);
    await this.audit.record(manager, ctx, {
      organisationId: options.organisationId,
      action: 'member.joined',
      targetType: 'Membership',
      targetId: membership.id,
      details: { userId: options.userId, status: options.status, via: options.via, roleIds: [...new Set(roleIds)], ...(options.rolesExpireAt ? { rolesExpireAt: options.rolesExpireAt } : {}) },
      actorUserId: ctx?.userId ?? options.userId,
    });
    emitEvent(manager, ctx, {
      organisationId: options.organisationId,
      type: 'membership.created',
      objectId: membership.id,
      data: { membershipId: membership.id, userId: options.userId, status: options.status, via: options.via, roleIds: [...new Set(roleIds)] },
      actorUserId: ctx?.userId ?? options.userId,
    });
    return { membership, created: true };
  }
}
