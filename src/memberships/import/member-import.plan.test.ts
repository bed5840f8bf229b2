import { RoleEntity } from '../../roles/role.entity';
import type { MemberCsvRow } from './member-csv.parser';
import { planImport, type GrantPolicy, type ImportLookups } from './member-import.plan';
import { ImportRowStatus } from './member-import.type';

const role = (id: string, name: string, builtInKey: string | null = null) => Object.assign(new RoleEntity(), { id, name, builtInKey, permissions: [] });
const OWNER = role('r-owner', 'Owner', 'owner');
const MEMBER = role('r-member', 'Member', 'member');
const VIEWER = role('r-viewer', 'Viewer', 'viewer');

const row = (line: number, email: string, roleNames: string[] = [], teamNames: string[] = [], errors: string[] = []): MemberCsvRow => ({
  line, email, emailValid: true, name: 'N', roleNames, teamNames, expiresAt: null, errors,
});

const lookups = (overrides: Partial<ImportLookups> = {}): ImportLookups => ({
  people: new Map(),
  roles: [OWNER, MEMBER, VIEWER],
  teams: new Map([['owners', { id: 't-owners', name: 'Owners', grantedRoleIds: [OWNER.id] }]]),
  allowedEmailDomains: [],
  ...overrides,
});

/** An Admin: everything but Owner. */
const admin: GrantPolicy = { refuseRole: (candidate) => (candidate.builtInKey === 'owner' ? 'Only an Owner may grant the Owner role' : null), mayPlaceInTeams: true };

describe('planImport', () => {
  it('gives a new member named with no roles the built-in Member role, and an existing one nothing', () => {
    const people = new Map([['old@x.io', { userId: 'u1', membershipId: 'm1', roleIds: [VIEWER.id], teamIds: [] }]]);
    const plan = planImport([row(2, 'new@x.io'), row(3, 'old@x.io')], lookups({ people }), admin);
    expect(plan.rows.map((planned) => [planned.status, planned.roleIds])).toEqual([[ImportRowStatus.CREATED, [MEMBER.id]], [ImportRowStatus.UNCHANGED, []]]);
    expect(plan).toMatchObject({ failed: false, created: 1, updated: 0 });
  });

  it('checks only what a row adds: roles and team places already held are no grant', () => {
    const people = new Map([['owner@x.io', { userId: 'u1', membershipId: 'm1', roleIds: [OWNER.id], teamIds: ['t-owners'] }]]);
    const kept = planImport([row(2, 'owner@x.io', ['owner'], ['OWNERS'])], lookups({ people }), admin);
    expect(kept.rows[0]).toMatchObject({ status: ImportRowStatus.UNCHANGED, errors: [] });
    const added = planImport([row(2, 'new@x.io', ['Viewer'], ['Owners'])], lookups(), admin);
    expect(added.rows[0].errors).toEqual(['Team "Owners" grants role "Owner": Only an Owner may grant the Owner role']);
  });

  it('fails the whole import on one bad row: good rows are SKIPPED and nothing is counted', () => {
    const plan = planImport([row(2, 'a@x.io', ['Viewer']), row(3, 'b@x.io', ['Nope'], ['Nowhere']), row(4, 'c@x.io', [], [], ['name is missing'])], lookups(), admin);
    expect(plan.rows.map((planned) => [planned.line, planned.status, planned.errors])).toEqual([
      [2, ImportRowStatus.SKIPPED, []],
      [3, ImportRowStatus.ERROR, ['Unknown role "Nope"', 'Unknown team "Nowhere"']],
      [4, ImportRowStatus.ERROR, ['name is missing']],
    ]);
    expect(plan).toMatchObject({ failed: true, created: 0, updated: 0 });
  });

  it('applies the email domain policy to people joining only', () => {
    const people = new Map([['in@other.io', { userId: 'u1', membershipId: 'm1', roleIds: [], teamIds: [] }]]);
    const plan = planImport([row(2, 'new@other.io', ['Viewer']), row(3, 'in@other.io', ['Viewer'])], lookups({ people, allowedEmailDomains: ['x.io'] }), admin);
    expect(plan.rows.map((planned) => planned.errors)).toEqual([['Addresses at @other.io may not join this organisation'], []]);
  });
});
