import { expiryDate, liveGrant } from '../access/grant-expiry';
import { TeamMemberEntity } from './team-member.entity';
import { TeamEntity } from './team.entity';

export const TEAM_COLUMNS = 't.id, t.organisation_id, t.name, t.description, t.created_at, t.updated_at';

export function teamFromRow(row: Record<string, any>, prefix = ''): TeamEntity {
  return Object.assign(new TeamEntity(), {
    id: row[`${prefix}id`],
    organisationId: row[`${prefix}organisation_id`],
    name: row[`${prefix}name`],
    description: row[`${prefix}description`],
    createdAt: row[`${prefix}created_at`],
    updatedAt: row[`${prefix}updated_at`],
  });
}

export function teamPlaceFromRow(row: Record<string, any>): TeamMemberEntity {
  return Object.assign(new TeamMemberEntity(), {
    teamId: row.team_id,
    membershipId: row.membership_id,
    organisationId: row.organisation_id,
    role: row.role,
    addedAt: row.added_at,
    expiresAt: row.expires_at ?? null,
  });
}

/**
 * The team places of membership `m` still in force, with their teams, as a JSON array (the order and rows
 * of the `teamPlacesByMembershipId` loader), as a column of a statement that selects memberships.
 */
export const TEAM_PLACES_JSON = `(
  SELECT coalesce(json_agg(json_build_object('team_id', tm.team_id, 'membership_id', tm.membership_id,
    'organisation_id', tm.organisation_id, 'role', tm.role, 'added_at', tm.added_at, 'expires_at', tm.expires_at,
    't_id', t.id, 't_organisation_id', t.organisation_id, 't_name', t.name, 't_description', t.description,
    't_created_at', t.created_at, 't_updated_at', t.updated_at) ORDER BY lower(t.name), t.id), '[]')
  FROM team_members tm JOIN teams t ON t.id = tm.team_id WHERE tm.membership_id = m.id AND ${liveGrant('tm')})`;

/** The places (and their teams) of a {@link TEAM_PLACES_JSON} column. */
export function teamPlacesFromJson(json: Record<string, any>[]): { place: TeamMemberEntity; team: TeamEntity }[] {
  return json.map((row) => ({
    place: teamPlaceFromRow({ ...row, added_at: new Date(row.added_at), expires_at: expiryDate(row.expires_at) }),
    team: teamFromRow({ ...row, t_created_at: new Date(row.t_created_at), t_updated_at: new Date(row.t_updated_at) }, 't_'),
  }));
}
