import { TEAM_MANAGER_PERMISSIONS } from '../core/permissions/built-in-permissions';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { MembershipStatus } from '../memberships/membership-status';
import { organisationRefusal, type OrganisationRefusal } from '../organisations/organisation-status';
import { TeamMemberRole } from '../teams/team-member-role';
import { isLiveAt, type GrantExpiry } from './grant-expiry';
import { mfaWithholdsEverything, mfaWithholdsRole, type MfaPolicy } from './mfa-policy';

/** A role as the evaluator sees it. */
export interface EvaluatedRole {
  /** Needed only to match the MFA policy's roles. */
  id?: string;
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
  /** The MFA policy's `requiredForAll` (the organisation's `requireMfa`). */
  requireMfa: boolean;
  /** The MFA policy's `requiredForRoleIds` (none when omitted). */
  mfaRoleIds?: readonly string[];
  /** The MFA policy's `graceUntil` (none when omitted). */
  mfaGraceUntil?: Date | null;
  /** Whether the current token shows a second factor; null when judging a member outside their own request. */
  hasMfa: boolean | null;
  /** The organisation's lifecycle status; anything but ACTIVE (the default) refuses every member. */
  organisationStatus?: string;
  /** The instant judged (the grace period's end is compared with it); now when omitted. */
  now?: Date;
  /** The instant judged at (ms since the epoch): grants expired by then are ignored. Default: `now`. */
  at?: number;
}

export interface EvaluationResult {
  /** P(u, o): what the member may do anywhere in the organisation. */
  permissions: ReadonlySet<string>;
  /** Extra permissions per team where the member is MANAGER (team scope), already bounded. */
  teamPermissions: ReadonlyMap<string, ReadonlySet<string>>;
  /** Holds the Owner role (directly or through a team) while active: may grant Owner. */
  owner: boolean;
  /** The MFA policy withheld something from this request (a covered role, or everything under `requiredForAll`). */
  mfaRequired: boolean;
  /** An active member refused because the organisation is suspended or deleted (decided before MFA); else absent. */
  refusal?: OrganisationRefusal;
  /**
   * What the MFA policy withholds from this request, so a missing permission in it means MFA_REQUIRED:
   * under `requiredForAll` everything the boundary allows (the organisation is closed to the request),
   * else what the covered roles grant and the member's other roles do not.
   */
  mfaWithholds: ReadonlySet<string>;
}

/** Every grant counts at `at` (the usual case: no copy is made then). */
function allLive(grants: readonly { expiresAt?: GrantExpiry }[], at: number): boolean {
  for (const grant of grants) if (!isLiveAt(grant.expiresAt, at)) return false;
  return true;
}

const NONE: ReadonlySet<string> = new Set();
const NOTHING: EvaluationResult = { permissions: NONE, teamPermissions: new Map(), owner: false, mfaRequired: false, mfaWithholds: NONE };

/**
 * P(u, o) = closure(∪ permissions of direct roles and of roles granted by the member's teams) ∩ boundary,
 * nothing unless the membership is ACTIVE and the organisation ACTIVE (a suspended or deleted one refuses
 * its members before anything else), without the roles the MFA policy withholds from this request
 * (all of them under `requiredForAll`; see mfa-policy.ts). Direct grants and team places whose expiry is
 * at or before `at` count for nothing (grant-expiry.ts). Pure: no I/O.
 */
export function evaluatePermissions(input: EvaluationInput, catalogue: PermissionCatalogue, rolePermissions: (role: EvaluatedRole) => readonly string[]): EvaluationResult {
  if (input.membershipStatus !== MembershipStatus.ACTIVE) return NOTHING;
  // A suspended or deleted organisation refuses its members whatever their roles, before the MFA policy.
  const refusal = organisationRefusal(input.organisationStatus);
  if (refusal) return { ...NOTHING, refusal };
  const bound = (keys: Iterable<string>): Set<string> => {
    const closed = catalogue.close(keys);
    if (input.boundary === null) return closed;
    const boundary = new Set(input.boundary);
    return new Set([...closed].filter((key) => boundary.has(key)));
  };
  // The MFA policy (src/access/mfa-policy.ts), applied to the grants that count: a covered role's
  // permissions are withheld from a request without a second factor once the grace period is over.
  const policy: MfaPolicy = { requiredForAll: input.requireMfa, requiredForRoleIds: input.mfaRoleIds ?? [], graceUntil: input.mfaGraceUntil ?? null };
  const now = input.now ?? new Date();
  if (mfaWithholdsEverything(policy, input.hasMfa, now)) return { ...NOTHING, mfaRequired: true, mfaWithholds: bound(catalogue.keys) };
  // Time-bound grants (grant-expiry.ts): direct roles and team places expired at `at` count for nothing.
  const at = input.at ?? now.getTime();
  const teams = allLive(input.teams, at) ? input.teams : input.teams.filter((team) => isLiveAt(team.expiresAt, at));
  const direct = allLive(input.directRoles, at) ? input.directRoles : input.directRoles.filter((role) => isLiveAt(role.expiresAt, at));
  const allRoles = [...direct, ...teams.flatMap((team) => team.grantedRoles)];
  const roles = allRoles.filter((role) => !mfaWithholdsRole(policy, role, input.hasMfa, now));
  const permissions = bound(roles.flatMap((role) => [...rolePermissions(role)]));
  const withheld = roles.length === allRoles.length ? NONE : setMinus(bound(allRoles.flatMap((role) => [...rolePermissions(role)])), permissions);
  const teamPermissions = new Map<string, ReadonlySet<string>>();
  for (const team of teams) {
    if (team.place !== TeamMemberRole.MANAGER) continue;
    const scoped = bound(TEAM_MANAGER_PERMISSIONS);
    for (const key of permissions) scoped.add(key);
    teamPermissions.set(team.teamId, scoped);
  }
  return { permissions, teamPermissions, owner: roles.some((role) => role.builtInKey === 'owner'), mfaRequired: roles.length < allRoles.length, mfaWithholds: withheld };
}

function setMinus(from: ReadonlySet<string>, minus: ReadonlySet<string>): Set<string> {
  return new Set([...from].filter((key) => !minus.has(key)));
}
