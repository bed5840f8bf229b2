/**
 * The floor of `npm run bench`: a minimal node:http + pg handler answering the bench's operations with the
 * optimal SQL for each page and the very JSON the service returns (cursors aside). No GraphQL, no
 * authorization, no token verification: the request body is the service's (query text and variables) and
 * only the operation's name and variables are read. What it costs is what the page costs at least.
 *
 * Run as its own process: `node dist/scripts/bench/floor-server.js` with DATABASE_URL and PORT
 * (127.0.0.1 only); GET /healthz, POST /graphql.
 */
import http from 'node:http';
import { Pool } from 'pg';
import { evaluatePermissions, type EvaluatedRole } from '../../src/access/permission-evaluator';
import { loadPermissionCatalogue } from '../../src/core/permissions/permission-catalogue';
import type { MembershipStatus } from '../../src/memberships/membership-status';
import { rolePermissions } from '../../src/roles/built-in-roles';
import type { TeamMemberRole } from '../../src/teams/team-member-role';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.BENCH_POOL_SIZE || 10), application_name: 'access-bench-floor' });
const catalogue = loadPermissionCatalogue();

// Timestamps leave PostgreSQL as the service prints them (ISO, milliseconds, UTC): no Date parsing here.
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const MEMBER_PAGE = (search: boolean) => `
  WITH page AS (
    SELECT m.id, m.status, m.joined_at, m.deactivated_at, u.id AS user_id, u.email, u.display_name, u.last_sign_in_at
    FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.organisation_id = $1 ${search ? 'AND (lower(u.email) LIKE $3 OR lower(u.display_name) LIKE $3)' : ''}
    ORDER BY m.joined_at, m.id LIMIT $2)
  SELECT p.id, p.status, ${iso('p.joined_at')} AS joined_at, ${iso('p.deactivated_at')} AS deactivated_at, p.joined_at::text AS sort_key,
         p.user_id, p.email, p.display_name, ${iso('p.last_sign_in_at')} AS last_sign_in_at,
         (SELECT coalesce(json_agg(json_build_object('id', r.id, 'name', r.name, 'builtIn', r.built_in_key IS NOT NULL) ORDER BY r.name, r.id), '[]')
          FROM membership_roles mr JOIN roles r ON r.id = mr.role_id WHERE mr.membership_id = p.id) AS roles,
         (SELECT coalesce(json_agg(json_build_object('role', tm.role, 'addedAt', ${iso('tm.added_at')}, 'team', json_build_object('id', t.id, 'name', t.name))
                 ORDER BY lower(t.name), t.id), '[]')
          FROM team_members tm JOIN teams t ON t.id = tm.team_id WHERE tm.membership_id = p.id) AS teams
  FROM page p ORDER BY p.joined_at, p.id`;

const MEMBER_COUNT = (search: boolean) =>
  search
    ? `SELECT count(*)::int AS count FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.organisation_id = $1 AND (lower(u.email) LIKE $2 OR lower(u.display_name) LIKE $2)`
    : 'SELECT count(*)::int AS count FROM memberships WHERE organisation_id = $1';

// The service's cursor layout (base64url of a JSON list), written here rather than imported: the project's
// connection module brings TypeGraphQL along, which a floor has no business loading.
const encodeCursor = (values: (string | number)[]) => Buffer.from(JSON.stringify(values)).toString('base64url');

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

