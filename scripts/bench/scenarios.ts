import { contractOperation } from '../../test/support/contract';
import type { SeededData, SeededOrganisation } from './seed';

/** The servers a scenario can run on. */
export type ServerName = 'service' | 'service-node22' | 'floor' | 'postgraphile';
export const SERVER_NAMES: ServerName[] = ['service', 'service-node22', 'floor', 'postgraphile'];

export interface ServerRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** One measured page: the same answer asked of every server that runs it. */
export interface Scenario {
  name: string;
  what: string;
  connections: number;
  servers: ServerName[];
  request(server: ServerName): ServerRequest;
  /** The answer reduced to what every server must agree on (ids and fields, in order). Throws on a wrong shape. */
  canonical(server: ServerName, data: any): unknown;
  /** What the seeded data says the canonical answer must hold; a message when it does not. */
  expectation(canonical: any): string | null;
}

export interface Tokens {
  owner: string;
  viewer: string;
}

const json = { 'content-type': 'application/json' };
const ms = (value: string | null) => (value === null ? null : new Date(value).toISOString());
const byNameThenId = (left: { name: string; id: string }, right: { name: string; id: string }) =>
  left.name < right.name ? -1 : left.name > right.name ? 1 : left.id < right.id ? -1 : left.id > right.id ? 1 : 0;
const byLowerTeamNameThenId = (left: { team: { name: string; id: string } }, right: { team: { name: string; id: string } }) =>
  byNameThenId({ name: left.team.name.toLowerCase(), id: left.team.id }, { name: right.team.name.toLowerCase(), id: right.team.id });

const ENTITIES = 'query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id email displayName lastSignInAt } } }';

// PostGraphile 5 (Amber preset): the same pages over the same tables. Its ids are `rowId`; the link tables'
// relations are named after their (id, organisation_id) foreign keys. Nested lists have no order of their
// own here (ordering by a related column needs a plugin): the comparison sorts them as the service does.
const PG_MEMBER_ROW = `rowId status joinedAt deactivatedAt
  userByUserId { rowId email displayName lastSignInAt }
  membershipRolesByMembershipIdAndOrganisationId { nodes { roleByRoleIdAndOrganisationId { rowId name builtInKey } } }
  teamMembersByMembershipIdAndOrganisationId { nodes { role addedAt teamByTeamIdAndOrganisationId { rowId name } } }`;
const PG_MEMBERS = `query Members($organisationId: UUID!, $first: Int) {
  organisationByRowId(rowId: $organisationId) { rowId
    membershipsByOrganisationId(first: $first, orderBy: [JOINED_AT_ASC, ROW_ID_ASC]) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${PG_MEMBER_ROW} } } } } }`;
// Teams' primary key is (id, organisation_id) since the sharding-ready keys: its lookup takes both.
const PG_TEAM_DETAIL = `query TeamDetail($id: UUID!, $organisationId: UUID!, $first: Int) {
  teamByRowIdAndOrganisationId(rowId: $id, organisationId: $organisationId) { rowId name description createdAt
    organisationByOrganisationId { rowId name }
    teamRolesByTeamIdAndOrganisationId { nodes { roleByRoleIdAndOrganisationId { rowId name } } }
    teamMembersByTeamIdAndOrganisationId(first: $first, orderBy: [ROLE_ASC, ADDED_AT_ASC, MEMBERSHIP_ID_ASC]) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { role addedAt membershipByMembershipIdAndOrganisationId { rowId status userByUserId { rowId displayName email } } } } } } }`;
const PG_VIEWER = `query Viewer($userId: UUID!) {
  userByRowId(rowId: $userId) { rowId email displayName createdAt lastSignInAt
    membershipsByUserId(orderBy: [JOINED_AT_ASC, ROW_ID_ASC]) { nodes { rowId status
      organisationByOrganisationId { rowId name slug }
      membershipRolesByMembershipIdAndOrganisationId { nodes { roleByRoleIdAndOrganisationId { rowId name builtInKey permissions } } } } } } }`;

