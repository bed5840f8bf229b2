import { BUILT_IN_PERMISSIONS } from '../core/permissions/built-in-permissions';
import { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { MembershipStatus } from '../memberships/membership-status';
import { rolePermissions } from '../roles/built-in-roles';
import { TeamMemberRole } from '../teams/team-member-role';
import { roleChangeEffect, type IdentifiedRole, type RoleHolder } from './role-change-preview';

const catalogue = new PermissionCatalogue(BUILT_IN_PERMISSIONS);
const permissionsOf = (role: { builtInKey: string | null; permissions: readonly string[] }) => rolePermissions(role, catalogue);
const support: IdentifiedRole = { id: 'support', builtInKey: null, permissions: ['members:read-contact'] };
const viewer: IdentifiedRole = { id: 'viewer', builtInKey: 'viewer', permissions: [] };

function holder(overrides: Partial<RoleHolder> = {}): RoleHolder {
  return { membershipStatus: MembershipStatus.ACTIVE, directRoles: [], teams: [], boundary: null, ...overrides };
}

const change = (given: RoleHolder, permissions: string[]) => roleChangeEffect(given, 'support', permissions, catalogue, permissionsOf);

describe('roleChangeEffect', () => {
  it('reports what is gained and lost, counting what other roles still give', () => {
    const given = holder({ directRoles: [support, viewer] });
    // members:read stays through Viewer; members:read-contact goes; audit:read comes.
    expect(change(given, ['audit:read'])).toEqual({ gained: ['audit:read'], lost: ['members:read-contact'] });
  });

  it('closes under implication and applies the role wherever it is held (directly or through a team)', () => {
    const given = holder({ teams: [{ teamId: 'ops', place: TeamMemberRole.MEMBER, grantedRoles: [support] }] });
    expect(change(given, ['roles:manage'])).toEqual({ gained: ['roles:manage', 'roles:read'], lost: ['members:read', 'members:read-contact'] });
  });

  it('cuts gains at the boundary and changes nothing for inactive members', () => {
    expect(change(holder({ directRoles: [support], boundary: ['members:read', 'members:read-contact'] }), ['audit:read'])).toEqual({
      gained: [],
      lost: ['members:read', 'members:read-contact'],
    });
    expect(change(holder({ directRoles: [support], membershipStatus: MembershipStatus.DEACTIVATED }), ['audit:read'])).toEqual({ gained: [], lost: [] });
  });

  it('finds nothing to change when the permissions stay the same', () => {
    expect(change(holder({ directRoles: [support] }), ['members:read-contact'])).toEqual({ gained: [], lost: [] });
  });
});