async function members(variables: { organisationId: string; first?: number; filter?: { search?: string } }): Promise<unknown> {
  const first = variables.first ?? 20;
  const search = variables.filter?.search?.trim().toLowerCase();
  const pattern = search ? `%${escapeLike(search)}%` : null;
  const [page, count] = await Promise.all([
    pool.query(MEMBER_PAGE(pattern !== null), pattern ? [variables.organisationId, first + 1, pattern] : [variables.organisationId, first + 1]),
    pool.query(MEMBER_COUNT(pattern !== null), pattern ? [variables.organisationId, pattern] : [variables.organisationId]),
  ]);
  const scope = `members:${variables.organisationId}:JOINED_AT:ASC`;
  const edges = page.rows.slice(0, first).map((row) => ({
    cursor: encodeCursor([scope, row.sort_key, row.id]),
    node: {
      id: row.id,
      status: row.status,
      joinedAt: row.joined_at,
      deactivatedAt: row.deactivated_at,
      user: { id: row.user_id, email: row.email, displayName: row.display_name, lastSignInAt: row.last_sign_in_at },
      roles: row.roles,
      teams: row.teams,
    },
  }));
  return {
    organisation: {
      id: variables.organisationId,
      members: {
        totalCount: count.rows[0].count,
        pageInfo: { hasNextPage: page.rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
        edges,
      },
    },
  };
}

const TEAM = `
  SELECT t.id, t.name, t.description, ${iso('t.created_at')} AS created_at, o.id AS organisation_id, o.name AS organisation_name,
         (SELECT coalesce(json_agg(json_build_object('id', r.id, 'name', r.name) ORDER BY r.name, r.id), '[]')
          FROM team_roles tr JOIN roles r ON r.id = tr.role_id WHERE tr.team_id = t.id) AS granted_roles,
         (SELECT count(*)::int FROM team_members WHERE team_id = t.id) AS member_count
  FROM teams t JOIN organisations o ON o.id = t.organisation_id WHERE t.id = $1`;

const TEAM_PAGE = `
  SELECT tm.role, ${iso('tm.added_at')} AS added_at, to_char(tm.added_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS added_at_key, m.id, m.status, u.id AS user_id, u.display_name, u.email
  FROM team_members tm JOIN memberships m ON m.id = tm.membership_id JOIN users u ON u.id = m.user_id
  WHERE tm.team_id = $1
  ORDER BY CASE tm.role WHEN 'MANAGER' THEN 0 ELSE 1 END, tm.added_at, tm.membership_id LIMIT $2`;

async function teamDetail(variables: { id: string; first?: number }): Promise<unknown> {
  const first = variables.first ?? 20;
  const [team, page] = await Promise.all([pool.query(TEAM, [variables.id]), pool.query(TEAM_PAGE, [variables.id, first + 1])]);
  const row = team.rows[0];
  if (!row) return { team: null };
  const places = page.rows.slice(0, first);
  const last = places.at(-1);
  const endCursor = last ? encodeCursor([`team-members:${variables.id}`, last.role === 'MANAGER' ? 0 : 1, last.added_at_key, last.id]) : null;
  const edges = places.map((place) => ({
    node: { role: place.role, addedAt: place.added_at, member: { id: place.id, status: place.status, user: { id: place.user_id, displayName: place.display_name, email: place.email } } },
  }));
  return {
    team: {
      id: row.id,
      name: row.name,
      description: row.description,
      createdAt: row.created_at,
      organisation: { id: row.organisation_id, name: row.organisation_name },
      grantedRoles: row.granted_roles,
      members: { totalCount: row.member_count, pageInfo: { hasNextPage: page.rows.length > first, endCursor }, edges },
    },
  };
}

interface ViewerMembership {
  id: string;
  status: MembershipStatus;
  organisation: { id: string; name: string; slug: string };
  requireMfa: boolean;
  boundary: string[] | null;
  roles: { id: string; name: string; builtInKey: string | null; permissions: string[] }[];
  teams: { teamId: string; place: TeamMemberRole; grantedRoles: EvaluatedRole[] }[];
}

const VIEWER = `
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

/** The token's claims, read without verification (the floor trusts its caller). */
function claimsOf(authorization: string | undefined): Record<string, any> {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}');
}

async function viewer(authorization: string | undefined): Promise<unknown> {
  const claims = claimsOf(authorization);
  const { rows } = await pool.query(VIEWER, [claims.iss, claims.sub]);
  const user = rows[0];
  if (!user) return { viewer: null };
  const hasMfa = Array.isArray(claims.amr) && claims.amr.some((value: string) => ['mfa', 'otp', 'hwk', 'swk', 'sms', 'fpt', 'face', 'iris'].includes(value));
  return {
    viewer: {
      isPlatformAdmin: Array.isArray(claims.roles) && claims.roles.includes('platform-admin'),
      user: { id: user.id, email: user.email, displayName: user.display_name, createdAt: user.created_at, lastSignInAt: user.last_sign_in_at },
      memberships: (user.memberships as ViewerMembership[]).map((membership) => {
        const evaluated = evaluatePermissions(
          { membershipStatus: membership.status, directRoles: membership.roles, teams: membership.teams, boundary: membership.boundary, requireMfa: membership.requireMfa, hasMfa },
          catalogue,
          (role) => rolePermissions(role, catalogue),
        );
        return {
          id: membership.id,
          status: membership.status,
          organisation: membership.organisation,
          roles: membership.roles.map((role) => ({ id: role.id, name: role.name })),
          effectivePermissions: [...evaluated.permissions].sort(),
        };
      }),
    },
  };
}

const USERS = `SELECT id, email, display_name, ${iso('last_sign_in_at')} AS last_sign_in_at FROM users WHERE id = ANY($1::uuid[])`;

async function entities(variables: { representations: { __typename: string; id: string }[] }): Promise<unknown> {
  const ids = variables.representations.map((representation) => representation.id);
  const { rows } = await pool.query(USERS, [ids]);
  const byId = new Map(rows.map((row) => [row.id, { id: row.id, email: row.email, displayName: row.display_name, lastSignInAt: row.last_sign_in_at }]));
  return { _entities: ids.map((id) => byId.get(id) ?? null) };
}

const OPERATION = /\bquery\s+(\w+)/;

async function answer(body: string, authorization: string | undefined): Promise<unknown> {
  const { query, variables = {} } = JSON.parse(body) as { query: string; variables?: any };
  switch (OPERATION.exec(query)?.[1]) {
    case 'Members':
      return members(variables);
    case 'TeamDetail':
      return teamDetail(variables);
    case 'Viewer':
      return viewer(authorization);
    case 'Entities':
      return entities(variables);
    default:
      throw new Error('unknown operation');
  }
}

const server = http.createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/healthz') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"status":"ok"}');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    answer(Buffer.concat(chunks).toString('utf8'), request.headers.authorization).then(
      (data) => {
        response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify({ data }));
      },
      (error: Error) => {
        response.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify({ errors: [{ message: error.message }] }));
      },
    );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1');

const stop = () => server.close(() => void pool.end().finally(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