function memberRow(node: any) {
  return {
    id: node.id,
    status: node.status,
    joinedAt: ms(node.joinedAt),
    deactivatedAt: ms(node.deactivatedAt),
    user: { id: node.user.id, email: node.user.email, displayName: node.user.displayName, lastSignInAt: ms(node.user.lastSignInAt) },
    roles: node.roles.map((role: any) => ({ id: role.id, name: role.name, builtIn: role.builtIn })),
    teams: node.teams.map((place: any) => ({ role: place.role, addedAt: ms(place.addedAt), team: { id: place.team.id, name: place.team.name } })),
  };
}

function pgMemberRow(node: any) {
  const user = node.userByUserId;
  return memberRow({
    id: node.rowId,
    status: node.status,
    joinedAt: node.joinedAt,
    deactivatedAt: node.deactivatedAt,
    user: { id: user.rowId, email: user.email, displayName: user.displayName, lastSignInAt: user.lastSignInAt },
    roles: node.membershipRolesByMembershipIdAndOrganisationId.nodes
      .map(({ roleByRoleIdAndOrganisationId: role }: any) => ({ id: role.rowId, name: role.name, builtIn: role.builtInKey !== null }))
      .sort(byNameThenId),
    teams: node.teamMembersByMembershipIdAndOrganisationId.nodes
      .map((place: any) => ({ role: place.role, addedAt: place.addedAt, team: { id: place.teamByTeamIdAndOrganisationId.rowId, name: place.teamByTeamIdAndOrganisationId.name } }))
      .sort(byLowerTeamNameThenId),
  });
}

interface MembersOptions {
  name: string;
  what: string;
  organisation: SeededOrganisation;
  connections: number;
  servers: ServerName[];
  search?: { text: string; hits: number };
}

function membersScenario(tokens: Tokens, options: MembersOptions): Scenario {
  const variables = { organisationId: options.organisation.id, first: 50, ...(options.search ? { filter: { search: options.search.text } } : {}) };
  const expectedTotal = options.search ? options.search.hits : options.organisation.totalMembers;
  return {
    name: options.name,
    what: options.what,
    connections: options.connections,
    servers: options.servers,
    request: (server) =>
      server === 'postgraphile'
        ? { path: '/graphql', headers: json, body: JSON.stringify({ query: PG_MEMBERS, variables: { organisationId: variables.organisationId, first: 50 } }) }
        : { path: '/graphql', headers: { ...json, authorization: `Bearer ${tokens.owner}` }, body: JSON.stringify({ query: contractOperation('Members'), variables }) },
    canonical(server, data) {
      if (server === 'postgraphile') {
        const page = data.organisationByRowId.membershipsByOrganisationId;
        return { totalCount: page.totalCount, hasNextPage: page.pageInfo.hasNextPage, rows: page.edges.map((edge: any) => pgMemberRow(edge.node)) };
      }
      const page = data.organisation.members;
      return { totalCount: page.totalCount, hasNextPage: page.pageInfo.hasNextPage, rows: page.edges.map((edge: any) => memberRow(edge.node)) };
    },
    expectation(answer) {
      const expectedRows = Math.min(50, expectedTotal);
      if (answer.totalCount !== expectedTotal || answer.rows.length !== expectedRows) {
        return `expected ${expectedRows} rows of ${expectedTotal}, got ${answer.rows.length} of ${answer.totalCount}`;
      }
      if (options.search && !answer.rows.every((row: any) => `${row.user.email} ${row.user.displayName}`.toLowerCase().includes(options.search?.text as string))) {
        return `a row does not match "${options.search.text}"`;
      }
      if (!answer.rows.slice(1).every((row: any) => row.roles.length >= 1 && row.roles.length <= 3 && row.teams.length <= 3)) return 'a seeded row should hold 1–3 roles and 0–3 teams';
      return null;
    },
  };
}

