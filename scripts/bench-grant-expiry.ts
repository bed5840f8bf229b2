/**
 * Micro-benchmark of the cost of time-bound grants in the permission evaluator (not a test). Run:
 * `npm run bench:grant-expiry`. What a request pays to know a member's permissions is parsing the
 * access row's JSON (direct roles and team places, as the access snapshot loader's one statement
 * answers it) and evaluating it; this measures both for pages of members whose grants are:
 *
 * - `none`: no time-bound grant (the loader writes expiresAt only for time-bound grants);
 * - `20%`: one grant (direct role or team place) in five carries an expiry, a quarter of those already past;
 * - `before`: the evaluator as it was before time-bound access (no expiry check) on the `none` rows,
 *   so the cost for organisations that use no time-bound grant shows too.
 *
 * Variants are interleaved over BENCH_ROUNDS rounds (default 30) of BENCH_ITERATIONS pages (default
 * 200) of BENCH_MEMBERS members (default 100), each with 3 direct roles and 2 team places granting 2
 * roles; the median CPU time per page (process.cpuUsage, user + system) is reported.
 */
process.env.NODE_ENV ??= 'production';
import 'reflect-metadata';
import os from 'node:os';
import { TEAM_MANAGER_PERMISSIONS } from '../src/core/permissions/built-in-permissions';
import { loadPermissionCatalogue, type PermissionCatalogue } from '../src/core/permissions/permission-catalogue';
import { evaluatePermissions, type EvaluatedRole, type EvaluationInput, type EvaluationResult } from '../src/access/permission-evaluator';
import { MembershipStatus } from '../src/memberships/membership-status';
import { rolePermissions } from '../src/roles/built-in-roles';
import { TeamMemberRole } from '../src/teams/team-member-role';
import { mfaWithholdsEverything, mfaWithholdsRole, type MfaPolicy } from '../src/access/mfa-policy';
import { organisationRefusal } from '../src/organisations/organisation-status';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 100);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);

const catalogue = loadPermissionCatalogue();
const permissionsOf = (role: EvaluatedRole) => rolePermissions(role, catalogue);

/** The evaluator just before time-bound access (git history: with the MFA policy and organisation status), kept here as the reference. */
const NONE: ReadonlySet<string> = new Set();
function evaluateBefore(input: EvaluationInput, cat: PermissionCatalogue, rolePerms: (role: EvaluatedRole) => readonly string[]): EvaluationResult {
  const nothing: EvaluationResult = { permissions: NONE, teamPermissions: new Map(), owner: false, mfaRequired: false, mfaWithholds: NONE };
  if (input.membershipStatus !== MembershipStatus.ACTIVE) return nothing;
  const refusal = organisationRefusal(input.organisationStatus);
  if (refusal) return { ...nothing, refusal };
  const bound = (keys: Iterable<string>): Set<string> => {
    const closed = cat.close(keys);
    if (input.boundary === null) return closed;
    const boundary = new Set(input.boundary);
    return new Set([...closed].filter((key) => boundary.has(key)));
  };
  const policy: MfaPolicy = { requiredForAll: input.requireMfa, requiredForRoleIds: input.mfaRoleIds ?? [], graceUntil: input.mfaGraceUntil ?? null };
  const now = input.now ?? new Date();
  if (mfaWithholdsEverything(policy, input.hasMfa, now)) return { ...nothing, mfaRequired: true, mfaWithholds: bound(cat.keys) };
  const allRoles = [...input.directRoles, ...input.teams.flatMap((team) => team.grantedRoles)];
  const roles = allRoles.filter((role) => !mfaWithholdsRole(policy, role, input.hasMfa, now));
  const permissions = bound(roles.flatMap((role) => [...rolePerms(role)]));
  const withheld = roles.length === allRoles.length ? NONE : new Set([...bound(allRoles.flatMap((role) => [...rolePerms(role)]))].filter((key) => !permissions.has(key)));
  const teamPermissions = new Map<string, ReadonlySet<string>>();
  for (const team of input.teams) {
    if (team.place !== TeamMemberRole.MANAGER) continue;
    const scoped = bound(TEAM_MANAGER_PERMISSIONS);
    for (const key of permissions) scoped.add(key);
    teamPermissions.set(team.teamId, scoped);
  }
  return { permissions, teamPermissions, owner: roles.some((role) => role.builtInKey === 'owner'), mfaRequired: roles.length < allRoles.length, mfaWithholds: withheld };
}

