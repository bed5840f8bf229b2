import { MembershipEntity } from './membership.entity';

export const MEMBERSHIP_COLUMNS =
  'm.id, m.organisation_id, m.user_id, m.status, m.joined_at, m.deactivated_at, m.created_at, m.updated_at';

export function membershipFromRow(row: Record<string, any>): MembershipEntity {
  return Object.assign(new MembershipEntity(), {
    id: row.id,
    organisationId: row.organisation_id,
    userId: row.user_id,
    status: row.status,
    joinedAt: row.joined_at,
    deactivatedAt: row.deactivated_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}
