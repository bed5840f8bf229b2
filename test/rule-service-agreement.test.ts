/**
 * The rule map and the services agree, entry point by entry point.
 *
 * Every mutation of the schema (and every query entry point declared with a permission) is asked four
 * times, each time twice: once its rule alone (the rule map's rule, evaluated as the service's HTTP
 * path evaluates it), once its service alone (the operation executed on the schema WITHOUT rules, so
 * only the service's own re-check can refuse). Both answers must be the same, and the expected one:
 *
 *   lacking   a member of the target's organisation holding everything except the declared permissions
 *             (and nothing implying them): FORBIDDEN
 *   foreign   an Owner of another organisation naming this organisation's target: NOT_FOUND
 *   mfa       an Owner of an organisation that requires MFA, signed in without a second factor: MFA_REQUIRED
 *   holding   an Owner of the target's organisation (a platform administrator, the invitee, as declared):
 *             allowed, and the service then does its work (asked last: it writes)
 *
 * The list of mutations comes from the schema: a mutation without a case below FAILS this suite.
 *
 * ADDING A CASE (one line of CASES): `myMutation: { args: async (w, org) => ({ id: await w.makeSomething(org) }) }`,
 * the arguments naming a fresh target in `org` (called once for the target organisation, once for the
 * MFA organisation). Options: `platform: true` (platform administrators only: no foreign/MFA rows),
 * `expect: { lacking: 'NOT_FOUND' }` where the declared answer differs, `caller` for a holder who is not
 * the Owner. The operation document is generated from the schema.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { getNamedType, isObjectType, isAbstractType, parse, execute, type GraphQLField, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { ruleMap } from '../src/core/authz/rule-map';
import { mutationPermissions, queryPermissions } from '../src/core/authz/mutation-permissions';
import type { Declaration } from '../src/core/authz/object-rules';
import { evaluateRule } from '../src/core/authz/rule-engine';
import { RequestContext } from '../src/core/context/request-context';
import type { Principal } from '../src/core/auth/principal';
import { buildAppSchema } from '../src/core/graphql/build-schema';
import { UserEntity } from '../src/users/user.entity';
import { RoleEntity } from '../src/roles/role.entity';
import { MembershipStatus } from '../src/memberships/membership-status';
import { addMember, createOrganisation, platformAdmin, signIn, type SignedInUser, type TestOrganisation } from './support/factories';
import { startTestService, type TestService } from './support/test-service';
import { TestDnsServer } from './support/dns-server';

type Answer = 'ALLOWED' | string;
type Scenario = 'lacking' | 'foreign' | 'mfa' | 'holding';

interface World {
  service: TestService;
  /** The organisation whose targets the lacking, foreign and holding rows name. */
  target: TestOrganisation;
  dns: TestDnsServer;
  admin: SignedInUser;
  /** Runs an operation over HTTP; fails the test on any error. */
  q(query: string, variables: Record<string, unknown>, token: string): Promise<any>;
  member(org: TestOrganisation, status?: MembershipStatus): Promise<string>;
  team(org: TestOrganisation): Promise<string>;
  role(org: TestOrganisation): Promise<string>;
  invitation(org: TestOrganisation, email?: string): Promise<{ id: string; token: string }>;
  domain(org: TestOrganisation): Promise<string>;
  endpoint(org: TestOrganisation): Promise<string>;
  campaign(org: TestOrganisation): Promise<string>;
}

interface Case {
  args(w: World, org: TestOrganisation): Promise<Record<string, unknown>>;
  /** Only platform administrators: the holder is one, the lacker an Owner; no foreign or MFA rows. */
  platform?: true;
  /** Not an organisation permission (a token): no foreign or MFA rows. */
  noOrganisation?: true;
  /** The holder, when not the Owner of the target's organisation. */
  caller?(w: World, args: Record<string, unknown>): Promise<SignedInUser>;
  expect?: Partial<Record<Scenario, Answer>>;
}

const fresh = () => randomBytes(4).toString('hex');

/** The organisation the holding row targets (the world's first organisation). */
const orgOf = (w: World): TestOrganisation => w.target;

