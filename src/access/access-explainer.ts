import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import { MembershipStatus } from '../memberships/membership-status';
import { mfaPolicyEnforced, NO_MFA_POLICY, policyCoversRole, type MfaPolicy } from './mfa-policy';
import type { EvaluatedRole } from './permission-evaluator';

/** Why a member does not hold a permission (null when they do). */
export enum AccessDenialReason {
  /** The user has no membership in the organisation. */
  NOT_A_MEMBER = 'NOT_A_MEMBER',
  /** The membership waits for approval: no permission until approved. */
  PENDING_APPROVAL = 'PENDING_APPROVAL',
  /** The membership is deactivated: no permission until reactivated. */
  DEACTIVATED = 'DEACTIVATED',
  /** No role of the member (direct or through a team) grants or implies it. */
  NOT_HELD = 'NOT_HELD',
  /** Roles grant it, but the organisation's permission boundary cuts it. */
  OUTSIDE_BOUNDARY = 'OUTSIDE_BOUNDARY',
}

/** What the explainer reads: the member's roles, direct and per team (team places' kind does not matter here). */
export interface ExplanationInput<R extends EvaluatedRole> {
  membershipStatus: MembershipStatus | null;
  directRoles: readonly R[];
  teams: readonly { teamId: string; grantedRoles: readonly R[] }[];
  boundary: readonly string[] | null;
  /** The organisation's MFA policy (none when omitted). */
  mfaPolicy?: MfaPolicy;
  /** The instant judged (against the policy's grace period); now when omitted. */
  now?: Date;
}

/** One way the member comes to hold the permission. */
export interface AccessRoute<R> {
  role: R;
  /** The team granting the role; null for a direct assignment. */
  teamId: string | null;
  /** The permission the role lists that implies the one asked about; null when the role lists it itself. */
  impliedBy: string | null;
  /** The MFA policy covers the route's role and its grace period is over: the route holds only in requests showing a second factor. */
  withheldByMfa: boolean;
}

export interface Explanation<R> {
  permission: string;
  /** Agrees with {@link evaluatePermissions}: the permission is in P(u, o). */
  granted: boolean;
  reason: AccessDenialReason | null;
  /** Every route through the member's roles, whether or not the membership's status and the boundary let it take effect. */
  paths: AccessRoute<R>[];
  /** The MFA policy (grace period over) withholds the permission from requests without a second factor: every route is withheld, or `requiredForAll`. */
  mfaRequired: boolean;
}

const STATUS_DENIAL: Partial<Record<MembershipStatus, AccessDenialReason>> = {
  [MembershipStatus.PENDING_APPROVAL]: AccessDenialReason.PENDING_APPROVAL,
  [MembershipStatus.DEACTIVATED]: AccessDenialReason.DEACTIVATED,
};

/**
 * The routes by which one role yields `permission`: the role lists it (one route, whatever else it
 * lists), or else one route per listed permission whose closure contains it.
 */
function routesOf<R>(role: R, teamId: string | null, listed: readonly string[], permission: string, catalogue: PermissionCatalogue): Omit<AccessRoute<R>, 'withheldByMfa'>[] {
  if (listed.includes(permission) && catalogue.has(permission)) return [{ role, teamId, impliedBy: null }];
  const implying = [...new Set(listed)].filter((key) => key !== permission && catalogue.impliedBy(key).includes(permission)).sort();
  return implying.map((key) => ({ role, teamId, impliedBy: key }));
}

/**
 * Why a member holds (or does not hold) `permission` in the organisation: every route through their
 * direct roles and their teams' roles, and whether the routes take effect. Pure, like the evaluator,
 * and judged as the evaluator judges a member outside their own request: `granted` does not apply the
 * MFA policy (a second factor is a property of a request), but each route says whether the policy
 * withholds it from requests without one (`withheldByMfa`, as the evaluator's `mfaWithholds`). Team-manager permissions are scoped to one team and are not
 * organisation-wide permissions, so they are not routes here.
 */
export function explainPermission<R extends EvaluatedRole>(
  input: ExplanationInput<R>,
  permission: string,
  catalogue: PermissionCatalogue,
  rolePermissions: (role: R) => readonly string[],
): Explanation<R> {
  const policy = input.mfaPolicy ?? NO_MFA_POLICY;
  const enforced = mfaPolicyEnforced(policy, input.now ?? new Date());
  const paths = [
    ...input.directRoles.flatMap((role) => routesOf(role, null, rolePermissions(role), permission, catalogue)),
    ...input.teams.flatMap((team) => team.grantedRoles.flatMap((role) => routesOf(role, team.teamId, rolePermissions(role), permission, catalogue))),
  ].map((route) => ({ ...route, withheldByMfa: enforced && policyCoversRole(policy, route.role) }));
  const mfaRequired = enforced && (policy.requiredForAll || (paths.length > 0 && paths.every((path) => path.withheldByMfa)));
  return { permission, paths, mfaRequired, ...verdict(input, permission, paths.length > 0) };
}

function verdict(input: ExplanationInput<EvaluatedRole>, permission: string, routed: boolean): { granted: boolean; reason: AccessDenialReason | null } {
  if (input.membershipStatus === null) return { granted: false, reason: AccessDenialReason.NOT_A_MEMBER };
  if (input.membershipStatus !== MembershipStatus.ACTIVE) return { granted: false, reason: STATUS_DENIAL[input.membershipStatus] ?? AccessDenialReason.NOT_A_MEMBER };
  if (!routed) return { granted: false, reason: AccessDenialReason.NOT_HELD };
  if (input.boundary !== null && !input.boundary.includes(permission)) return { granted: false, reason: AccessDenialReason.OUTSIDE_BOUNDARY };
  return { granted: true, reason: null };
}
