import fc from 'fast-check';
import { BUILT_IN_PERMISSIONS, type PermissionDefinition } from '../core/permissions/built-in-permissions';
import { CatalogueError, PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { MembershipStatus } from '../memberships/membership-status';
import { rolePermissions } from '../roles/built-in-roles';
import { TeamMemberRole } from '../teams/team-member-role';
import { evaluatePermissions, type EvaluatedRole, type EvaluatedTeamPlace, type EvaluationInput, type EvaluationResult } from './permission-evaluator';

/** Deterministic runs. */
const RUN = { seed: 0x5eed_2024, numRuns: 200 } as const;

// ---------------------------------------------------------------------------------------------
// Independent reference model (DESIGN.md §3), written without the catalogue's closure code.
// ---------------------------------------------------------------------------------------------

/** Team-manager permissions as written in the spec (not imported, on purpose). */
const SPEC_TEAM_MANAGER = ['teams:read', 'teams:update', 'teams:manage-members', 'members:read'];
/** Fixed built-in roles as written in the spec. */
const SPEC_FIXED_ROLES: Record<string, string[]> = {
  manager: ['org:read', 'members:read', 'teams:read', 'roles:read', 'invitations:read'],
  member: ['org:read', 'members:read', 'teams:read', 'roles:read'],
  viewer: ['org:read', 'members:read', 'teams:read'],
};

/** Naive fixpoint closure: keep adding implied keys until nothing changes; unknown keys never enter. */
function referenceClose(definitions: readonly PermissionDefinition[], keys: Iterable<string>): Set<string> {
  const implies = new Map<string, readonly string[]>();
  for (const definition of definitions) implies.set(definition.key, definition.implies);
  const result = new Set<string>();
  for (const key of keys) if (implies.has(key)) result.add(key);
  let changed = true;
  while (changed) {
    changed = false;
    for (const key of [...result]) {
      for (const implied of implies.get(key) ?? []) {
        if (!result.has(implied)) {
          result.add(implied);
          changed = true;
        }
      }
    }
  }
  return result;
}

function intersect(keys: ReadonlySet<string>, boundary: readonly string[] | null): Set<string> {
  if (boundary === null) return new Set(keys);
  const result = new Set<string>();
  for (const key of keys) if (boundary.includes(key)) result.add(key);
  return result;
}

function referenceRolePermissions(definitions: readonly PermissionDefinition[], role: EvaluatedRole): readonly string[] {
  if (role.builtInKey === null) return role.permissions;
  if (role.builtInKey === 'owner' || role.builtInKey === 'admin') return definitions.map((definition) => definition.key);
  return SPEC_FIXED_ROLES[role.builtInKey] ?? [];
}

interface ReferenceResult {
  permissions: string[];
  teamPermissions: Record<string, string[]>;
  owner: boolean;
  mfaRequired: boolean;
}

function referenceEvaluate(definitions: readonly PermissionDefinition[], input: EvaluationInput): ReferenceResult {
  const nothing = { permissions: [], teamPermissions: {}, owner: false, mfaRequired: false };
  if (input.membershipStatus !== MembershipStatus.ACTIVE) return nothing;
  if (input.requireMfa && input.hasMfa === false) return { ...nothing, mfaRequired: true };
  const roles: EvaluatedRole[] = [...input.directRoles];
  for (const team of input.teams) roles.push(...team.grantedRoles);
  const granted = new Set<string>();
  for (const role of roles) for (const key of referenceRolePermissions(definitions, role)) granted.add(key);
  const permissions = intersect(referenceClose(definitions, granted), input.boundary);
  const teamPermissions: Record<string, string[]> = {};
  for (const team of input.teams) {
    if (team.place !== TeamMemberRole.MANAGER) continue;
    const scoped = intersect(referenceClose(definitions, SPEC_TEAM_MANAGER), input.boundary);
    teamPermissions[team.teamId] = sorted([...scoped, ...permissions]);
  }
  return { permissions: sorted(permissions), teamPermissions, owner: roles.some((role) => role.builtInKey === 'owner'), mfaRequired: false };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function sorted(keys: Iterable<string>): string[] {
  return [...new Set(keys)].sort();
}

function normalise(result: EvaluationResult): ReferenceResult {
  return {
    permissions: sorted(result.permissions),
    teamPermissions: Object.fromEntries([...result.teamPermissions].map(([teamId, keys]) => [teamId, sorted(keys)])),
    owner: result.owner,
    mfaRequired: result.mfaRequired,
  };
}

function evaluateWith(definitions: readonly PermissionDefinition[], input: EvaluationInput): EvaluationResult {
  const catalogue = new PermissionCatalogue([...definitions]);
  return evaluatePermissions(input, catalogue, (role) => rolePermissions({ builtInKey: role.builtInKey, permissions: [...role.permissions] }, catalogue));
}

function isSubset(small: Iterable<string>, big: ReadonlySet<string>): boolean {
  for (const key of small) if (!big.has(key)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const wordArb = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'z'), minLength: 1, maxLength: 3 });
const keyArb = fc.tuple(wordArb, wordArb).map(([left, right]) => `${left}:${right}`);

/**
 * A random catalogue: random keys matching /^[a-z]+:[a-z]+$/ (sometimes on top of the built-ins), each
 * implying only keys of a lower index (so acyclic), presented in a shuffled order.
 */
const definitionsArb: fc.Arbitrary<PermissionDefinition[]> = fc
  .tuple(fc.boolean(), fc.uniqueArray(keyArb, { minLength: 1, maxLength: 10 }))
  .chain(([withBuiltIns, randomKeys]) => {
    const base = withBuiltIns ? BUILT_IN_PERMISSIONS.map((definition) => ({ ...definition, implies: [...definition.implies] })) : [];
    const fresh = randomKeys.filter((key) => !base.some((definition) => definition.key === key));
    const safeFresh = fresh.length > 0 || base.length > 0 ? fresh : ['a:a'];
    const offset = base.length;
    return fc
      .array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: safeFresh.length, maxLength: safeFresh.length })
      .map((picks) => {
        const all: PermissionDefinition[] = [...base];
        safeFresh.forEach((key, i) => {
          const index = offset + i;
          const implies = index === 0 ? [] : sorted(picks[i].map((pick) => all[pick % index].key));
          all.push({ key, description: '', implies });
        });
        return all;
      })
      .chain((all) => fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }));
  });