function teamDetailScenario(tokens: Tokens, organisation: SeededOrganisation, connections: number, servers: ServerName[]): Scenario {
  const teamSize = organisation.biggestTeamSize;
  const variables = { id: organisation.biggestTeamId, first: 50 };
  return {
    name: 'TeamDetail',
    what: `Owner, the biggest team (${teamSize} members) of the ${organisation.size.toLocaleString('en')}-member organisation, first: 50`,
    connections,
    servers,
    request: (server) =>
      server === 'postgraphile'
        ? { path: '/graphql', headers: json, body: JSON.stringify({ query: PG_TEAM_DETAIL, variables: { ...variables, organisationId: organisation.id } }) }
        : { path: '/graphql', headers: { ...json, authorization: `Bearer ${tokens.owner}` }, body: JSON.stringify({ query: contractOperation('TeamDetail'), variables }) },
    canonical(server, data) {
      if (server === 'postgraphile') {
        const team = data.teamByRowIdAndOrganisationId;
        const page = team.teamMembersByTeamIdAndOrganisationId;
        return {
          id: team.rowId,
          name: team.name,
          description: team.description,
          createdAt: ms(team.createdAt),
          organisation: { id: team.organisationByOrganisationId.rowId, name: team.organisationByOrganisationId.name },
          grantedRoles: team.teamRolesByTeamIdAndOrganisationId.nodes.map(({ roleByRoleIdAndOrganisationId: role }: any) => ({ id: role.rowId, name: role.name })).sort(byNameThenId),
          totalCount: page.totalCount,
          hasNextPage: page.pageInfo.hasNextPage,
          members: page.edges.map(({ node }: any) => {
            const membership = node.membershipByMembershipIdAndOrganisationId;
            const user = membership.userByUserId;
            return { role: node.role, addedAt: ms(node.addedAt), member: { id: membership.rowId, status: membership.status, user: { id: user.rowId, displayName: user.displayName, email: user.email } } };
          }),
        };
      }
      const { team } = data;
      return {
        id: team.id,
        name: team.name,
        description: team.description,
        createdAt: ms(team.createdAt),
        organisation: team.organisation,
        grantedRoles: team.grantedRoles,
        totalCount: team.members.totalCount,
        hasNextPage: team.members.pageInfo.hasNextPage,
        members: team.members.edges.map(({ node }: any) => ({ role: node.role, addedAt: ms(node.addedAt), member: node.member })),
      };
    },
    expectation: (answer) =>
      answer.totalCount === teamSize && answer.members.length === Math.min(50, teamSize) ? null : `expected ${Math.min(50, teamSize)} of ${teamSize}, got ${answer.members.length} of ${answer.totalCount}`,
  };
}

function viewerScenario(tokens: Tokens, viewerUserId: string, connections: number, servers: ServerName[]): Scenario {
  return {
    name: 'Viewer',
    what: 'a Viewer-role member of the measured organisation, also a Member of two others (3 memberships)',
    connections,
    servers,
    request: (server) =>
      server === 'postgraphile'
        ? { path: '/graphql', headers: json, body: JSON.stringify({ query: PG_VIEWER, variables: { userId: viewerUserId } }) }
        : { path: '/graphql', headers: { ...json, authorization: `Bearer ${tokens.viewer}` }, body: JSON.stringify({ query: contractOperation('Viewer') }) },
    canonical(server, data) {
      if (server === 'postgraphile') {
        const user = data.userByRowId;
        return {
          user: { id: user.rowId, email: user.email, displayName: user.displayName, createdAt: ms(user.createdAt), lastSignInAt: ms(user.lastSignInAt) },
          memberships: user.membershipsByUserId.nodes.map((membership: any) => ({
            id: membership.rowId,
            status: membership.status,
            organisation: { id: membership.organisationByOrganisationId.rowId, name: membership.organisationByOrganisationId.name, slug: membership.organisationByOrganisationId.slug },
            roles: membership.membershipRolesByMembershipIdAndOrganisationId.nodes.map(({ roleByRoleIdAndOrganisationId: role }: any) => ({ id: role.rowId, name: role.name })).sort(byNameThenId),
          })),
        };
      }
      const { user, memberships } = data.viewer;
      return {
        user: { ...user, createdAt: ms(user.createdAt), lastSignInAt: ms(user.lastSignInAt) },
        memberships: memberships.map(({ id, status, organisation, roles }: any) => ({ id, status, organisation, roles })),
      };
    },
    expectation: (answer) => (answer.memberships.length === 3 ? null : `expected 3 memberships, got ${answer.memberships.length}`),
  };
}