const CASES: Record<string, Case> = {
  // invitations
  inviteUser: { args: async (_w, org) => ({ input: { organisationId: org.id, email: `invitee-${fresh()}@example.com` } }) },
  resendInvitation: { args: async (w, org) => ({ id: (await w.invitation(org)).id }) },
  cancelInvitation: { args: async (w, org) => ({ id: (await w.invitation(org)).id }) },
  acceptInvitation: {
    noOrganisation: true,
    args: async (w, org) => {
      const email = `accepting-${fresh()}@example.com`;
      return { token: (await w.invitation(org, email)).token, email };
    },
    caller: (w, args) => signIn(w.service, { email: args.email as string }),
  },
  importMembers: { args: async (_w, org) => ({ input: { organisationId: org.id, csv: `email,name,initial_roles,teams\nimported-${fresh()}@example.com,Imported,Member,`, dryRun: true } }) },
  // memberships
  approveMember: { args: async (w, org) => ({ membershipId: await w.member(org, MembershipStatus.PENDING_APPROVAL) }) },
  deactivateMember: { args: async (w, org) => ({ membershipId: await w.member(org) }) },
  reactivateMember: { args: async (w, org) => ({ membershipId: await w.member(org, MembershipStatus.DEACTIVATED) }) },
  removeMember: { args: async (w, org) => ({ membershipId: await w.member(org) }) },
  assignRoles: { args: async (w, org) => ({ input: { organisationId: org.id, membershipIds: [await w.member(org)], roleIds: [await w.role(org)], mode: 'ADD' } }) },
  // teams
  createTeam: { args: async (_w, org) => ({ input: { organisationId: org.id, name: `Team ${fresh()}` } }) },
  updateTeam: { args: async (w, org) => ({ id: await w.team(org), input: { name: `Renamed ${fresh()}` } }) },
  deleteTeam: { args: async (w, org) => ({ id: await w.team(org) }) },
  addTeamMember: { args: async (w, org) => ({ input: { teamId: await w.team(org), membershipId: await w.member(org) } }) },
  setTeamMemberRole: { args: async (w, org) => ({ input: { ...(await placed(w, org)), role: 'MANAGER' } }) },
  removeTeamMember: { args: async (w, org) => placed(w, org) },
  setTeamRoles: { args: async (w, org) => ({ teamId: await w.team(org), roleIds: [await w.role(org)] }) },
  // organisations
  createOrganisation: { platform: true, args: async () => ({ input: { name: 'Agreement', slug: `agreement-${fresh()}`, ownerEmail: `owner-${fresh()}@example.com` } }) },
  updateOrganisation: { args: async (_w, org) => ({ id: org.id, input: { name: `Renamed ${fresh()}` } }) },
  // roles
  createRole: { args: async (_w, org) => ({ input: { organisationId: org.id, name: `Role ${fresh()}`, permissions: ['org:read'] } }) },
  updateRole: { args: async (w, org) => ({ id: await w.role(org), input: { name: `Renamed ${fresh()}` } }) },
  deleteRole: { args: async (w, org) => ({ id: await w.role(org) }) },
  // domains
  requestDomain: { args: async (_w, org) => ({ organisationId: org.id, domain: `agree-${fresh()}.com` }) },
  verifyDomain: { args: async (w, org) => ({ organisationId: org.id, domain: await w.domain(org) }) },
  approveDomain: { platform: true, args: async (w, org) => ({ organisationId: org.id, domain: await w.domain(org) }) },
  removeDomain: { args: async (w, org) => ({ organisationId: org.id, domain: await w.domain(org) }) },
  // webhooks
  createWebhookEndpoint: { args: async (_w, org) => ({ input: { organisationId: org.id, url: 'http://127.0.0.1:9/hook' } }) },
  updateWebhookEndpoint: { args: async (w, org) => ({ id: await w.endpoint(org), input: { description: 'changed' } }) },
  deleteWebhookEndpoint: { args: async (w, org) => ({ id: await w.endpoint(org) }) },
  rotateWebhookSecret: { args: async (w, org) => ({ id: await w.endpoint(org) }) },
  redeliverEvent: {
    args: async (w, org) => {
      const endpointId = await w.endpoint(org);
      const [{ id }] = await w.service.database.dataSource.query('SELECT id FROM events WHERE organisation_id = $1 ORDER BY id DESC LIMIT 1', [org.id]);
      return { endpointId, eventId: id };
    },
  },
  // organisation and user lifecycle (platform cases act on an organisation of their own)
  appointOwner: { platform: true, args: async (_w, org) => ({ organisationId: org.id, email: `appointed-${fresh()}@example.com` }) },
  suspendOrganisation: { platform: true, args: async (w) => ({ id: (await createOrganisation(w.service, w.admin)).id }) },
  reactivateOrganisation: {
    platform: true,
    args: async (w) => {
      const { id } = await createOrganisation(w.service, w.admin);
      await w.q('mutation($id: ID!) { suspendOrganisation(id: $id) { id } }', { id }, w.admin.token);
      return { id };
    },
  },
  deleteOrganisation: { platform: true, args: async (w) => ({ id: (await createOrganisation(w.service, w.admin)).id }) },
  // A second Owner hands over ownership, so the organisation's first Owner stays one for the other cases.
  transferOwnership: {
    args: async (w, org) => ({ organisationId: org.id, toMembershipId: await w.member(org) }),
    caller: async (w) => {
      const owner = await signIn(w.service);
      await addMember(w.service, orgOf(w).id, owner.userId, { builtInRoles: ['owner'] });
      return owner;
    },
  },
  eraseUser: {
    noOrganisation: true,
    args: async (w) => {
      const person = await signIn(w.service);
      return { id: person.userId, person };
    },
    // The right to erasure: the person themselves (platform administrators may erase anyone).
    caller: async (_w, args) => args.person as SignedInUser,
  },
  // time-bound access: elevation requests
  // Every active member may ask, so the member lacking the declared permissions (there are none) may too.
  requestElevation: { expect: { lacking: 'ALLOWED' }, args: async (w, org) => ({ input: { organisationId: org.id, roleId: await w.role(org), hours: 2, reason: 'on call' } }) },
  // Without members:assign-roles (and not its requester) the request is not even visible.
  decideElevation: { expect: { lacking: 'NOT_FOUND' }, args: async (w, org) => ({ id: (await elevation(w, org)).id, approve: true }) },
  cancelElevation: {
    args: async (w, org) => {
      const { id, requester } = await elevation(w, org);
      return { id, requester };
    },
    caller: async (_w, args) => args.requester as SignedInUser,
  },
  // access-review campaigns
  createReviewCampaign: { args: async (_w, org) => ({ input: { organisationId: org.id, name: `Review ${fresh()}`, scope: { kind: 'ALL' }, dueAt: new Date(Date.now() + 86_400_000).toISOString() } }) },
  // Without access:review (and not its reviewer) the item is not even visible.
  decideReviewItem: { expect: { lacking: 'NOT_FOUND' }, args: async (w, org) => ({ id: await reviewItem(w, org), decision: 'KEEP' }) },
  closeReviewCampaign: { args: async (w, org) => ({ id: await w.campaign(org) }) },
};

