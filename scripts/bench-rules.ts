/**
 * Micro-benchmark of the authorization layer (not a test): the real schema executed in process with
 * in-memory data, three ways — rules off, our rule engine (applyRules), and graphql-shield's own
 * `shield()` through graphql-middleware — on a 1,000-row list. Run: `npm run bench:rules`.
 *
 * Nothing reaches a database: the request context's data source throws if touched, and every
 * DataLoader and access snapshot the query needs is primed before the timer starts.
 * Knobs: BENCH_ROWS (1000), BENCH_ITERATIONS (measured requests per variant and scenario, 200),
 * BENCH_ROUNDS (interleaved rounds the iterations are split into, 20), BENCH_SCENARIO (own|members),
 * BENCH_VARIANTS (comma list of off,ours,shield; rules-off is always measured as the base).
 */
// As deployed: graphql-js skips its development-only instanceof checks in production.
process.env.NODE_ENV ??= 'production';
import 'reflect-metadata';
import os from 'node:os';
import { execute, parse, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { deny, shield } from 'graphql-shield';
import type { IRules } from 'graphql-shield/typings/types';
import { AccessSnapshot } from '../src/access/access-snapshot';
import { evaluatePermissions, type EvaluatedRole } from '../src/access/permission-evaluator';
import type { Principal } from '../src/core/auth/principal';
import { compileRule } from '../src/core/authz/rule-engine';
import { ruleMap } from '../src/core/authz/rule-map';
import type { AppServices } from '../src/core/context/app-services';
import { RequestContext } from '../src/core/context/request-context';
import { buildAppSchema } from '../src/core/graphql/build-schema';
import { loadPermissionCatalogue, type PermissionCatalogue } from '../src/core/permissions/permission-catalogue';
import { MembershipStatus } from '../src/memberships/membership-status';
import { MembershipEntity } from '../src/memberships/membership.entity';
import { OrganisationEntity } from '../src/organisations/organisation.entity';
import { rolePermissions } from '../src/roles/built-in-roles';
import { RoleEntity } from '../src/roles/role.entity';
import { UserEntity } from '../src/users/user.entity';

const ROWS = Number(process.env.BENCH_ROWS ?? 1000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const ORGANISATIONS = 4;

const QUERY = parse(`{
  viewer {
    memberships {
      id status joinedAt
      organisation { id name slug }
      roles { id name }
      user { id displayName email }
    }
  }
}`);

// ---------------------------------------------------------------------------------------------
// In-memory data, shaped like what the loaders return (entity instances, fresh per row).

const uuid = (kind: number, index: number) => `00000000-0000-4000-8${kind.toString(16).padStart(3, '0')}-${index.toString(16).padStart(12, '0')}`;

interface Scenario {
  name: string;
  what: string;
  viewer: UserEntity;
  users: UserEntity[];
  organisations: OrganisationEntity[];
  memberships: MembershipEntity[];
  rolesByMembership: Map<string, RoleEntity[]>;
  snapshots: AccessSnapshot[];
}

function user(index: number): UserEntity {
  return Object.assign(new UserEntity(), {
    id: uuid(1, index),
    issuer: 'https://issuer.example',
    subject: `subject-${index}`,
    email: `person${index}@example.com`,
    emailVerified: true,
    displayName: `Person ${index}`,
    lastSignInAt: new Date(Date.UTC(2025, 0, 1 + (index % 28))),
    createdAt: new Date(Date.UTC(2024, 0, 1)),
    updatedAt: new Date(Date.UTC(2024, 0, 1)),
  });
}

function organisation(index: number): OrganisationEntity {
  return Object.assign(new OrganisationEntity(), {
    id: uuid(2, index),
    name: `Organisation ${index}`,
    slug: `organisation-${index}`,
    invitationExpiryDays: 7,
    requireMfa: false,
    requireApproval: false,
    allowedEmailDomains: [],
    autoJoinDomains: [],
    permissionBoundary: null,
    createdAt: new Date(Date.UTC(2024, 0, 1)),
    updatedAt: new Date(Date.UTC(2024, 0, 1)),
  });
}

function role(index: number, organisationId: string, builtInKey: string | null, name: string): RoleEntity {
  return Object.assign(new RoleEntity(), {
    id: uuid(3, index),
    organisationId,
    name,
    description: '',
    builtInKey,
    permissions: builtInKey ? [] : ['teams:read'],
    createdAt: new Date(Date.UTC(2024, 0, 1)),
    updatedAt: new Date(Date.UTC(2024, 0, 1)),
  });
}

/** The caller's snapshot in an organisation, computed by the real evaluator from its roles there. */
function snapshot(catalogue: PermissionCatalogue, organisationId: string, membershipId: string, roles: EvaluatedRole[]): AccessSnapshot {
  const result = evaluatePermissions(
    { membershipStatus: MembershipStatus.ACTIVE, directRoles: roles, teams: [], boundary: null, requireMfa: false, hasMfa: true },
    catalogue,
    (evaluated) => rolePermissions(evaluated, catalogue),
  );
  return new AccessSnapshot(organisationId, membershipId, result);
}

/**
 * `own`: the caller's own memberships (self paths: own membership, roles held, own user).
 * `members`: one row per member, each a different user (permission paths: members:read,
 * members:read-contact for emails, active member for role names) — the 1,000-user list of issue 3.
 */
function buildScenario(kind: 'own' | 'members', catalogue: PermissionCatalogue, callerRole: string): Scenario {
  const viewer = user(0);
  const organisations = Array.from({ length: ORGANISATIONS }, (_, index) => organisation(index));
  const users = kind === 'own' ? [viewer] : Array.from({ length: ROWS }, (_, index) => user(index + 1));
  const memberships: MembershipEntity[] = [];
  const rolesByMembership = new Map<string, RoleEntity[]>();
  for (let index = 0; index < ROWS; index += 1) {
    const owner = organisations[index % ORGANISATIONS];
    const membership = Object.assign(new MembershipEntity(), {
      id: uuid(4, index),
      organisationId: owner.id,
      userId: kind === 'own' ? viewer.id : users[index].id,
      status: MembershipStatus.ACTIVE,
      joinedAt: new Date(Date.UTC(2024, 1, 1 + (index % 28))),
      deactivatedAt: null,
      createdAt: new Date(Date.UTC(2024, 1, 1)),
      updatedAt: new Date(Date.UTC(2024, 1, 1)),
    });
    memberships.push(membership);
    rolesByMembership.set(membership.id, [role(index * 2, owner.id, 'member', 'Member'), role(index * 2 + 1, owner.id, null, 'Reviewer')]);
  }
  const snapshots = organisations.map((owner, index) => snapshot(catalogue, owner.id, uuid(5, index), [{ builtInKey: callerRole, permissions: [] }]));
  return {
    name: kind,
    what: kind === 'own' ? `caller's own ${ROWS} memberships (self paths)` : `${ROWS} members, distinct users, caller ${callerRole} (permission paths)`,
    viewer,
    users,
    organisations,
    memberships,
    rolesByMembership,
    snapshots,
  };
}

// ---------------------------------------------------------------------------------------------
// A request context with everything primed; anything that would reach the database throws.

function refuseEverything(what: string): any {
  return new Proxy(
    {},
    {
      get(_target, property) {
        throw new Error(`bench-rules: ${what}.${String(property)} was used; the benchmark must not reach the database`);
      },
    },
  );
}

function benchServices(catalogue: PermissionCatalogue): AppServices {
  const provided: Record<string, unknown> = { catalogue, dataSource: refuseEverything('dataSource') };
  return new Proxy(provided, {
    get(target, property) {
      if (typeof property === 'string' && property in target) return target[property];
      if (property === 'then') return undefined; // not a thenable
      throw new Error(`bench-rules: services.${String(property)} was used`);
    },
  }) as unknown as AppServices;
}

function principalOf(viewer: UserEntity): Principal {
  return {
    user: viewer,
    identity: { issuer: viewer.issuer as string, subject: viewer.subject as string, email: viewer.email, emailVerified: true, name: null, amr: ['pwd', 'otp'], claims: {} },
    isPlatformAdmin: false,
    hasMfa: true,
  };
}

let requestCounter = 0;

function primedContext(services: AppServices, scenario: Scenario): RequestContext {
  const ctx = new RequestContext(services, `bench-${(requestCounter += 1)}`, principalOf(scenario.viewer));
  const { loaders } = ctx;
  loaders.membershipsByUserId.prime(scenario.viewer.id, scenario.memberships);
  for (const owner of scenario.organisations) loaders.organisationById.prime(owner.id, owner);
  for (const member of scenario.users) loaders.userById.prime(member.id, member);
  for (const [membershipId, roles] of scenario.rolesByMembership) loaders.rolesByMembershipId.prime(membershipId, roles);
  for (const known of scenario.snapshots) ctx.primeAccess(known);
  return ctx;
}

// ---------------------------------------------------------------------------------------------
// Measurement.

interface Variant {
  name: string;
  schema: GraphQLSchema;
  share: number; // fraction of ITERATIONS (graphql-shield is slow: fewer, same statistics)
}

interface Samples {
  wallMs: number[];
  cpuMicros: number;
}

async function runOnce(variant: Variant, services: AppServices, scenario: Scenario): Promise<ExecutionResult> {
  return execute({ schema: variant.schema, document: QUERY, contextValue: primedContext(services, scenario) }) as Promise<ExecutionResult>;
}

async function sample(variant: Variant, services: AppServices, scenario: Scenario, count: number, into: Samples): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const contextValue = primedContext(services, scenario);
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    const result = (await execute({ schema: variant.schema, document: QUERY, contextValue })) as ExecutionResult;
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage(cpuBefore);
    if (result.errors) throw new Error(`${variant.name}: ${result.errors[0].message}`);
    into.wallMs.push(elapsed);
    into.cpuMicros += cpu.user + cpu.system;
  }
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

interface Figures {
  variant: string;
  requests: number;
  perSecond: number;
  meanMs: number;
  p95Ms: number;
  cpuMs: number;
}

function figures(variant: string, samples: Samples): Figures {
  const sorted = [...samples.wallMs].sort((left, right) => left - right);
  const meanMs = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { variant, requests: sorted.length, perSecond: 1000 / meanMs, meanMs, p95Ms: percentile(sorted, 0.95), cpuMs: samples.cpuMicros / 1000 / sorted.length };
}

/** Same data, no errors, in every variant: the rules allowed exactly what rules-off returns. */
async function assertSameAnswers(variants: Variant[], services: AppServices, scenario: Scenario): Promise<void> {
  const answers = await Promise.all(variants.map((variant) => runOnce(variant, services, scenario)));
  answers.forEach((answer, index) => {
    if (answer.errors) throw new Error(`${variants[index].name} (${scenario.name}): ${answer.errors[0].message}`);
    const rows = (answer.data as any)?.viewer?.memberships?.length;
    if (rows !== ROWS) throw new Error(`${variants[index].name} (${scenario.name}): ${rows} rows instead of ${ROWS}`);
  });
  const reference = JSON.stringify(answers[0].data);
  answers.forEach((answer, index) => {
    if (JSON.stringify(answer.data) !== reference) throw new Error(`${variants[index].name} (${scenario.name}) answered differently from ${variants[0].name}`);
  });
}

/** The rules are really on: a Viewer-role caller (no members:read-contact) gets every email refused. */
async function assertEmailsRefused(variants: Variant[], services: AppServices, catalogue: PermissionCatalogue): Promise<string> {
  const scenario = buildScenario('members', catalogue, 'viewer');
  const lines: string[] = [];
  for (const variant of variants) {
    const answer = await runOnce(variant, services, scenario);
    const refused = (answer.errors ?? []).filter((error) => error.path?.at(-1) === 'email').length;
    const expected = variant.name === 'rules off' ? 0 : ROWS;
    if (refused !== expected) throw new Error(`${variant.name}: ${refused} emails refused for a Viewer, expected ${expected}`);
    lines.push(`${variant.name}: ${refused}`);
  }
  return lines.join(', ');
}

async function benchmark(variants: Variant[], services: AppServices, scenario: Scenario): Promise<Figures[]> {
  await assertSameAnswers(variants, services, scenario);
  const samples = variants.map((): Samples => ({ wallMs: [], cpuMicros: 0 }));
  for (const variant of variants) {
    await sample(variant, services, scenario, Math.max(5, Math.round((ITERATIONS / 4) * variant.share)), { wallMs: [], cpuMicros: 0 }); // warm-up
  }
  // Interleaved rounds, order rotated, so drift (heat, GC, other load) spreads over every variant.
  for (let round = 0; round < ROUNDS; round += 1) {
    for (let offset = 0; offset < variants.length; offset += 1) {
      const index = (round + offset) % variants.length;
      const count = Math.max(2, Math.round((ITERATIONS / ROUNDS) * variants[index].share));
      await sample(variants[index], services, scenario, count, samples[index]);
    }
  }
  return variants.map((variant, index) => figures(variant.name, samples[index]));
}

const pad = (value: string, width: number) => value.padStart(width);

function table(scenario: Scenario, results: Figures[]): string {
  const base = results[0];
  const header = `${'variant'.padEnd(24)}${pad('req/s', 9)}${pad('mean ms', 10)}${pad('p95 ms', 9)}${pad('CPU ms/req', 12)}${pad('throughput cost', 17)}${pad('CPU cost', 10)}${pad('n', 6)}`;
  const lines = results.map((row) => {
    const throughputCost = row === base ? '—' : `${((1 - row.perSecond / base.perSecond) * 100).toFixed(1)} %`;
    const cpuCost = row === base ? '—' : `${((row.cpuMs / base.cpuMs - 1) * 100).toFixed(1)} %`;
    return `${row.variant.padEnd(24)}${pad(row.perSecond.toFixed(1), 9)}${pad(row.meanMs.toFixed(2), 10)}${pad(row.p95Ms.toFixed(2), 9)}${pad(row.cpuMs.toFixed(2), 12)}${pad(throughputCost, 17)}${pad(cpuCost, 10)}${pad(String(row.requests), 6)}`;
  });
  return [`scenario "${scenario.name}": ${scenario.what}`, header, ...lines].join('\n');
}

async function main(): Promise<void> {
  const startLoad = os.loadavg()[0];
  const catalogue = loadPermissionCatalogue();
  const services = benchServices(catalogue);
  const naive = applyMiddleware(
    await buildAppSchema({ rules: false }),
    shield(ruleMap as IRules, { fallbackRule: deny, allowExternalErrors: true }),
  );
  const wanted = (process.env.BENCH_VARIANTS ?? 'off,ours,shield').split(',');
  const variants: Variant[] = [
    { name: 'rules off', schema: await buildAppSchema({ rules: false }), share: 1 },
    ...(wanted.includes('ours') ? [{ name: 'ours (applyRules)', schema: await buildAppSchema(), share: 1 }] : []),
    ...(wanted.includes('shield') ? [{ name: 'graphql-shield naive', schema: naive, share: 0.15 }] : []),
  ];
  const only = process.env.BENCH_SCENARIO;
  console.log(`bench:rules — node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), NODE_ENV=${process.env.NODE_ENV}, ${ROWS} rows, requests per variant in ${ROUNDS} interleaved rounds (column n)`);
  console.log(`query: ${QUERY.loc?.source.body.replace(/\s+/g, ' ').trim()}`);
  console.log(`rules really on — emails refused to a Viewer-role caller: ${await assertEmailsRefused(variants, services, catalogue)}`);
  const awaiting = [...new Set(Object.values(ruleMap).flatMap((fields) => Object.values(fields).flatMap((candidate) => compileRule(candidate).awaits)))];
  console.log(`rules written as async functions (every field they guard becomes asynchronous): ${awaiting.join(', ') || 'none'}\n`);
  for (const kind of ['own', 'members'] as const) {
    if (only && only !== kind) continue;
    const scenario = buildScenario(kind, catalogue, kind === 'own' ? 'member' : 'admin');
    console.log(table(scenario, await benchmark(variants, services, scenario)));
    console.log('');
  }
  console.log('req/s = 1000 / mean wall ms of one execute() (one request at a time); throughput cost = 1 − req/s ÷ rules-off req/s;');
  console.log('CPU cost = CPU ms per request ÷ rules-off CPU ms per request − 1 (steadier than wall time on a shared machine).');
  console.log(`load average (1 min) at start ${startLoad.toFixed(2)}, at end ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} CPUs: well above the CPU count means other work shared the machine.`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
