import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

const hex = () => randomBytes(4).toString('hex');

/**
 * Bulk members for list and statement-count tests, inserted with a few set-based statements:
 * `count` users, each an ACTIVE member holding `rolesEach` custom roles and placed in `teamsEach` teams.
 */
export async function seedMembers(
  dataSource: DataSource,
  organisationId: string,
  options: { count: number; rolesEach?: number; teamsEach?: number; prefix?: string },
): Promise<{ membershipIds: string[]; roleIds: string[]; teamIds: string[] }> {
  const prefix = options.prefix ?? `seed-${hex()}`;
  const rolesEach = options.rolesEach ?? 0;
  const teamsEach = options.teamsEach ?? 0;
  const roleIds: string[] = (
    await dataSource.query(
      `INSERT INTO roles (organisation_id, name, permissions)
       SELECT $1, $2 || '-role-' || n, ARRAY['members:read'] FROM generate_series(1, $3::int) n RETURNING id`,
      [organisationId, prefix, rolesEach],
    )
  ).map((row: { id: string }) => row.id);
  const teamIds: string[] = (
    await dataSource.query(
      `INSERT INTO teams (organisation_id, name) SELECT $1, $2 || '-team-' || n FROM generate_series(1, $3::int) n RETURNING id`,
      [organisationId, prefix, teamsEach],
    )
  ).map((row: { id: string }) => row.id);
  const membershipIds: string[] = (
    await dataSource.query(
      `WITH new_users AS (
         INSERT INTO users (email, display_name, email_verified, last_sign_in_at)
         SELECT $2 || '-' || n || '@example.com', initcap($2) || ' Person ' || lpad(n::text, 5, '0'), true, now() - (n || ' minutes')::interval
         FROM generate_series(1, $3::int) n RETURNING id)
       INSERT INTO memberships (organisation_id, user_id) SELECT $1, id FROM new_users RETURNING id`,
      [organisationId, prefix, options.count],
    )
  ).map((row: { id: string }) => row.id);
  if (roleIds.length > 0) {
    await dataSource.query(
      `INSERT INTO membership_roles (membership_id, role_id, organisation_id)
       SELECT m, r, $1 FROM unnest($2::uuid[]) m CROSS JOIN unnest($3::uuid[]) r`,
      [organisationId, membershipIds, roleIds],
    );
  }
  if (teamIds.length > 0) {
    await dataSource.query(
      `INSERT INTO team_members (team_id, membership_id, organisation_id)
       SELECT t, m, $1 FROM unnest($2::uuid[]) m CROSS JOIN unnest($3::uuid[]) t`,
      [organisationId, membershipIds, teamIds],
    );
  }
  return { membershipIds, roleIds, teamIds };
}
