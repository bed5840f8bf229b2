import fc from 'fast-check';
import { BUILT_IN_PERMISSIONS } from '../core/permissions/built-in-permissions';
import { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { MembershipStatus } from '../memberships/membership-status';
import { rolePermissions } from '../roles/built-in-roles';
import { TeamMemberRole } from '../teams/team-member-role';
import { explainPermission } from './access-explainer';
import {
  mfaEnrolmentDue,
  mfaPolicyEnforced,
  mfaPolicyFromRow,
  mfaWithholdsEverything,
  mfaWithholdsRole,
  NO_MFA_POLICY,
  policyCoversMember,
  type MfaPolicy,
} from './mfa-policy';
import { evaluatePermissions, type EvaluatedRole, type EvaluationInput } from './permission-evaluator';

const catalogue = new PermissionCatalogue([...BUILT_IN_PERMISSIONS], []);
const ALL_KEYS = BUILT_IN_PERMISSIONS.map((definition) => definition.key);
const permissionsOf = (role: EvaluatedRole) => rolePermissions(role, catalogue);

const NOW = new Date('2026-12-03T07:00:00Z');
const PAST = new Date('2026-12-01T00:00:00Z');
const FUTURE = new Date('2026-12-31T00:00:00Z');

const role = (id: string, builtInKey: string | null, permissions: string[] = []): EvaluatedRole => ({ id, builtInKey, permissions });
const OWNER = role('r-owner', 'owner');
const ADMIN = role('r-admin', 'admin');
const VIEWER = role('r-viewer', 'viewer');
const AUDITOR = role('r-auditor', null, ['audit:read', 'org:read']);
const policy = (overrides: Partial<MfaPolicy> = {}): MfaPolicy => ({ ...NO_MFA_POLICY, ...overrides });

function evaluate(overrides: Partial<EvaluationInput>, mfa: MfaPolicy) {
  return evaluatePermissions(
    {
      membershipStatus: MembershipStatus.ACTIVE,
      directRoles: [],
      teams: [],
      boundary: null,
      requireMfa: mfa.requiredForAll,
      mfaRoleIds: mfa.requiredForRoleIds,
      mfaGraceUntil: mfa.graceUntil,
      hasMfa: false,
      now: NOW,
      ...overrides,
    },
    catalogue,
    permissionsOf,
  );
}

const sorted = (keys: Iterable<string>) => [...keys].sort();

describe('mfa-policy', () => {
  it('is enforced once the grace period is over (or without one), and only when it requires anything', () => {
    expect(mfaPolicyEnforced(NO_MFA_POLICY, NOW)).toBe(false);
    expect(mfaPolicyEnforced(policy({ requiredForRoleIds: ['a'] }), NOW)).toBe(true);
    expect(mfaPolicyEnforced(policy({ requiredForRoleIds: ['a'], graceUntil: FUTURE }), NOW)).toBe(false);
    expect(mfaPolicyEnforced(policy({ requiredForRoleIds: ['a'], graceUntil: PAST }), NOW)).toBe(true);
    expect(mfaPolicyEnforced(policy({ requiredForAll: true, graceUntil: NOW }), NOW)).toBe(true); // the instant itself ends it
    expect(mfaPolicyEnforced(policy({ graceUntil: PAST }), NOW)).toBe(false);
  });

  it('withholds a covered role only from a request without a second factor; null (judging another member) never', () => {
    const covering = policy({ requiredForRoleIds: [ADMIN.id as string] });
    expect(mfaWithholdsRole(covering, ADMIN, false, NOW)).toBe(true);
    expect(mfaWithholdsRole(covering, ADMIN, true, NOW)).toBe(false);
    expect(mfaWithholdsRole(covering, ADMIN, null, NOW)).toBe(false);
    expect(mfaWithholdsRole(covering, VIEWER, false, NOW)).toBe(false);
    expect(mfaWithholdsRole(covering, { id: undefined }, false, NOW)).toBe(false);
    expect(mfaWithholdsEverything(policy({ requiredForAll: true }), false, NOW)).toBe(true);
    expect(mfaWithholdsEverything(policy({ requiredForAll: true, graceUntil: FUTURE }), false, NOW)).toBe(false);
  });

  it('says enrolment is due for covered members without a known second factor, grace or not', () => {
    const covering = policy({ requiredForRoleIds: [ADMIN.id as string], graceUntil: FUTURE });
    expect(mfaEnrolmentDue(covering, [VIEWER, ADMIN], false)).toBe(true);
    expect(mfaEnrolmentDue(covering, [VIEWER, ADMIN], true)).toBe(false);
    expect(mfaEnrolmentDue(covering, [VIEWER], false)).toBe(false);
    expect(mfaEnrolmentDue(policy({ requiredForAll: true }), [], false)).toBe(true);
    expect(policyCoversMember(NO_MFA_POLICY, [OWNER])).toBe(false);
  });

  it('reads the stored columns (require_mfa is requiredForAll)', () => {
    expect(mfaPolicyFromRow({ require_mfa: true, mfa_required_role_ids: ['x'], mfa_grace_until: '2026-12-31T00:00:00.000Z' })).toEqual({
      requiredForAll: true,
      requiredForRoleIds: ['x'],
      graceUntil: FUTURE,
    });
    expect(mfaPolicyFromRow({})).toEqual(NO_MFA_POLICY);
  });
});

describe('the evaluator under an MFA policy', () => {
  it('withholds the covered roles (direct or through a team) and keeps the others', () => {
    const covering = policy({ requiredForRoleIds: [ADMIN.id as string, AUDITOR.id as string] });
    const result = evaluate({ directRoles: [VIEWER, ADMIN], teams: [{ teamId: 't', place: TeamMemberRole.MEMBER, grantedRoles: [AUDITOR] }] }, covering);
    expect(sorted(result.permissions)).toEqual(['members:read', 'org:read', 'teams:read']);
    expect(result.mfaRequired).toBe(true);
    expect(result.mfaWithholds.has('audit:read')).toBe(true);
    expect(result.mfaWithholds.has('org:update')).toBe(true);
    expect(result.mfaWithholds.has('org:read')).toBe(false); // the Viewer role still grants it
    expect(result.owner).toBe(false);
  });

  it('withholds nothing during the grace period, with a second factor, or judging another member', () => {
    const covering = policy({ requiredForRoleIds: [ADMIN.id as string] });
    const unrestricted = sorted(evaluate({ directRoles: [ADMIN] }, NO_MFA_POLICY).permissions);
    for (const [overrides, mfa] of [
      [{ hasMfa: false }, { ...covering, graceUntil: FUTURE }],
      [{ hasMfa: true }, covering],
      [{ hasMfa: null }, covering],
    ] as const) {
      const result = evaluate({ directRoles: [ADMIN], ...overrides }, mfa);
      expect(sorted(result.permissions)).toEqual(unrestricted);
      expect(result.mfaWithholds.size).toBe(0);
      expect(result.mfaRequired).toBe(false);
    }
  });

  it('requiredForAll withholds everything, team-manager permissions too, as requireMfa always did', () => {
    const result = evaluate({ directRoles: [VIEWER], teams: [{ teamId: 't', place: TeamMemberRole.MANAGER, grantedRoles: [] }] }, policy({ requiredForAll: true }));
    expect(result.permissions.size).toBe(0);
    expect(result.teamPermissions.size).toBe(0);
    expect(result.mfaRequired).toBe(true);
    expect(sorted(result.mfaWithholds)).toEqual(sorted(ALL_KEYS));
  });

  it('keeps team-manager permissions under a per-role policy (a team place is not a role)', () => {
    const result = evaluate({ directRoles: [ADMIN], teams: [{ teamId: 't', place: TeamMemberRole.MANAGER, grantedRoles: [] }] }, policy({ requiredForRoleIds: [ADMIN.id as string] }));
    expect(result.permissions.size).toBe(0);
    expect(result.teamPermissions.get('t')?.has('teams:update')).toBe(true);
  });

  // Property: against a reference model written from the words.
  const ROLES = [OWNER, ADMIN, VIEWER, AUDITOR, role('r-manager', 'manager'), role('r-custom', null, ['teams:manage-members', 'invitations:create'])];
  const roleArb = fc.constantFrom(...ROLES);
  const instantArb = fc.constantFrom(null, PAST, FUTURE, NOW);
  const scenarioArb = fc.record({
    direct: fc.uniqueArray(roleArb, { maxLength: 3, selector: (r) => r.id }),
    teamRoles: fc.array(fc.uniqueArray(roleArb, { maxLength: 2, selector: (r) => r.id }), { maxLength: 2 }),
    policy: fc.record({
      requiredForAll: fc.boolean(),
      requiredForRoleIds: fc.uniqueArray(fc.constantFrom(...ROLES.map((r) => r.id as string)), { maxLength: 3 }),
      graceUntil: instantArb,
    }),
    hasMfa: fc.constantFrom(true, false, null),
    boundary: fc.option(fc.subarray(ALL_KEYS), { nil: null }),
  });

  it('agrees with the reference model: covered roles withheld after the grace period, the rest kept, mfaWithholds the difference', () => {
    fc.assert(
      fc.property(scenarioArb, ({ direct, teamRoles, policy: mfa, hasMfa, boundary }) => {
        const teams = teamRoles.map((grantedRoles, index) => ({ teamId: `t${index}`, place: TeamMemberRole.MEMBER, grantedRoles }));
        const result = evaluate({ directRoles: direct, teams, hasMfa, boundary }, mfa);
        const all = [...direct, ...teamRoles.flat()];
        const bound = (roles: EvaluatedRole[]) => {
          const closed = catalogue.close(roles.flatMap((r) => [...permissionsOf(r)]));
          return new Set([...closed].filter((key) => boundary === null || boundary.includes(key)));
        };
        const graceOver = mfa.graceUntil === null || mfa.graceUntil.getTime() <= NOW.getTime();
        const applies = hasMfa === false && graceOver;
        if (applies && mfa.requiredForAll) {
          expect(result.permissions.size).toBe(0);
          expect(sorted(result.mfaWithholds)).toEqual(sorted(bound(ROLES.slice(0, 1))));
          return;
        }
        const kept = all.filter((r) => !(applies && mfa.requiredForRoleIds.includes(r.id as string)));
        expect(sorted(result.permissions)).toEqual(sorted(bound(kept)));
        const withheld = [...bound(all)].filter((key) => !result.permissions.has(key));
        expect(sorted(result.mfaWithholds)).toEqual(sorted(withheld));
        // Roles outside the policy keep working whatever the token.
        const outside = all.filter((r) => !mfa.requiredForRoleIds.includes(r.id as string));
        for (const key of bound(outside)) expect(result.permissions.has(key)).toBe(true);
        // The explainer agrees: a permission held only through withheld paths is what the evaluator withholds.
        for (const key of ['org:update', 'audit:read', 'org:read', 'invitations:create']) {
          const explanation = explainPermission(
            { membershipStatus: MembershipStatus.ACTIVE, directRoles: direct, teams, boundary, mfaPolicy: mfa, now: NOW },
            key,
            catalogue,
            permissionsOf,
          );
          if (hasMfa === false && explanation.granted) expect(result.mfaWithholds.has(key)).toBe(explanation.mfaRequired);
        }
      }),
      { seed: 0x3fa_2026, numRuns: 300 },
    );
  });
});
