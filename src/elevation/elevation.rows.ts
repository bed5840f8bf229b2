import { ElevationStatus } from './elevation.enums';
import type { ElevationRequestType } from './elevation.type';

/**
 * The columns of a request (`e`) with its requester's user (`rm`, a memberships join): a PENDING one
 * past pending_until reads EXPIRED at once, whether or not the sweeper stored it yet.
 */
export const ELEVATION_COLUMNS = `e.id, e.organisation_id, e.requester_membership_id, rm.user_id AS requester_user_id, e.role_id, e.hours, e.reason,
  CASE WHEN e.status = 'PENDING' AND e.pending_until <= now() THEN 'EXPIRED' ELSE e.status END AS status,
  e.pending_until, e.decided_by_membership_id, e.decided_at, e.comment, e.grant_expires_at, e.created_at`;

const REQUESTER_JOIN = 'JOIN memberships rm ON rm.id = e.requester_membership_id';

export const ELEVATION_FROM = `elevation_requests e ${REQUESTER_JOIN}`;

/** `write` (an INSERT or UPDATE of elevation_requests … RETURNING *) read back as ELEVATION_COLUMNS, in one statement. */
export const elevationWritten = (write: string) => `WITH e AS (${write}) SELECT ${ELEVATION_COLUMNS} FROM e ${REQUESTER_JOIN}`;

/** The stored or read-time status, as an SQL condition over `e` (the list filter). */
export function statusCondition(status: ElevationStatus): string {
  if (status === ElevationStatus.PENDING) return `(e.status = 'PENDING' AND e.pending_until > now())`;
  if (status === ElevationStatus.EXPIRED) return `(e.status = 'EXPIRED' OR (e.status = 'PENDING' AND e.pending_until <= now()))`;
  return `e.status = '${status}'`;
}

export function elevationFromRow(row: Record<string, any>): ElevationRequestType {
  const status = row.status as ElevationStatus;
  return {
    id: row.id,
    organisationId: row.organisation_id,
    requesterMembershipId: row.requester_membership_id,
    requesterUserId: row.requester_user_id,
    roleId: row.role_id,
    decidedByMembershipId: row.decided_by_membership_id,
    status,
    hours: row.hours,
    reason: row.reason,
    comment: row.comment,
    decidedAt: row.decided_at,
    expiresAt: status === ElevationStatus.APPROVED ? row.grant_expires_at : status === ElevationStatus.PENDING || (status === ElevationStatus.EXPIRED && row.decided_at === null) ? row.pending_until : null,
    createdAt: row.created_at,
  };
}
