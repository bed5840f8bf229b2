import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';

export type BuiltInRoleKey = 'owner' | 'admin' | 'manager' | 'member' | 'viewer';

export interface BuiltInRoleDefinition {
  key: BuiltInRoleKey;
  name: string;
  description: string;
}

/** The roles created with every organisation, in order of privilege. */
export const BUILT_IN_ROLES: BuiltInRoleDefinition[] = [
  { key: 'owner', name: 'Owner', description: 'Everything, including granting Owner' },
  { key: 'admin', name: 'Admin', description: 'Everything but granting Owner' },
  { key: 'manager', name: 'Manager', description: 'Reads the organisation, members, teams, roles and invitations' },
  { key: 'member', name: 'Member', description: 'Reads the organisation, members, teams and roles' },
  { key: 'viewer', name: 'Viewer', description: 'Reads the organisation, members and teams' },
];

const FIXED: Record<'manager' | 'member' | 'viewer', string[]> = {
  manager: ['org:read', 'members:read', 'teams:read', 'roles:read', 'invitations:read'],
  member: ['org:read', 'members:read', 'teams:read', 'roles:read'],
  viewer: ['org:read', 'members:read', 'teams:read'],
};

/**
 * Permissions of a built-in role. Owner and Admin hold the whole catalogue (extensions included),
 * so they follow configuration. What sets Owner apart (granting Owner) is the role itself, not a key.
 */
export function builtInRolePermissions(key: string, catalogue: PermissionCatalogue): string[] {
  if (key === 'owner' || key === 'admin') return catalogue.keys;
  return FIXED[key as keyof typeof FIXED] ?? [];
}

/** The permissions a role grants: fixed for built-in roles, stored for custom ones. */
export function rolePermissions(role: { builtInKey: string | null; permissions: readonly string[] }, catalogue: PermissionCatalogue): readonly string[] {
  return role.builtInKey ? builtInRolePermissions(role.builtInKey, catalogue) : role.permissions;
}
