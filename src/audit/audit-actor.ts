import type { UserEntity } from '../users/user.entity';
import { userView, type UserView } from '../users/user.type';
import type { AuditEventView } from './audit-event.type';

/**
 * The actor of an audit event, as its reader sees them: marked as reached through the organisation's
 * audit log (audit:read there lets the reader see who acted, even a former member or a platform
 * administrator), and seen through the organisation as a member only while they still are one.
 */
export type AuditActorView = UserView & { seenInAuditOf: string };

export function auditActorView(user: UserEntity, event: AuditEventView): AuditActorView {
  const seenThrough = event.actorIsMember ? [{ organisationId: event.organisationId }] : [];
  return Object.assign(userView(user, seenThrough), { seenInAuditOf: event.organisationId });
}
