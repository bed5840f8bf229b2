/**
 * An organisation's MFA policy (issue 13): which roles need a second factor in the request's token, or
 * everyone, and until when members without one keep access anyway (the grace period). Pure: no I/O.
 *
 * One source of truth: `requiredForAll` is the organisation's `require_mfa` column (so the older
 * `requireMfa` setting and `mfaPolicy.requiredForAll` are the same thing), `requiredForRoleIds` is
 * `mfa_required_role_ids`, `graceUntil` is `mfa_grace_until`.
 */
export interface MfaPolicy {
  /** Every member needs a second factor (the `requireMfa` setting). */
  requiredForAll: boolean;
  /** Roles whose permissions need a second factor, held directly or through a team. */
  requiredForRoleIds: readonly string[];
  /** Until then the policy is announced (`Membership.mfaEnrolmentDue`) but withholds nothing; null: no grace. */
  graceUntil: Date | null;
}

export const NO_MFA_POLICY: MfaPolicy = Object.freeze({ requiredForAll: false, requiredForRoleIds: Object.freeze([]) as readonly string[], graceUntil: null });

/** A role as the policy sees it: roles without an id (e.g. in unit tests) are never in a role list. */
export interface PolicyRole {
  id?: string | null;
}

/** The policy requires anything at all. */
export function mfaPolicyActive(policy: MfaPolicy): boolean {
  return policy.requiredForAll || policy.requiredForRoleIds.length > 0;
}

/** The grace period is over (or there is none): the policy withholds permissions from requests without MFA. */
export function mfaPolicyEnforced(policy: MfaPolicy, now: Date): boolean {
  return mfaPolicyActive(policy) && (policy.graceUntil === null || policy.graceUntil.getTime() <= now.getTime());
}

/** The policy covers the role (everyone's roles under `requiredForAll`). */
export function policyCoversRole(policy: MfaPolicy, role: PolicyRole): boolean {
  return policy.requiredForAll || (role.id != null && policy.requiredForRoleIds.includes(role.id));
}

/** The policy covers a member holding these roles (directly or through teams). */
export function policyCoversMember(policy: MfaPolicy, roles: readonly PolicyRole[]): boolean {
  return policy.requiredForAll || roles.some((role) => policyCoversRole(policy, role));
}

/**
 * Whether the policy withholds the role's permissions from a request: it covers the role, the grace
 * period is over and the token shows no second factor. `hasMfa` null (judging a member outside their own
 * request, e.g. `Membership.effectivePermissions`) withholds nothing: MFA is a property of a request.
 */
export function mfaWithholdsRole(policy: MfaPolicy, role: PolicyRole, hasMfa: boolean | null, now: Date): boolean {
  return hasMfa === false && policyCoversRole(policy, role) && mfaPolicyEnforced(policy, now);
}

/** `requiredForAll` is enforced on a request without a second factor: the whole organisation is closed to it. */
export function mfaWithholdsEverything(policy: MfaPolicy, hasMfa: boolean | null, now: Date): boolean {
  return hasMfa === false && policy.requiredForAll && mfaPolicyEnforced(policy, now);
}

/**
 * `Membership.mfaEnrolmentDue`: the policy covers the member (whether in its grace period or enforced)
 * and no second factor of theirs is known (`enrolled`: a token of theirs has shown one).
 */
export function mfaEnrolmentDue(policy: MfaPolicy, roles: readonly PolicyRole[], enrolled: boolean): boolean {
  return !enrolled && policyCoversMember(policy, roles);
}

/** The policy in its stored form (the organisations row's columns). */
export function mfaPolicyFromRow(row: { require_mfa?: boolean | null; mfa_required_role_ids?: readonly string[] | null; mfa_grace_until?: Date | string | null }): MfaPolicy {
  const grace = row.mfa_grace_until ?? null;
  return {
    requiredForAll: row.require_mfa === true,
    requiredForRoleIds: row.mfa_required_role_ids ?? [],
    graceUntil: grace === null ? null : grace instanceof Date ? grace : new Date(grace),
  };
}
