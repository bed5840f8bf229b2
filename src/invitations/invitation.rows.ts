import { InvitationEntity } from './invitation.entity';

export const INVITATION_COLUMNS =
  'i.id, i.organisation_id, i.email, i.token_hash, i.status, i.expires_at, i.invited_by_id, i.accepted_at, i.accepted_by_id, i.cancelled_at, i.created_at, i.updated_at, i.role_expires_at';

/** An invitation from a raw SQL row selected with {@link INVITATION_COLUMNS}. */
export function invitationFromRow(row: Record<string, any>): InvitationEntity {
  return Object.assign(new InvitationEntity(), {
    id: row.id,
    organisationId: row.organisation_id,
    email: row.email,
    tokenHash: row.token_hash,
    status: row.status,
    expiresAt: row.expires_at,
    invitedById: row.invited_by_id,
    acceptedAt: row.accepted_at,
    acceptedById: row.accepted_by_id,
    cancelledAt: row.cancelled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    roleExpiresAt: row.role_expires_at ?? null,
  });
}
