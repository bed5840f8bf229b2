import { BUILT_IN_PERMISSIONS, TEAM_MANAGER_PERMISSIONS } from '../core/permissions/built-in-permissions';
import { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { MembershipStatus } from '../memberships/membership-status';
import { builtInRolePermissions, rolePermissions } from '../roles/built-in-roles';
import { TeamMemberRole } from '../teams/team-member-role';
import { evaluatePermissions, type EvaluatedRole, type EvaluatedTeamPlace, type EvaluationInput, type EvaluationResult } from './permission-evaluator';

const EXTENSIONS = [
  { key: 'apikeys:read', description: 'List API keys', implies: [] },
  { key: 'apikeys:manage', description: 'Manage API keys', implies: ['apikeys:read'] },
];
const catalogue = new PermissionCatalogue([...BUILT_IN_PERMISSIONS, ...EXTENSIONS], EXTENSIONS.map((definition) => definition.key));
const ALL_KEYS = [...BUILT_IN_PERMISSIONS, ...EXTENSIONS].map((definition) => definition.key);

const permissionsOf = (role: EvaluatedRole): readonly string[] =>
  rolePermissions({ builtInKey: role.builtInKey, permissions: [...role.permissions] }, catalogue);

const custom = (...permissions: string[]): EvaluatedRole => ({ builtInKey: null, permissions });
const builtIn = (key: string): EvaluatedRole => ({ builtInKey: key, permissions: [] });
const team = (teamId: string, place: TeamMemberRole, ...grantedRoles: EvaluatedRole[]): EvaluatedTeamPlace => ({ teamId, place, grantedRoles });

function input(overrides: Partial<EvaluationInput> = {}): EvaluationInput {
  return {
    membershipStatus: MembershipStatus.ACTIVE,
    directRoles: [],
    teams: [],
    boundary: null,
    requireMfa: false,
    hasMfa: null,
    ...overrides,
  };
}

const evaluate = (overrides: Partial<EvaluationInput>): EvaluationResult => evaluatePermissions(input(overrides), catalogue, permissionsOf);
const sorted = (keys: Iterable<string>): string[] => [...keys].sort();
const teamsOf = (result: EvaluationResult): Record<string, string[]> =>
  Object.fromEntries([...result.teamPermissions].map(([teamId, keys]) => [teamId, sorted(keys)]));

function expectNothing(result: EvaluationResult, mfaRequired = false): void {
  expect(result.permissions.size).toBe(0);
  expect(result.teamPermissions.size).toBe(0);
  expect(result.owner).toBe(false);
  expect(result.mfaRequired).toBe(mfaRequired);
}

describe('evaluatePermissions: membership status', () => {
  const privileged = {
    directRoles: [builtIn('owner'), custom('members:manage')],
    teams: [team('t1', TeamMemberRole.MANAGER, builtIn('admin'))],
  };

  it.each([
    ['no membership', null],
    ['PENDING_APPROVAL', MembershipStatus.PENDING_APPROVAL],
    ['DEACTIVATED', MembershipStatus.DEACTIVATED],
  ])('%s: nothing at all, not even owner or team scope', (_label, membershipStatus) => {
    expectNothing(evaluate({ ...privileged, membershipStatus }));
  });

  it('not ACTIVE wins over the MFA check (mfaRequired stays false)', () => {
    expectNothing(evaluate({ ...privileged, membershipStatus: MembershipStatus.DEACTIVATED, requireMfa: true, hasMfa: false }));
  });

  it('ACTIVE: the roles count', () => {
    const result = evaluate({ ...privileged });
    expect(sorted(result.permissions)).toEqual(sorted(ALL_KEYS));
    expect(result.owner).toBe(true);
  });
});

describe('evaluatePermissions: organisation status', () => {
  it.each([
    ['SUSPENDED', 'ORGANISATION_SUSPENDED'],
    ['DELETED', 'ORGANISATION_DELETED'],
    ['PURGED', 'ORGANISATION_DELETED'],
  ])('%s: an active Owner gets nothing, with the refusal, before the MFA answer', (organisationStatus, refusal) => {
    const result = evaluate({ organisationStatus, directRoles: [builtIn('owner')], requireMfa: true, hasMfa: false });
    expectNothing(result);
    expect(result.owner).toBe(false);
    expect(result.refusal).toBe(refusal);
  });

  it('not a member (or not active): no refusal, as for any organisation', () => {
    for (const membershipStatus of [null, MembershipStatus.DEACTIVATED, MembershipStatus.PENDING_APPROVAL]) {
      expect(evaluate({ organisationStatus: 'SUSPENDED', membershipStatus, directRoles: [builtIn('owner')] }).refusal).toBeUndefined();
    }
  });

  it('ACTIVE (or not given): the roles count', () => {
    for (const organisationStatus of ['ACTIVE', undefined]) {
      const result = evaluate({ organisationStatus, directRoles: [builtIn('owner')] });
      expect(result.owner).toBe(true);
      expect(result.refusal).toBeUndefined();
    }
  });
});

describe('evaluatePermissions: MFA', () => {
  const roles = { directRoles: [custom('org:update')] };

  it('required and the token shows no second factor: nothing, mfaRequired', () => {
    expectNothing(evaluate({ ...roles, directRoles: [builtIn('owner')], teams: [team('t', TeamMemberRole.MANAGER)], requireMfa: true, hasMfa: false }), true);
  });

  it('required and shown: granted', () => {
    const result = evaluate({ ...roles, requireMfa: true, hasMfa: true });
    expect(sorted(result.permissions)).toEqual(['org:read', 'org:update']);
    expect(result.mfaRequired).toBe(false);
  });

  it('required but hasMfa null (judging another member): not blocked', () => {
    const result = evaluate({ ...roles, requireMfa: true, hasMfa: null });
    expect(sorted(result.permissions)).toEqual(['org:read', 'org:update']);
    expect(result.mfaRequired).toBe(false);
  });

  it('not required: a token without a second factor is fine', () => {
    const result = evaluate({ ...roles, requireMfa: false, hasMfa: false });
    expect(sorted(result.permissions)).toEqual(['org:read', 'org:update']);
    expect(result.mfaRequired).toBe(false);
  });
});

describe('evaluatePermissions: closure and boundary', () => {
  it('no roles: nothing', () => {
    expectNothing(evaluate({}));
  });

  it('closes over implications', () => {
    expect(sorted(evaluate({ directRoles: [custom('members:invite')] }).permissions)).toEqual(['invitations:read', 'members:invite', 'members:read']);
    expect(sorted(evaluate({ directRoles: [custom('access:review')] }).permissions)).toEqual(['access:review', 'members:read', 'roles:read', 'teams:read']);
  });

  it('drops unknown permissions of a custom role (fail closed)', () => {
    expect(sorted(evaluate({ directRoles: [custom('budgets:manage', 'roles:manage')] }).permissions)).toEqual(['roles:manage', 'roles:read']);
  });

  it('null boundary: no cut', () => {
    expect(sorted(evaluate({ directRoles: [builtIn('admin')], boundary: null }).permissions)).toEqual(sorted(ALL_KEYS));
  });

  it('the boundary cuts granted and implied permissions alike', () => {
    const result = evaluate({ directRoles: [custom('members:invite', 'audit:read')], boundary: ['members:invite', 'members:read', 'org:read'] });
    expect(sorted(result.permissions)).toEqual(['members:invite', 'members:read']);
  });

  it('closure comes before the cut: an implied permission inside the boundary stays even if its source is outside', () => {
    const result = evaluate({ directRoles: [custom('members:manage')], boundary: ['members:read'] });
    expect(sorted(result.permissions)).toEqual(['members:read']);
  });

  it('an empty boundary leaves nothing, even to an Owner (who stays owner)', () => {
    const result = evaluate({ directRoles: [builtIn('owner')], boundary: [] });
    expect(result.permissions.size).toBe(0);
    expect(result.owner).toBe(true);
  });

  it('bounds Owner and Admin too', () => {
    const boundary = ['org:read', 'members:read', 'apikeys:read'];
    expect(sorted(evaluate({ directRoles: [builtIn('owner')], boundary }).permissions)).toEqual(sorted(boundary));
    expect(sorted(evaluate({ directRoles: [builtIn('admin')], boundary }).permissions)).toEqual(sorted(boundary));
  });

  it('boundary keys outside the catalogue grant nothing', () => {
    expect(evaluate({ directRoles: [custom('org:read')], boundary: ['hr:read', 'hr:manage'] }).permissions.size).toBe(0);
  });
});

describe('evaluatePermissions: union of roles', () => {
  it('unions the direct roles', () => {
    const result = evaluate({ directRoles: [custom('audit:read'), custom('teams:create'), builtIn('viewer')] });
    expect(sorted(result.permissions)).toEqual(['audit:read', 'members:read', 'org:read', 'teams:create', 'teams:read']);
  });

  it('unions direct roles with the roles granted by every team, whatever the place', () => {
    const result = evaluate({
      directRoles: [custom('audit:read')],
      teams: [team('t1', TeamMemberRole.MEMBER, custom('invitations:manage')), team('t2', TeamMemberRole.MANAGER, custom('roles:manage'), builtIn('viewer'))],
    });
    expect(sorted(result.permissions)).toEqual(
      sorted(['audit:read', 'invitations:manage', 'invitations:read', 'roles:manage', 'roles:read', 'org:read', 'members:read', 'teams:read']),
    );
  });

  it('a team grant alone is enough', () => {
    expect(sorted(evaluate({ teams: [team('t1', TeamMemberRole.MEMBER, custom('org:update'))] }).permissions)).toEqual(['org:read', 'org:update']);
  });

  it.each<[string, string[]]>([
    ['manager', ['org:read', 'members:read', 'teams:read', 'roles:read', 'invitations:read']],
    ['member', ['org:read', 'members:read', 'teams:read', 'roles:read']],
    ['viewer', ['org:read', 'members:read', 'teams:read']],
    ['owner', ALL_KEYS],
    ['admin', ALL_KEYS],
  ])('built-in role %s holds what the spec says (Owner and Admin include extensions)', (key, expected) => {
    expect(sorted(builtInRolePermissions(key, catalogue))).toEqual(sorted(expected));
    expect(sorted(evaluate({ directRoles: [builtIn(key)] }).permissions)).toEqual(sorted(expected));
  });

  it('a built-in role ignores stored permissions; an unknown built-in key grants nothing', () => {
    expect(sorted(evaluate({ directRoles: [{ builtInKey: 'viewer', permissions: ['audit:read'] }] }).permissions)).toEqual(['members:read', 'org:read', 'teams:read']);
    expect(evaluate({ directRoles: [builtIn('superuser')] }).permissions.size).toBe(0);
  });

  it('custom roles grant extension permissions they list', () => {
    expect(sorted(evaluate({ directRoles: [custom('apikeys:manage')] }).permissions)).toEqual(['apikeys:manage', 'apikeys:read']);
  });
});

describe('evaluatePermissions: team scope', () => {
  it('a team MANAGER holds the team-manager permissions for that team only', () => {
    const result = evaluate({
      directRoles: [custom('org:read')],
      teams: [team('managed', TeamMemberRole.MANAGER), team('joined', TeamMemberRole.MEMBER)],
    });
    expect(sorted(result.permissions)).toEqual(['org:read']);
    expect([...result.teamPermissions.keys()]).toEqual(['managed']);
    expect(teamsOf(result)).toEqual({ managed: sorted([...TEAM_MANAGER_PERMISSIONS, 'org:read']) });
    expect(result.permissions.has('teams:update')).toBe(false);
  });

  it('each managed team has its own entry', () => {
    const result = evaluate({ teams: [team('a', TeamMemberRole.MANAGER), team('b', TeamMemberRole.MANAGER), team('c', TeamMemberRole.MEMBER)] });
    expect(result.permissions.size).toBe(0);
    expect(teamsOf(result)).toEqual({ a: sorted(TEAM_MANAGER_PERMISSIONS), b: sorted(TEAM_MANAGER_PERMISSIONS) });
  });

  it('team scope is bounded by the boundary', () => {
    const result = evaluate({ teams: [team('a', TeamMemberRole.MANAGER)], boundary: ['teams:read', 'org:read'] });
    expect(teamsOf(result)).toEqual({ a: ['teams:read'] });
    expect(result.permissions.size).toBe(0);
  });

  it('team scope under an empty boundary is empty (the entry may exist but holds nothing)', () => {
    const result = evaluate({ teams: [team('a', TeamMemberRole.MANAGER)], boundary: [] });
    for (const keys of result.teamPermissions.values()) expect(keys.size).toBe(0);
  });

  it('team scope includes what the member holds anywhere', () => {
    const result = evaluate({ directRoles: [custom('audit:read')], teams: [team('a', TeamMemberRole.MANAGER, custom('roles:read'))] });
    expect(sorted(result.permissions)).toEqual(['audit:read', 'roles:read']);
    expect(teamsOf(result)).toEqual({ a: sorted([...TEAM_MANAGER_PERMISSIONS, 'audit:read', 'roles:read']) });
  });

  it('a MEMBER place gives no team scope', () => {
    expect(evaluate({ directRoles: [builtIn('viewer')], teams: [team('a', TeamMemberRole.MEMBER)] }).teamPermissions.size).toBe(0);
  });

  it('no team scope while MFA blocks', () => {
    expectNothing(evaluate({ teams: [team('a', TeamMemberRole.MANAGER)], requireMfa: true, hasMfa: false }), true);
  });
});

describe('evaluatePermissions: owner flag', () => {
  it('direct Owner role', () => {
    expect(evaluate({ directRoles: [builtIn('owner')] }).owner).toBe(true);
  });

  it('Owner role granted through a team, whatever the place', () => {
    expect(evaluate({ teams: [team('t', TeamMemberRole.MEMBER, builtIn('owner'))] }).owner).toBe(true);
    expect(evaluate({ teams: [team('t', TeamMemberRole.MANAGER, builtIn('owner'))] }).owner).toBe(true);
  });

  it('Admin is not owner, nor a custom role holding every permission, nor a team MANAGER', () => {
    expect(evaluate({ directRoles: [builtIn('admin')] }).owner).toBe(false);
    expect(evaluate({ directRoles: [custom(...ALL_KEYS)] }).owner).toBe(false);
    expect(evaluate({ teams: [team('t', TeamMemberRole.MANAGER, builtIn('admin'))] }).owner).toBe(false);
  });

  it('a custom role cannot pose as Owner by listing a permission named like it', () => {
    expect(evaluate({ directRoles: [custom('owner')] }).owner).toBe(false);
  });

  it('Owner grants the whole catalogue including extensions', () => {
    const result = evaluate({ directRoles: [builtIn('owner')] });
    expect(result.permissions.has('apikeys:manage')).toBe(true);
    expect(sorted(result.permissions)).toEqual(sorted(catalogue.keys));
  });
});
