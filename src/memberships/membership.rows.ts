import { expiryDate, liveGrant } from '../access/grant-expiry';
import { ROLE_JSON_FIELDS, roleFromJson } from '../roles/role.rows';
import type { GrantedRole } from './membership.loaders';
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

/**
 * The direct roles of membership `m` still in force, each with its grant's expiry, as a JSON array (the
 * order and rows of the `rolesByMembershipId` loader), as a column of a statement that selects memberships:
 * a page brings its members' roles itself.
 */
// Each role by its key (roles_pkey) in a LATERAL kept apart with OFFSET 0: joined, the planner hashes the
// whole roles table once per member of the page (a seq scan per row: two thirds of the page's time at 1k).
export const DIRECT_ROLES_JSON = `(
  SELECT coalesce(json_agg(x.role ORDER BY x.name, x.id), '[]')
  FROM membership_roles l CROSS JOIN LATERAL (
    SELECT json_build_object(${ROLE_JSON_FIELDS}, 'grant_expires_at', l.expires_at) AS role, r.name, r.id
    FROM roles r WHERE r.id = l.role_id AND r.organisation_id = l.organisation_id OFFSET 0) x
  WHERE l.membership_id = m.id AND ${liveGrant('l')})`;

/** The roles of a {@link DIRECT_ROLES_JSON} column, as the `rolesByMembershipId` loader returns them. */
export function directRolesFromJson(json: (Parameters<typeof roleFromJson>[0] & { grant_expires_at: string | null })[]): GrantedRole[] {
  return json.map((row) => Object.assign(roleFromJson(row), { grantExpiresAt: expiryDate(row.grant_expires_at) }));
}