/** Query entry points that act on a target (the others are `signedIn` and answer null for what you may not see). */
const QUERY_CASES: Record<string, Case> = {
  explainAccess: { args: async (w, org) => ({ organisationId: org.id, userId: org.owner.userId, permission: 'org:read' }) },
  previewRoleChange: { args: async (w, org) => ({ roleId: await w.role(org), permissions: ['org:read', 'teams:read'] }) },
  platformEvents: { platform: true, args: async () => ({ first: 1 }) },
  platformWebhookEndpoints: { platform: true, args: async () => ({}) },
};

async function placed(w: World, org: TestOrganisation): Promise<{ teamId: string; membershipId: string }> {
  const teamId = await w.team(org);
  const membershipId = await w.member(org);
  await w.q('mutation($input: TeamMemberInput!) { addTeamMember(input: $input) { role } }', { input: { teamId, membershipId } }, org.owner.token);
  return { teamId, membershipId };
}

/** A pending elevation request by a new member of `org` (asked with a second factor, for the MFA organisation). */
async function elevation(w: World, org: TestOrganisation): Promise<{ id: string; requester: SignedInUser }> {
  const requester = await signIn(w.service, { amr: ['pwd', 'otp'] });
  await addMember(w.service, org.id, requester.userId, { builtInRoles: ['member'] });
  const input = { organisationId: org.id, roleId: await w.role(org), hours: 2, reason: 'on call' };
  const data = await w.q('mutation($input: RequestElevationInput!) { requestElevation(input: $input) { id } }', { input }, requester.token);
  return { id: data.requestElevation.id, requester };
}

async function reviewItem(w: World, org: TestOrganisation): Promise<string> {
  await w.member(org);
  const campaignId = await w.campaign(org);
  const [{ id }] = await w.service.database.dataSource.query('SELECT id FROM review_items WHERE campaign_id = $1 AND user_id <> $2 ORDER BY id LIMIT 1', [campaignId, org.owner.userId]);
  return id;
}

/** `mutation($a: T!) { field(a: $a) { __typename } }`, from the schema. */
function documentFor(kind: 'mutation' | 'query', field: GraphQLField<unknown, unknown>, args: Record<string, unknown>): string {
  const used = field.args.filter((arg) => args[arg.name] !== undefined);
  const variables = used.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const passed = used.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const named = getNamedType(field.type);
  const selection = isObjectType(named) || isAbstractType(named) ? ' { __typename }' : '';
  return `${kind}${variables ? `(${variables})` : ''} { ${field.name}${passed ? `(${passed})` : ''}${selection} }`;
}

