import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import type { MembershipStatus } from '../memberships/membership-status';
import type { TeamMemberRole } from '../teams/team-member-role';
import { evaluatePermissions, type EvaluatedRole, type EvaluationInput } from './permission-evaluator';

/** A role with its identity, so one role can be found among a member's roles. */
export interface IdentifiedRole extends EvaluatedRole {
  id: string;
}

/** A member's roles, direct and per team, as the evaluator reads them. */
export interface RoleHolder {
  membershipStatus: MembershipStatus | null;
  directRoles: readonly IdentifiedRole[];
  teams: readonly { teamId: string; place: TeamMemberRole; grantedRoles: readonly IdentifiedRole[] }[];
  boundary: readonly string[] | null;
}

/** What a member would gain and lose, organisation-wide, were one role's permissions replaced. */
export interface PermissionChange {
  gained: string[];
  lost: string[];
}

/**
 * The difference between a member's P(u, o) now and with the permissions of role `roleId` (held
 * directly or through any of their teams) replaced by `permissions`. Uses the evaluator both times,
 * judged outside the member's own request (no MFA), as `Membership.effectivePermissions` is. Pure.
 */
export function roleChangeEffect(
  holder: RoleHolder,
  roleId: string,
  permissions: readonly string[],
  catalogue: PermissionCatalogue,
  rolePermissions: (role: EvaluatedRole) => readonly string[],
): PermissionChange {
  const replace = (roles: readonly IdentifiedRole[]) => roles.map((role) => (role.id === roleId ? { ...role, permissions } : role));
  const now: EvaluationInput = { ...holder, requireMfa: false, hasMfa: null };
  const before = evaluatePermissions(now, catalogue, rolePermissions).permissions;
  const changed: EvaluationInput = {
    ...now,
    directRoles: replace(holder.directRoles),
    teams: holder.teams.map((team) => ({ ...team, grantedRoles: replace(team.grantedRoles) })),
  };
  const after = evaluatePermissions(changed, catalogue, rolePermissions).permissions;
  return {
    gained: [...after].filter((key) => !before.has(key)).sort(),
    lost: [...before].filter((key) => !after.has(key)).sort(),
  };
}
