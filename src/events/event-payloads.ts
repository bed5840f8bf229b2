import type { HolderChange } from '../access/role-change-holders';
import type { DomainEvent } from './event-emitter';

/** A member's effective-permission change, as role events carry it (only members whose permissions change). */
export interface MemberPermissionDelta {
  membershipId: string;
  userId: string;
  gained: string[];
  lost: string[];
}

export function memberPermissionDeltas(holders: { changes: HolderChange[] }): MemberPermissionDelta[] {
  return holders.changes
    .filter((change) => change.gained.length > 0 || change.lost.length > 0)
    .map((change) => ({ membershipId: change.membership.id, userId: change.user.id, gained: change.gained, lost: change.lost }));
}

/** A member's direct roles before and after a change. */
export interface RoleSetChange {
  membershipId: string;
  userId: string | null;
  before: readonly string[];
  after: readonly string[];
}

/** One `membership.roles_changed` per member whose direct roles actually changed (bulk writes included). */
export function rolesChangedEvents(organisationId: string, changes: readonly RoleSetChange[]): DomainEvent[] {
  const events: DomainEvent[] = [];
  for (const change of changes) {
    const before = [...new Set(change.before)].sort();
    const after = [...new Set(change.after)].sort();
    const added = after.filter((id) => !before.includes(id));
    const removed = before.filter((id) => !after.includes(id));
    if (added.length === 0 && removed.length === 0) continue;
    events.push({
      organisationId,
      type: 'membership.roles_changed',
      objectId: change.membershipId,
      data: { membershipId: change.membershipId, userId: change.userId, before: { roleIds: before }, after: { roleIds: after }, added, removed },
    });
  }
  return events;
}
