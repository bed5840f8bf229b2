import fc from 'fast-check';
import { BUILT_IN_PERMISSIONS } from '../core/permissions/built-in-permissions';
import { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { MembershipStatus } from '../memberships/membership-status';
import { rolePermissions } from '../roles/built-in-roles';
import { TeamMemberRole } from '../teams/team-member-role';
import { AccessDenialReason, explainPermission, type ExplanationInput } from './access-explainer';
import { evaluatePermissions } from './permission-evaluator';

interface TestRole {
  id: string;
  builtInKey: string | null;
  permissions: readonly string[];
}

const catalogue = new PermissionCatalogue(BUILT_IN_PERMISSIONS);
const permissionsOf = (role: { builtInKey: string | null; permissions: readonly string[] }) => rolePermissions(role, catalogue);
const custom = (id: string, ...permissions: string[]): TestRole => ({ id, builtInKey: null, permissions });
const builtIn = (key: string): TestRole => ({ id: key, builtInKey: key, permissions: [] });

function input(overrides: Partial<ExplanationInput<TestRole>> = {}): ExplanationInput<TestRole> {
  return { membershipStatus: MembershipStatus.ACTIVE, directRoles: [], teams: [], boundary: null, ...overrides };
}

const explain = (given: ExplanationInput<TestRole>, permission: string) => explainPermission(given, permission, catalogue, permissionsOf);
const routes = (given: ExplanationInput<TestRole>, permission: string) =>
  explain(given, permission).paths.map((path) => [path.role.id, path.teamId, path.impliedBy]);

describe('explainPermission', () => {
  it('names a direct assignment, a team grant and an implication as separate paths', () => {
    const given = input({
      directRoles: [custom('support', 'members:read')],
      teams: [{ teamId: 'ops', grantedRoles: [custom('inviter', 'members:invite', 'members:manage')] }],
    });
    expect(explain(given, 'members:read')).toMatchObject({ permission: 'members:read', granted: true, reason: null });
    expect(routes(given, 'members:read')).toEqual([
      ['support', null, null],
      ['inviter', 'ops', 'members:invite'],
      ['inviter', 'ops', 'members:manage'],
    ]);
  });

  it('gives one path for a role that lists the permission itself (Owner lists everything)', () => {
    expect(routes(input({ directRoles: [builtIn('owner')] }), 'members:read')).toEqual([['owner', null, null]]);
    expect(routes(input({ directRoles: [builtIn('viewer')] }), 'roles:read')).toEqual([]);
  });

  it('follows implication transitively', () => {
    const extended = new PermissionCatalogue([
      ...BUILT_IN_PERMISSIONS,
      { key: 'apikeys:admin', description: '', implies: ['members:assign-roles'] },
    ]);
    const given = input({ directRoles: [custom('keys', 'apikeys:admin')] });
    const explanation = explainPermission(given, 'roles:read', extended, (role) => rolePermissions(role, extended));
    expect(explanation.granted).toBe(true);
    expect(explanation.paths.map((path) => path.impliedBy)).toEqual(['apikeys:admin']);
  });

  it('says why it is not granted: membership, roles or boundary', () => {
    const holding = { directRoles: [custom('auditor', 'audit:read')] };
    expect(explain(input({ ...holding, membershipStatus: null }), 'audit:read')).toMatchObject({ granted: false, reason: AccessDenialReason.NOT_A_MEMBER });
    expect(explain(input({ ...holding, membershipStatus: MembershipStatus.PENDING_APPROVAL }), 'audit:read')).toMatchObject({
      granted: false,
      reason: AccessDenialReason.PENDING_APPROVAL,
    });
    const deactivated = explain(input({ ...holding, membershipStatus: MembershipStatus.DEACTIVATED }), 'audit:read');
    expect(deactivated).toMatchObject({ granted: false, reason: AccessDenialReason.DEACTIVATED });
    expect(deactivated.paths).toHaveLength(1); // the route is still shown: reactivation restores it
    expect(explain(input(holding), 'roles:read')).toMatchObject({ granted: false, reason: AccessDenialReason.NOT_HELD, paths: [] });
    const bounded = explain(input({ ...holding, boundary: ['org:read'] }), 'audit:read');
    expect(bounded).toMatchObject({ granted: false, reason: AccessDenialReason.OUTSIDE_BOUNDARY });
    expect(bounded.paths).toHaveLength(1);
  });

  it('keeps a permission implied by one outside the boundary, as the evaluator does', () => {
    const given = input({ directRoles: [custom('manager', 'members:manage')], boundary: ['members:read'] });
    expect(explain(given, 'members:read')).toMatchObject({ granted: true, paths: [expect.objectContaining({ impliedBy: 'members:manage' })] });
  });

  it('ignores team-manager scope (it is not organisation-wide)', () => {
    const given = input({ teams: [{ teamId: 'ops', grantedRoles: [] }] });
    expect(explain(given, 'teams:update')).toMatchObject({ granted: false, reason: AccessDenialReason.NOT_HELD });
  });

  // The explainer and the evaluator must never disagree about whether a permission is held.
  it('agrees with the evaluator on random members (property)', () => {
    const keys = catalogue.keys;
    const roleArb = fc.oneof(
      { weight: 4, arbitrary: fc.record({ id: fc.string(), builtInKey: fc.constant(null), permissions: fc.array(fc.constantFrom(...keys, 'zz:unknown'), { maxLength: 4 }) }) },
      { weight: 1, arbitrary: fc.record({ id: fc.string(), builtInKey: fc.constantFrom('owner', 'admin', 'manager', 'member', 'viewer'), permissions: fc.constant([]) }) },
    );
    const memberArb = fc.record({
      membershipStatus: fc.constantFrom(null, MembershipStatus.ACTIVE, MembershipStatus.ACTIVE, MembershipStatus.DEACTIVATED, MembershipStatus.PENDING_APPROVAL),
      directRoles: fc.array(roleArb, { maxLength: 3 }),
      teams: fc.array(fc.record({ place: fc.constantFrom(TeamMemberRole.MANAGER, TeamMemberRole.MEMBER), grantedRoles: fc.array(roleArb, { maxLength: 2 }) }), { maxLength: 3 }),
      boundary: fc.option(fc.subarray(keys), { nil: null, freq: 2 }),
      requireMfa: fc.boolean(),
    });
    fc.assert(
      fc.property(memberArb, fc.constantFrom(...keys), (member, permission) => {
        const teams = member.teams.map((team, index) => ({ ...team, teamId: `team-${index}` }));
        const evaluated = evaluatePermissions({ ...member, teams, hasMfa: null }, catalogue, permissionsOf);
        const explanation = explain({ ...member, teams }, permission);
        expect(explanation.granted).toBe(evaluated.permissions.has(permission));
        expect(explanation.reason === null).toBe(explanation.granted);
        for (const path of explanation.paths) {
          const listed = permissionsOf(path.role);
          expect(listed).toContain(path.impliedBy ?? permission);
          expect(catalogue.impliedBy(path.impliedBy ?? permission)).toContain(permission);
        }
        // Routes exist exactly when the roles, taken alone (active, unbounded), yield the permission.
        const unbounded = evaluatePermissions({ ...member, teams, membershipStatus: MembershipStatus.ACTIVE, boundary: null, hasMfa: null }, catalogue, permissionsOf);
        expect(explanation.paths.length > 0).toBe(unbounded.permissions.has(permission));
      }),
      { seed: 0x5eed_2025, numRuns: 500 },
    );
  });
});
