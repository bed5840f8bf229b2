import type { EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';

/**
 * Stores EXPIRED on an organisation's PENDING elevation requests past their bound (`filter` narrows them,
 * over $2…), each audited as `elevation.expired`; answers how many. One rule for the service (before a new
 * request of the same member and role) and the grant-expiry sweeper.
 */
export async function expireStaleElevationRequests(
  manager: EntityManager,
  audit: AuditService,
  ctx: RequestContext | null,
  organisationId: string,
  filter = '',
  parameters: unknown[] = [],
): Promise<number> {
  // As a CTE: TypeORM answers a bare UPDATE … RETURNING as [rows, count].
  const expired: { id: string; requester_membership_id: string; role_id: string }[] = await manager.query(
    `WITH x AS (UPDATE elevation_requests SET status = 'EXPIRED', updated_at = now()
       WHERE organisation_id = $1 AND status = 'PENDING' AND pending_until <= now() ${filter} RETURNING id, requester_membership_id, role_id)
     SELECT * FROM x`,
    [organisationId, ...parameters],
  );
  await audit.recordMany(
    manager,
    ctx,
    expired.map((row) => ({
      organisationId,
      action: 'elevation.expired',
      targetType: 'ElevationRequest',
      targetId: row.id,
      details: { requesterMembershipId: row.requester_membership_id, roleId: row.role_id },
      actorUserId: null,
    })),
  );
  return expired.length;
}