const BUILT_IN_ROLE_KEYS = ['owner', 'admin', 'manager', 'member', 'viewer', 'bogus'];
const UNKNOWN_KEYS = ['zz:unknown', 'hr:manage'];

function roleArb(keys: readonly string[]): fc.Arbitrary<EvaluatedRole> {
  const permissionArb = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN_KEYS) });
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ builtInKey: fc.constant(null), permissions: fc.array(permissionArb, { maxLength: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ builtInKey: fc.constantFrom(...BUILT_IN_ROLE_KEYS), permissions: fc.array(permissionArb, { maxLength: 2 }) }) },
  );
}

function teamsArb(keys: readonly string[]): fc.Arbitrary<EvaluatedTeamPlace[]> {
  return fc
    .array(
      fc.record({
        place: fc.constantFrom(TeamMemberRole.MANAGER, TeamMemberRole.MEMBER),
        grantedRoles: fc.array(roleArb(keys), { maxLength: 2 }),
      }),
      { maxLength: 4 },
    )
    .map((teams) => teams.map((team, i) => ({ teamId: `team-${i}`, ...team })));
}

function inputArb(keys: readonly string[], active = false): fc.Arbitrary<EvaluationInput> {
  const statusArb: fc.Arbitrary<MembershipStatus | null> = active
    ? fc.constant(MembershipStatus.ACTIVE)
    : fc.oneof(
        { weight: 3, arbitrary: fc.constant(MembershipStatus.ACTIVE) },
        { weight: 1, arbitrary: fc.constantFrom(null, MembershipStatus.PENDING_APPROVAL, MembershipStatus.DEACTIVATED) },
      );
  const mfaArb = active
    ? fc.oneof(
        fc.record({ requireMfa: fc.constant(false), hasMfa: fc.constantFrom(true, false, null) }),
        fc.record({ requireMfa: fc.constant(true), hasMfa: fc.constantFrom(true, null) }),
      )
    : fc.record({ requireMfa: fc.boolean(), hasMfa: fc.constantFrom(true, false, null) });
  return fc
    .record({
      membershipStatus: statusArb,
      directRoles: fc.array(roleArb(keys), { maxLength: 3 }),
      teams: teamsArb(keys),
      boundary: fc.option(fc.subarray([...keys, ...UNKNOWN_KEYS]), { nil: null, freq: 3 }),
      mfa: mfaArb,
    })
    .map(({ mfa, ...rest }) => ({ ...rest, ...mfa }));
}

