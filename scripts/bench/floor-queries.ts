/**
 * The floor's SQL (see floor-server.ts): the optimal statements for each page, kept apart so that the bench
 * can EXPLAIN them next to the service's.
 */

// Timestamps leave PostgreSQL as the service prints them (ISO, milliseconds, UTC): no Date parsing here.
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// The page first (the index on (organisation_id, joined_at, id) gives it in order), then the roles and teams
// of its rows only, each in one join over the page: no per-row subquery for the planner to get wrong.
export const MEMBER_PAGE = (search: boolean) => `
  WITH page AS (
    SELECT m.id, m.status, m.joined_at, m.deactivated_at, u.id AS user_id, u.email, u.display_name, u.last_sign_in_at
    FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.organisation_id = $1 ${search ? 'AND (lower(u.email) LIKE $3 OR lower(u.display_name) LIKE $3)' : ''}
    ORDER BY m.joined_at, m.id LIMIT $2),
  page_roles AS (
    SELECT mr.membership_id, json_agg(json_build_object('id', r.id, 'name', r.name, 'builtIn', r.built_in_key IS NOT NULL) ORDER BY r.name, r.id) AS roles
    FROM page p JOIN membership_roles mr ON mr.membership_id = p.id JOIN roles r ON r.id = mr.role_id
    GROUP BY mr.membership_id),
  page_teams AS (
    SELECT tm.membership_id,
           json_agg(json_build_object('role', tm.role, 'addedAt', ${iso('tm.added_at')}, 'team', json_build_object('id', t.id, 'name', t.name)) ORDER BY lower(t.name), t.id) AS teams
    FROM page p JOIN team_members tm ON tm.membership_id = p.id JOIN teams t ON t.id = tm.team_id
    GROUP BY tm.membership_id)
  SELECT p.id, p.status, ${iso('p.joined_at')} AS joined_at, ${iso('p.deactivated_at')} AS deactivated_at, p.joined_at::text AS sort_key,
         p.user_id, p.email, p.display_name, ${iso('p.last_sign_in_at')} AS last_sign_in_at,
         coalesce(pr.roles, '[]') AS roles, coalesce(pt.teams, '[]') AS teams
  FROM page p LEFT JOIN page_roles pr ON pr.membership_id = p.id LEFT JOIN page_teams pt ON pt.membership_id = p.id
  ORDER BY p.joined_at, p.id`;

export const MEMBER_COUNT = (search: boolean) =>
  search
    ? `SELECT count(*)::int AS count FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.organisation_id = $1 AND (lower(u.email) LIKE $2 OR lower(u.display_name) LIKE $2)`
    : 'SELECT count(*)::int AS count FROM memberships WHERE organisation_id = $1';

export const TEAM = `
  SELECT t.id, t.name, t.description, ${iso('t.created_at')} AS created_at, o.id AS organisation_id, o.name AS organisation_name,
         (SELECT coalesce(json_agg(json_build_object('id', r.id, 'name', r.name) ORDER BY r.name, r.id), '[]')
          FROM team_roles tr JOIN roles r ON r.id = tr.role_id WHERE tr.team_id = t.id) AS granted_roles,
         (SELECT count(*)::int FROM team_members WHERE team_id = t.id) AS member_count
  FROM teams t JOIN organisations o ON o.id = t.organisation_id WHERE t.id = $1`;

export const TEAM_PAGE = `
  SELECT tm.role, ${iso('tm.added_at')} AS added_at, to_char(tm.added_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS added_at_key, m.id, m.status, u.id AS user_id, u.display_name, u.email
  FROM team_members tm JOIN memberships m ON m.id = tm.membership_id JOIN users u ON u.id = m.user_id
  WHERE tm.team_id = $1
  ORDER BY CASE tm.role WHEN 'MANAGER' THEN 0 ELSE 1 END, tm.added_at, tm.membership_id LIMIT $2`;

export const VIEWER = `
  SELECT u.id, u.email, u.display_name, ${iso('u.created_at')} AS created_at, ${iso('u.last_sign_in_at')} AS last_sign_in_at,
    (SELECT coalesce(json_agg(json_build_object(
        'id', m.id, 'status', m.status, 'organisation', json_build_object('id', o.id, 'name', o.name, 'slug', o.slug),
        'requireMfa', o.require_mfa, 'boundary', o.permission_boundary,
        'roles', (SELECT coalesce(json_agg(json_build_object('id', r.id, 'name', r.name, 'builtInKey', r.built_in_key, 'permissions', r.permissions) ORDER BY r.name, r.id), '[]')
                  FROM membership_roles mr JOIN roles r ON r.id = mr.role_id WHERE mr.membership_id = m.id),
        'teams', (SELECT coalesce(json_agg(json_build_object('teamId', tm.team_id, 'place', tm.role, 'grantedRoles',
                    (SELECT coalesce(json_agg(json_build_object('builtInKey', r.built_in_key, 'permissions', r.permissions)), '[]')
                     FROM team_roles tr JOIN roles r ON r.id = tr.role_id WHERE tr.team_id = tm.team_id))), '[]')
                  FROM team_members tm WHERE tm.membership_id = m.id)
      ) ORDER BY m.joined_at, m.id), '[]')
     FROM memberships m JOIN organisations o ON o.id = m.organisation_id WHERE m.user_id = u.id) AS memberships
  FROM users u WHERE u.issuer = $1 AND u.subject = $2`;

export const USERS = `SELECT id, email, display_name, ${iso('last_sign_in_at')} AS last_sign_in_at FROM users WHERE id = ANY($1::uuid[])`;