const CUSTOM = [['members:read', 'teams:read'], ['roles:read', 'invitations:read'], ['audit:read'], ['teams:update'], ['org:read', 'members:invite']];
let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);

/** The JSON text of one page's access rows, as PostgreSQL answers the loader's json_agg columns. */
function pageJson(shape: 'before' | 'none' | '20%'): string[] {
  const now = Date.now();
  // The loader writes expiresAt only for a time-bound grant (permanent ones look as they did before).
  const expiry = () => (shape === '20%' && random() < 0.2 ? (random() < 0.25 ? now - 3_600_000 : now + 86_400_000) : undefined);
  const role = (i: number) => ({ id: `00000000-0000-4000-8000-00000000000${i % CUSTOM.length}`, builtInKey: i % 7 === 0 ? 'manager' : null, permissions: CUSTOM[i % CUSTOM.length] });
  return Array.from({ length: MEMBERS }, (_unused, m) =>
    JSON.stringify({
      direct_roles: [0, 1, 2].map((i) => {
        const expiresAt = expiry();
        return { ...role(m + i), ...(expiresAt === undefined ? {} : { expiresAt }) };
      }),
      teams: [0, 1].map((t) => ({
        teamId: `team-${t}`,
        place: t === 0 && m % 5 === 0 ? TeamMemberRole.MANAGER : TeamMemberRole.MEMBER,
        grantedRoles: [role(m + t + 3), role(m + t + 4)],
        ...((expiresAt) => (expiresAt === undefined ? {} : { expiresAt }))(expiry()),
      })),
    }),
  );
}

type Evaluate = typeof evaluatePermissions;

function runPage(rows: string[], evaluate: Evaluate): number {
  let total = 0;
  for (const text of rows) {
    const row = JSON.parse(text);
    const result = evaluate(
      { membershipStatus: MembershipStatus.ACTIVE, directRoles: row.direct_roles, teams: row.teams, boundary: null, requireMfa: false, hasMfa: null },
      catalogue,
      permissionsOf,
    );
    total += result.permissions.size;
  }
  return total;
}

function cpuMicros(work: () => void): number {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function main(): void {
  const variants: { name: string; rows: string[]; evaluate: Evaluate }[] = [
    { name: 'before', rows: pageJson('before'), evaluate: evaluateBefore },
    { name: 'none', rows: pageJson('none'), evaluate: evaluatePermissions },
    { name: '20%', rows: pageJson('20%'), evaluate: evaluatePermissions },
  ];
  // Warm-up: the JIT settles before anything is measured.
  for (const variant of variants) for (let i = 0; i < ITERATIONS; i += 1) runPage(variant.rows, variant.evaluate);
  const samples = new Map<string, number[]>(variants.map((variant) => [variant.name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
      const micros = cpuMicros(() => {
        for (let i = 0; i < ITERATIONS; i += 1) runPage(variant.rows, variant.evaluate);
      });
      (samples.get(variant.name) as number[]).push(micros / ITERATIONS);
    }
  }
  const perPage = Object.fromEntries([...samples].map(([name, values]) => [name, median(values)]));
  const pct = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(1)}%`;
  process.stdout.write(
    [
      `grant expiry evaluator benchmark: ${MEMBERS} members a page, ${ITERATIONS} pages × ${ROUNDS} rounds, ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
      `  CPU per page (median): before ${perPage.before.toFixed(0)} µs, none ${perPage.none.toFixed(0)} µs, 20% time-bound ${perPage['20%'].toFixed(0)} µs`,
      `  20% time-bound vs none: ${pct(perPage['20%'], perPage.none)}; none vs before: ${pct(perPage.none, perPage.before)}; 20% time-bound vs before: ${pct(perPage['20%'], perPage.before)}`,
      '',
    ].join('\n'),
  );
}

main();