function answerOf(verdict: unknown): Answer {
  if (verdict === true) return 'ALLOWED';
  if (verdict === false) return 'FORBIDDEN';
  return String((verdict as { extensions?: { code?: string } }).extensions?.code ?? `uncoded: ${(verdict as Error).message}`);
}

describe('rule and service agree for every mutation and query entry point', () => {
  let w: World;
  let unruled: GraphQLSchema;
  let orgA: TestOrganisation;
  let orgB: TestOrganisation;
  let orgM: TestOrganisation;
  let requests = 0;

  beforeAll(async () => {
    const dns = await TestDnsServer.start();
    const service = await startTestService({ DNS_SERVERS: dns.server, DNS_TIMEOUT_MS: '500', DNS_TRIES: '1' });
    unruled = await buildAppSchema({ rules: false });
    const admin = await platformAdmin(service);
    const q: World['q'] = async (query, variables, token) => {
      const response = await service.graphql(query, variables, token);
      if (response.errors) throw new Error(`${query}: ${JSON.stringify(response.errors)}`);
      return response.data;
    };
    w = {
      service,
      target: undefined as unknown as TestOrganisation,
      dns,
      admin,
      q,
      async member(org, status = MembershipStatus.ACTIVE) {
        const user = await signIn(service);
        return addMember(service, org.id, user.userId, { builtInRoles: ['member'], status });
      },
      async team(org) {
        return (await q('mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }', { input: { organisationId: org.id, name: `Team ${fresh()}` } }, org.owner.token)).createTeam.id;
      },
      async role(org) {
        return (await q('mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }', { input: { organisationId: org.id, name: `Role ${fresh()}`, permissions: ['org:read'] } }, org.owner.token)).createRole.id;
      },
      async invitation(org, email = `invited-${fresh()}@example.com`) {
        const data = await q('mutation($input: InviteUserInput!) { inviteUser(input: $input) { token invitation { id } } }', { input: { organisationId: org.id, email } }, org.owner.token);
        return { id: data.inviteUser.invitation.id, token: data.inviteUser.token };
      },
      async domain(org) {
        const domain = `agree-${fresh()}.com`;
        const data = await q('mutation($o: ID!, $d: String!) { requestDomain(organisationId: $o, domain: $d) { txtRecordName txtRecordValue } }', { o: org.id, d: domain }, org.owner.token);
        dns.setTxt(data.requestDomain.txtRecordName, data.requestDomain.txtRecordValue);
        return domain;
      },
      async endpoint(org) {
        return (await q('mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }', { input: { organisationId: org.id, url: 'http://127.0.0.1:9/hook' } }, org.owner.token)).createWebhookEndpoint.endpoint.id;
      },
      async campaign(org) {
        const input = { organisationId: org.id, name: `Review ${fresh()}`, scope: { kind: 'ALL' }, dueAt: new Date(Date.now() + 86_400_000).toISOString() };
        return (await q('mutation($input: CreateReviewCampaignInput!) { createReviewCampaign(input: $input) { id } }', { input }, org.owner.token)).createReviewCampaign.id;
      },
    };
    orgA = await createOrganisation(service, admin);
    w.target = orgA;
    orgB = await createOrganisation(service, admin);
    orgM = await createOrganisation(service, admin);
    await service.database.dataSource.query('UPDATE organisations SET require_mfa = true WHERE id = $1', [orgM.id]);
    // Targets there are made with a second factor; the MFA row asks without one (contextFor: hasMfa false).
    orgM.owner = { ...orgM.owner, token: await service.token({ subject: orgM.owner.subject, email: orgM.owner.email, amr: ['pwd', 'otp'] }) };
  });

  afterAll(async () => {
    await w?.service.stop();
    await w?.dns.stop();
  });

  async function contextFor(caller: SignedInUser, options: { platformAdmin?: boolean } = {}): Promise<RequestContext> {
    const user = await w.service.database.dataSource.getRepository(UserEntity).findOneByOrFail({ id: caller.userId });
    const principal: Principal = {
      user,
      identity: { issuer: w.service.idp.issuer, subject: caller.subject, email: caller.email, emailVerified: true, name: null, amr: ['pwd'], claims: {} } as Principal['identity'],
      isPlatformAdmin: options.platformAdmin ?? false,
      hasMfa: false,
    };
    return new RequestContext(w.service.service.services, `agreement-${(requests += 1)}`, principal);
  }

  /** The rule's answer and the service's answer (the operation on the schema without rules) for one caller. */
  async function ask(kind: 'mutation' | 'query', name: string, args: Record<string, unknown>, caller: SignedInUser, options: { platformAdmin?: boolean } = {}): Promise<{ rule: Answer; service: Answer }> {
    const root = kind === 'mutation' ? unruled.getMutationType()! : unruled.getQueryType()!;
    const field = root.getFields()[name];
    const rule = ruleMap[kind === 'mutation' ? 'Mutation' : 'Query'][name];
    const info = { fieldName: name, parentType: root, returnType: field.type } as unknown as GraphQLResolveInfo;
    const ruleAnswer = answerOf(await evaluateRule(rule, undefined, args, await contextFor(caller, options), info));
    const fieldArgs = Object.fromEntries(field.args.filter((arg) => args[arg.name] !== undefined).map((arg) => [arg.name, args[arg.name]]));
    const result = await execute({ schema: unruled, document: parse(documentFor(kind, field, fieldArgs)), variableValues: fieldArgs, contextValue: await contextFor(caller, options) });
    const serviceAnswer = result.errors?.length ? answerOf(result.errors[0]) : 'ALLOWED';
    return { rule: ruleAnswer, service: serviceAnswer };
  }

  /** A member of `org` holding the whole catalogue except `permissions` and whatever implies them. */
  async function lacking(org: TestOrganisation, permissions: readonly string[]): Promise<SignedInUser> {
    const { catalogue } = w.service.service.services;
    const kept = catalogue.keys.filter((key) => !permissions.some((permission) => catalogue.close([key]).has(permission)));
    const manager = w.service.database.dataSource.manager;
    const role = await manager.save(manager.create(RoleEntity, { organisationId: org.id, name: `Lacking ${fresh()}`, description: '', builtInKey: null, permissions: kept }));
    const user = await signIn(w.service);
    await addMember(w.service, org.id, user.userId, { roleIds: [role.id] });
    return user;
  }

  async function agree(kind: 'mutation' | 'query', name: string, entry: Case, declaration: Declaration<any>): Promise<void> {
    const expected: Record<Scenario, Answer> = { lacking: 'FORBIDDEN', foreign: 'NOT_FOUND', mfa: 'MFA_REQUIRED', holding: 'ALLOWED', ...entry.expect };
    const seen: Record<string, { rule: Answer; service: Answer }> = {};
    const args = await entry.args(w, orgA);
    if (entry.platform) {
      seen.lacking = await ask(kind, name, args, orgA.owner);
    } else {
      seen.lacking = await ask(kind, name, args, entry.noOrganisation ? await signIn(w.service) : await lacking(orgA, declaration.permissions));
      if (!entry.noOrganisation) {
        seen.foreign = await ask(kind, name, args, orgB.owner);
        seen.mfa = await ask(kind, name, await entry.args(w, orgM), orgM.owner);
      }
    }
    const holder = entry.caller ? await entry.caller(w, args) : entry.platform ? w.admin : orgA.owner;
    seen.holding = await ask(kind, name, args, holder, { platformAdmin: entry.platform });
    const wanted = Object.fromEntries(Object.keys(seen).map((scenario) => [scenario, { rule: expected[scenario as Scenario], service: expected[scenario as Scenario] }]));
    expect({ [name]: seen }).toEqual({ [name]: wanted });
  }

  it('has a case for every mutation of the schema and no case for a mutation it does not have', () => {
    const mutations = Object.keys(unruled.getMutationType()!.getFields()).sort();
    expect(Object.keys(CASES).sort()).toEqual(mutations);
    const declaredQueries = Object.entries(queryPermissions as Record<string, Declaration<any>>)
      .filter(([, declaration]) => !declaration.description.startsWith('signedIn('))
      .map(([name]) => name)
      .sort();
    expect(Object.keys(QUERY_CASES).sort()).toEqual(declaredQueries);
  });

  // One test per case; the test above compares the cases with the schema, so a mutation added without a case fails.
  const names = Object.keys(CASES).sort();
  it.each(names)('%s', async (name) => {
    const declaration = (mutationPermissions as Record<string, Declaration<any>>)[name];
    expect(declaration).toBeDefined();
    await agree('mutation', name, CASES[name], declaration);
  });

  it.each(Object.keys(QUERY_CASES).sort())('Query.%s', async (name) => {
    await agree('query', name, QUERY_CASES[name], (queryPermissions as Record<string, Declaration<any>>)[name]);
  });
});