interface Scenario {
  definitions: PermissionDefinition[];
  input: EvaluationInput;
}

function scenarioArb(active = false): fc.Arbitrary<Scenario> {
  return definitionsArb.chain((definitions) => {
    const keys = definitions.map((definition) => definition.key);
    return fc.record({ definitions: fc.constant(definitions), input: inputArb(keys, active) });
  });
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe('PermissionCatalogue (property-based)', () => {
  it('generated catalogues are valid and close() equals the naive fixpoint closure', () => {
    fc.assert(
      fc.property(
        definitionsArb.chain((definitions) => {
          const keys = definitions.map((definition) => definition.key);
          return fc.tuple(fc.constant(definitions), fc.array(fc.constantFrom(...keys, ...UNKNOWN_KEYS), { maxLength: 6 }));
        }),
        ([definitions, request]) => {
          const builtIn = new Set(BUILT_IN_PERMISSIONS.map((definition) => definition.key));
          for (const definition of definitions) if (!builtIn.has(definition.key)) expect(definition.key).toMatch(/^[a-z]+:[a-z]+$/);
          const catalogue = new PermissionCatalogue([...definitions]);
          expect(sorted(catalogue.close(request))).toEqual(sorted(referenceClose(definitions, request)));
          for (const definition of definitions) {
            expect(sorted(catalogue.impliedBy(definition.key))).toEqual(sorted(referenceClose(definitions, [definition.key])));
          }
        },
      ),
      RUN,
    );
  });

  it('adding an implication that closes a loop is always refused as a cycle', () => {
    fc.assert(
      fc.property(definitionsArb, fc.nat(), fc.nat(), (definitions, pickFrom, pickBack) => {
        // Pick a key, and a key it reaches (possibly itself): making the reached key imply the first closes a cycle.
        const from = definitions[pickFrom % definitions.length];
        const reached = sorted(referenceClose(definitions, [from.key]));
        const back = reached[pickBack % reached.length];
        const cyclic = definitions.map((definition) =>
          definition.key === back ? { ...definition, implies: [...definition.implies, from.key] } : definition,
        );
        let error: unknown;
        try {
          new PermissionCatalogue(cyclic);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(CatalogueError);
        expect((error as Error).message).toMatch(/cycle/);
      }),
      RUN,
    );
  });
});

describe('evaluatePermissions (property-based)', () => {
  it('agrees with the independent reference model', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ definitions, input }) => {
        expect(normalise(evaluateWith(definitions, input))).toEqual(referenceEvaluate(definitions, input));
      }),
      RUN,
    );
  });

  it('agrees with the reference model for active members not blocked by MFA', () => {
    fc.assert(
      fc.property(scenarioArb(true), ({ definitions, input }) => {
        const result = evaluateWith(definitions, input);
        expect(result.mfaRequired).toBe(false);
        expect(normalise(result)).toEqual(referenceEvaluate(definitions, input));
      }),
      RUN,
    );
  });

  it('grants nothing unless ACTIVE, and nothing but mfaRequired when MFA is required and not shown', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ definitions, input }) => {
        const result = evaluateWith(definitions, input);
        const blocked = input.membershipStatus !== MembershipStatus.ACTIVE || (input.requireMfa && input.hasMfa === false);
        if (blocked) {
          expect(result.permissions.size).toBe(0);
          expect(result.teamPermissions.size).toBe(0);
          expect(result.owner).toBe(false);
        }
        expect(result.mfaRequired).toBe(input.membershipStatus === MembershipStatus.ACTIVE && input.requireMfa && input.hasMfa === false);
      }),
      RUN,
    );
  });

  it('stays within the boundary and the catalogue, everywhere including team scope', () => {
    fc.assert(
      fc.property(scenarioArb(), ({ definitions, input }) => {
        const result = evaluateWith(definitions, input);
        const known = new Set(definitions.map((definition) => definition.key));
        const allowed = input.boundary === null ? known : new Set(input.boundary.filter((key) => known.has(key)));
        expect(isSubset(result.permissions, allowed)).toBe(true);
        for (const scoped of result.teamPermissions.values()) expect(isSubset(scoped, allowed)).toBe(true);
      }),
      RUN,
    );
  });

  it('is closed under implication (closure first, then ∩ boundary): closing again and cutting changes nothing', () => {
    fc.assert(
      fc.property(scenarioArb(true), ({ definitions, input }) => {
        const result = evaluateWith(definitions, input);
        const reclosed = intersect(referenceClose(definitions, result.permissions), input.boundary);
        expect(sorted(reclosed)).toEqual(sorted(result.permissions));
        for (const scoped of result.teamPermissions.values()) {
          expect(sorted(intersect(referenceClose(definitions, scoped), input.boundary))).toEqual(sorted(scoped));
          // Team scope is on top of, never instead of, what the member holds anywhere.
          expect(isSubset(result.permissions, new Set(scoped))).toBe(true);
        }
      }),
      RUN,
    );
  });

  it('is monotonic: adding a role (directly or through a team) never removes a permission', () => {
    const arb = scenarioArb(true).chain((scenario) => {
      const keys = scenario.definitions.map((definition) => definition.key);
      return fc.record({ scenario: fc.constant(scenario), extra: roleArb(keys), where: fc.nat() });
    });
    fc.assert(
      fc.property(arb, ({ scenario: { definitions, input }, extra, where }) => {
        const slot = where % (input.teams.length + 1);
        const more: EvaluationInput =
          slot === input.teams.length
            ? { ...input, directRoles: [...input.directRoles, extra] }
            : { ...input, teams: input.teams.map((team, i) => (i === slot ? { ...team, grantedRoles: [...team.grantedRoles, extra] } : team)) };
        const before = evaluateWith(definitions, input);
        const after = evaluateWith(definitions, more);
        expect(isSubset(before.permissions, after.permissions)).toBe(true);
        for (const [teamId, scoped] of before.teamPermissions) {
          const afterScoped = after.teamPermissions.get(teamId);
          expect(afterScoped).toBeDefined();
          expect(isSubset(scoped, afterScoped as ReadonlySet<string>)).toBe(true);
        }
        if (before.owner) expect(after.owner).toBe(true);
      }),
      RUN,
    );
  });

  it('does not depend on the order of roles, teams or catalogue definitions', () => {
    const arb = scenarioArb().chain((scenario) =>
      fc.record({
        scenario: fc.constant(scenario),
        directRoles: fc.shuffledSubarray([...scenario.input.directRoles], { minLength: scenario.input.directRoles.length, maxLength: scenario.input.directRoles.length }),
        teams: fc.shuffledSubarray([...scenario.input.teams], { minLength: scenario.input.teams.length, maxLength: scenario.input.teams.length }),
        definitions: fc.shuffledSubarray(scenario.definitions, { minLength: scenario.definitions.length, maxLength: scenario.definitions.length }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ scenario, directRoles, teams, definitions }) => {
        const original = normalise(evaluateWith(scenario.definitions, scenario.input));
        const shuffled = normalise(evaluateWith(definitions, { ...scenario.input, directRoles, teams }));
        expect(shuffled).toEqual(original);
      }),
      RUN,
    );
  });

  it('a team MANAGER place holds the (bounded) team-manager permissions that exist in the catalogue; a MEMBER place holds no team scope', () => {
    fc.assert(
      fc.property(scenarioArb(true), ({ definitions, input }) => {
        const result = evaluateWith(definitions, input);
        const known = new Set(definitions.map((definition) => definition.key));
        for (const team of input.teams) {
          const scoped = result.teamPermissions.get(team.teamId);
          if (team.place === TeamMemberRole.MEMBER) {
            expect(scoped).toBeUndefined();
            continue;
          }
          expect(scoped).toBeDefined();
          for (const key of SPEC_TEAM_MANAGER) {
            const expected = known.has(key) && (input.boundary === null || input.boundary.includes(key));
            expect((scoped as ReadonlySet<string>).has(key)).toBe(expected);
          }
        }
      }),
      RUN,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Time-bound grants: random expiries, judged at random instants
// ---------------------------------------------------------------------------------------------

/** Instants in a small window, so expiries fall before, at and after the instant judged at. */
const T0 = Date.UTC(2026, 0, 1);
const instantArb = fc.integer({ min: T0 - 10, max: T0 + 10 });
const expiryArb = fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: instantArb });

/** Reference: a grant counts while its expiry is absent or strictly after the instant (written without grant-expiry.ts). */
function liveInReference(expiresAt: number | null | undefined, at: number): boolean {
  if (expiresAt === null || expiresAt === undefined) return true;
  return at < expiresAt;
}

/** What the database would hold once the sweeper removed everything expired by `at`, expiries dropped. */
function sweptAt(input: EvaluationInput, at: number): EvaluationInput {
  return {
    ...input,
    at: undefined,
    directRoles: input.directRoles.filter((role) => liveInReference(role.expiresAt, at)).map(({ expiresAt: _expiry, ...role }) => role),
    teams: input.teams.filter((team) => liveInReference(team.expiresAt, at)).map(({ expiresAt: _expiry, ...team }) => team),
  };
}

function timedScenarioArb(active = false): fc.Arbitrary<Scenario & { at: number; later: number }> {
  return scenarioArb(active).chain((scenario) =>
    fc.record({
      definitions: fc.constant(scenario.definitions),
      directExpiries: fc.array(expiryArb, { minLength: scenario.input.directRoles.length, maxLength: scenario.input.directRoles.length }),
      teamExpiries: fc.array(expiryArb, { minLength: scenario.input.teams.length, maxLength: scenario.input.teams.length }),
      at: instantArb,
      step: fc.nat({ max: 20 }),
      input: fc.constant(scenario.input),
    }).map(({ definitions, directExpiries, teamExpiries, at, step, input }) => ({
      definitions,
      at,
      later: at + step,
      input: {
        ...input,
        directRoles: input.directRoles.map((role, i) => ({ ...role, expiresAt: directExpiries[i] })),
        teams: input.teams.map((team, i) => ({ ...team, expiresAt: teamExpiries[i] })),
      },
    })),
  );
}

describe('evaluatePermissions with time-bound grants (property-based)', () => {
  it('at a random instant, agrees with the reference model over the grants still in force then', () => {
    fc.assert(
      fc.property(timedScenarioArb(), ({ definitions, input, at }) => {
        const evaluated = normalise(evaluateWith(definitions, { ...input, at }));
        expect(evaluated).toEqual(referenceEvaluate(definitions, sweptAt(input, at)));
      }),
      { ...RUN, numRuns: 500 },
    );
  });

  it('judging at an instant equals judging the swept grants: correct whether or not the sweeper ran', () => {
    fc.assert(
      fc.property(timedScenarioArb(), ({ definitions, input, at }) => {
        const unswept = normalise(evaluateWith(definitions, { ...input, at }));
        // The swept input has no expiries left: any instant gives the same answer.
        const swept = normalise(evaluateWith(definitions, { ...sweptAt(input, at), at: at + 1_000_000 }));
        expect(unswept).toEqual(swept);
      }),
      RUN,
    );
  });

  it('only loses access as time passes (grants expire, none start later)', () => {
    fc.assert(
      fc.property(timedScenarioArb(true), ({ definitions, input, at, later }) => {
        const before = evaluateWith(definitions, { ...input, at });
        const after = evaluateWith(definitions, { ...input, at: later });
        expect(isSubset(after.permissions, before.permissions)).toBe(true);
        for (const teamId of after.teamPermissions.keys()) expect(before.teamPermissions.has(teamId)).toBe(true);
        if (after.owner) expect(before.owner).toBe(true);
      }),
      RUN,
    );
  });

  it('a grant counts up to, and not at, its expiry; an expired team place takes its team scope with it', () => {
    fc.assert(
      fc.property(timedScenarioArb(true), ({ definitions, input }) => {
        for (const team of input.teams) {
          if (team.expiresAt === null || team.expiresAt === undefined || team.place !== TeamMemberRole.MANAGER) continue;
          const justBefore = evaluateWith(definitions, { ...input, at: team.expiresAt - 1 });
          const atExpiry = evaluateWith(definitions, { ...input, at: team.expiresAt });
          expect(justBefore.teamPermissions.has(team.teamId)).toBe(true);
          // Another place in the same team (same id) could still be in force; ids are unique here.
          expect(atExpiry.teamPermissions.has(team.teamId)).toBe(false);
        }
        const owners = input.directRoles.filter((role) => role.builtInKey === 'owner');
        if (owners.length === 1 && typeof owners[0].expiresAt === 'number' && input.teams.every((team) => team.grantedRoles.every((role) => role.builtInKey !== 'owner'))) {
          expect(evaluateWith(definitions, { ...input, at: owners[0].expiresAt - 1 }).owner).toBe(true);
          expect(evaluateWith(definitions, { ...input, at: owners[0].expiresAt }).owner).toBe(false);
        }
      }),
      RUN,
    );
  });
});
