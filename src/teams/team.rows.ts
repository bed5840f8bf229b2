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
