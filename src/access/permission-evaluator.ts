import { TEAM_MANAGER_PERMISSIONS } from '../core/permissions/built-in-permissions';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { MembershipStatus } from '../memberships/membership-status';
import { organisationRefusal, type OrganisationRefusal } from '../organisations/organisation-status';
import { TeamMemberRole } from '../teams/team-member-role';

/** A role as the evaluator sees it. */
export interface EvaluatedRole {
  builtInKey: string | null;
  permissions: readonly string[];
}

/** One of the member's team places. */
export interface EvaluatedTeamPlace {
  teamId: string;
  place: TeamMemberRole;
  grantedRoles: readonly EvaluatedRole[];
}

export interface EvaluationInput {
  /** null: the user is not a member. */
  membershipStatus: MembershipStatus | null;
  directRoles: readonly EvaluatedRole[];
  teams: readonly EvaluatedTeamPlace[];
  /** null: no boundary. */
  boundary: readonly string[] | null;
  requireMfa: boolean;
  /** Whether the current token shows a second factor; null when judging a member outside their own request. */
  hasMfa: boolean | null;
  /** The organisation's lifecycle status; anything but ACTIVE (the default) refuses every member. */
  organisationStatus?: string;
}

export interface EvaluationResult {
  /** P(u, o): what the member may do anywhere in the organisation. */
  permissions: ReadonlySet<string>;
  /** Extra permissions per team where the member is MANAGER (team scope), already bounded. */
  teamPermissions: ReadonlyMap<string, ReadonlySet<string>>;
  /** Holds the Owner role (directly or through a team) while active: may grant Owner. */
  owner: boolean;
  /** Permissions withheld only because the organisation requires MFA and the token shows none. */
  mfaRequired: boolean;
  /** An active member refused because the organisation is suspended or deleted (decided before MFA); else absent. */
  refusal?: OrganisationRefusal;
}

const NOTHING: EvaluationResult = { permissions: new Set(), teamPermissions: new Map(), owner: false, mfaRequired: false };

/**
 * P(u, o) = closure(∪ permissions of direct roles and of roles granted by the member's teams) ∩ boundary,
 * nothing unless the membership is ACTIVE, the organisation ACTIVE (and MFA is shown where required). Pure: no I/O.
 */
export function evaluatePermissions(input: EvaluationInput, catalogue: PermissionCatalogue, rolePermissions: (role: EvaluatedRole) => readonly string[]): EvaluationResult {
  if (input.membershipStatus !== MembershipStatus.ACTIVE) return NOTHING;
  // A suspended or deleted organisation refuses its members whatever their roles, before the MFA policy.
  const refusal = organisationRefusal(input.organisationStatus);
  if (refusal) return { ...NOTHING, refusal };
  if (input.requireMfa && input.hasMfa === false) return { ...NOTHING, mfaRequired: true };
  const roles = [...input.directRoles, ...input.teams.flatMap((team) => team.grantedRoles)];
  const bound = (keys: Iterable<string>): Set<string> => {
    const closed = catalogue.close(keys);
    if (input.boundary === null) return closed;
    const boundary = new Set(input.boundary);
    return new Set([...closed].filter((key) => boundary.has(key)));
  };
  const permissions = bound(roles.flatMap((role) => [...rolePermissions(role)]));
  const teamPermissions = new Map<string, ReadonlySet<string>>();
  for (const team of input.teams) {
    if (team.place !== TeamMemberRole.MANAGER) continue;
    const scoped = bound(TEAM_MANAGER_PERMISSIONS);
    for (const key of permissions) scoped.add(key);
    teamPermissions.set(team.teamId, scoped);
  }
  return { permissions, teamPermissions, owner: roles.some((role) => role.builtInKey === 'owner'), mfaRequired: false };
}
