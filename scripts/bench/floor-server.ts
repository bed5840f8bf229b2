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
import { MEMBER_COUNT, MEMBER_PAGE, TEAM, TEAM_PAGE, USERS, VIEWER } from './floor-queries';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.BENCH_POOL_SIZE || 10), application_name: 'access-bench-floor' });
const catalogue = loadPermissionCatalogue();

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
