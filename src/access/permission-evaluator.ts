import { TEAM_MANAGER_PERMISSIONS } from '../core/permissions/built-in-permissions';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { MembershipStatus } from '../memberships/membership-status';
import { TeamMemberRole } from '../teams/team-member-role';
import { isLiveAt, type GrantExpiry } from './grant-expiry';

/** A role as the evaluator sees it. */
export interface EvaluatedRole {
  builtInKey: string | null;
  permissions: readonly string[];
  /** A direct grant's expiry (ms since the epoch); null or absent: permanent. Not read on a team's granted roles. */
  expiresAt?: GrantExpiry;
}

/** One of the member's team places. */
export interface EvaluatedTeamPlace {
  teamId: string;
  place: TeamMemberRole;
  grantedRoles: readonly EvaluatedRole[];
  /** The place's expiry (ms since the epoch); null or absent: permanent. */
  expiresAt?: GrantExpiry;
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
  /** The instant judged at (ms since the epoch): grants expired by then are ignored. Default: now. */
  at?: number;
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
}

/** Every grant counts at `at` (the usual case: no copy is made then). */
function allLive(grants: readonly { expiresAt?: GrantExpiry }[], at: number): boolean {
  for (const grant of grants) if (!isLiveAt(grant.expiresAt, at)) return false;
  return true;
}

const NOTHING: EvaluationResult = { permissions: new Set(), teamPermissions: new Map(), owner: false, mfaRequired: false };

/**
 * P(u, o) = closure(∪ permissions of direct roles and of roles granted by the member's teams) ∩ boundary,
 * nothing unless the membership is ACTIVE (and MFA is shown where required). Direct grants and team
 * places whose expiry is at or before `at` count for nothing (grant-expiry.ts). Pure: no I/O.
 */
export function evaluatePermissions(input: EvaluationInput, catalogue: PermissionCatalogue, rolePermissions: (role: EvaluatedRole) => readonly string[]): EvaluationResult {
  if (input.membershipStatus !== MembershipStatus.ACTIVE) return NOTHING;
  if (input.requireMfa && input.hasMfa === false) return { ...NOTHING, mfaRequired: true };
  const at = input.at ?? Date.now();
  const teams = allLive(input.teams, at) ? input.teams : input.teams.filter((team) => isLiveAt(team.expiresAt, at));
  const direct = allLive(input.directRoles, at) ? input.directRoles : input.directRoles.filter((role) => isLiveAt(role.expiresAt, at));
  const roles = [...direct, ...teams.flatMap((team) => team.grantedRoles)];
  const bound = (keys: Iterable<string>): Set<string> => {
    const closed = catalogue.close(keys);
    if (input.boundary === null) return closed;
    const boundary = new Set(input.boundary);
    return new Set([...closed].filter((key) => boundary.has(key)));
  };
  const permissions = bound(roles.flatMap((role) => [...rolePermissions(role)]));
  const teamPermissions = new Map<string, ReadonlySet<string>>();
  for (const team of teams) {
    if (team.place !== TeamMemberRole.MANAGER) continue;
    const scoped = bound(TEAM_MANAGER_PERMISSIONS);
    for (const key of permissions) scoped.add(key);
    teamPermissions.set(team.teamId, scoped);
  }
  return { permissions, teamPermissions, owner: roles.some((role) => role.builtInKey === 'owner'), mfaRequired: false };
}