function entitiesScenario(tokens: Tokens, organisation: SeededOrganisation, count: number, connections: number, servers: ServerName[]): Scenario {
  const representations = organisation.userIds.slice(0, count).map((id) => ({ __typename: 'User', id }));
  return {
    name: `_entities ${count}`,
    what: `${representations.length} User representations (members of the measured organisation), as the gateway sends them for the Owner`,
    connections,
    servers: servers.filter((server) => server !== 'postgraphile'), // no federation
    request: () => ({ path: '/graphql', headers: { ...json, authorization: `Bearer ${tokens.owner}` }, body: JSON.stringify({ query: ENTITIES, variables: { representations } }) }),
    canonical: (_server, data) => data._entities.map((user: any) => user && { ...user, lastSignInAt: ms(user.lastSignInAt) }),
    expectation: (answer) =>
      answer.length === representations.length && answer.every((user: any) => user?.email) ? null : `expected ${representations.length} users with emails`,
  };
}

/** Every scenario of the bench, in the order they run within a round. */
export function buildScenarios(
  data: SeededData,
  tokens: Tokens,
  options: { members: number; scaleMembers: number[]; connections: number; servers: ServerName[] },
): Scenario[] {
  const main = data.organisations.get(options.members) as SeededOrganisation;
  const largestSize = Math.max(...options.scaleMembers);
  const largest = data.organisations.get(largestSize) as SeededOrganisation;
  const label = (size: number) => (size >= 1000 && size % 1000 === 0 ? `${size / 1000}k` : String(size));
  const all = options.servers;
  const notPostGraphile = all.filter((server) => server !== 'postgraphile');
  return [
    membersScenario(tokens, { name: 'Members', what: `Owner, first: 50 of the ${options.members.toLocaleString('en')}-member organisation (contract operation)`, organisation: main, connections: options.connections, servers: all }),
    teamDetailScenario(tokens, main, options.connections, all),
    viewerScenario(tokens, data.viewer.userId, options.connections, all),
    entitiesScenario(tokens, main, 100, options.connections, all),
    entitiesScenario(tokens, main, 1000, options.connections, all),
    ...options.scaleMembers.map((size) =>
      membersScenario(tokens, {
        name: `Members ${label(size)} serial`,
        what: `Owner, first: 50 of ${size.toLocaleString('en')} members, one request at a time`,
        organisation: data.organisations.get(size) as SeededOrganisation,
        connections: 1,
        servers: all,
      }),
    ),
    membersScenario(tokens, {
      name: `Members search ${label(largestSize)} serial`,
      what: `Owner, first: 50, filter { search: "smith" } (${data.smithHits.toLocaleString('en')} hits) of ${largestSize.toLocaleString('en')} members, one at a time`,
      organisation: largest,
      connections: 1,
      servers: notPostGraphile, // PostGraphile 5 filters by equality only without a filter plugin
      search: { text: 'smith', hits: data.smithHits },
    }),
    membersScenario(tokens, {
      name: `Members ${label(largestSize)}`,
      what: `Owner, first: 50 of ${largestSize.toLocaleString('en')} members, ${options.connections} connections`,
      organisation: largest,
      connections: options.connections,
      servers: all,
    }),
  ];
}
