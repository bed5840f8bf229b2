import { AppError, ErrorCode, notFound, organisationRefused } from '../core/errors';
import type { OrganisationRefusal } from '../organisations/organisation-status';
import type { EvaluationResult } from './permission-evaluator';

/** What the user's membership holds as data, whatever its status: its direct roles and its teams. */
export interface MembershipHoldings {
  roleIds: ReadonlySet<string>;
  teamIds: ReadonlySet<string>;
}

const HOLDS_NOTHING: MembershipHoldings = { roleIds: new Set(), teamIds: new Set() };

/** What one user may do in one organisation, computed once per request. */
export class AccessSnapshot {
  constructor(
    readonly organisationId: string,
    readonly membershipId: string | null,
    private readonly result: EvaluationResult,
    /** The MFA policy covers this active member and no second factor of theirs is known (`Membership.mfaEnrolmentDue`). */
    readonly mfaEnrolmentDue = false,
    private readonly holdings: MembershipHoldings = HOLDS_NOTHING,
  ) {}

  /** The membership holds this role directly (any status: a pending member still sees the roles offered to them). */
  holdsRole(roleId: string): boolean {
    return this.holdings.roleIds.has(roleId);
  }

  /** The membership has a place in this team (any status). */
  isInTeam(teamId: string): boolean {
    return this.holdings.teamIds.has(teamId);
  }

  /** Organisation-wide permissions plus those held in this team's scope (its MANAGER), sorted. */
  permissionsInTeam(teamId: string): string[] {
    const scoped = this.result.teamPermissions.get(teamId);
    return [...new Set([...this.result.permissions, ...(scoped ?? [])])].sort();
  }

  get permissions(): ReadonlySet<string> {
    return this.result.permissions;
  }

  get owner(): boolean {
    return this.result.owner;
  }

  /** The MFA policy withheld something from this request. */
  get mfaRequired(): boolean {
    return this.result.mfaRequired;
  }

  /**
   * Why an active member may do nothing here although their roles say otherwise: the organisation is
   * suspended or deleted (then FORBIDDEN with this `reason`, before any MFA answer). null otherwise.
   */
  get refusal(): OrganisationRefusal | null {
    return this.result.refusal ?? null;
  }

  /** What the MFA policy withholds from this request (see EvaluationResult.mfaWithholds). */
  get mfaWithholds(): ReadonlySet<string> {
    return this.result.mfaWithholds;
  }

  /** `permission` is missing only because the MFA policy withholds it: the answer is MFA_REQUIRED. */
  withheldByMfa(permission: string): boolean {
    return this.result.mfaWithholds.has(permission);
  }

  /**
   * The answer to a refusal of `permission` is MFA_REQUIRED: the policy withholds it, or it withholds all
   * the member holds here (nothing left to see without a second factor, as when MFA is required for everyone).
   */
  mfaStandsInTheWay(permission: string): boolean {
    return this.result.mfaWithholds.has(permission) || (this.result.permissions.size === 0 && this.result.mfaRequired);
  }

  /**
   * Why `permission` (organisation-wide, or with `teamId` in that team's scope) is refused here, in the order
   * every rule and service answers: the organisation suspended or deleted (FORBIDDEN with its reason), the MFA
   * policy standing in the way (MFA_REQUIRED), no access here at all (NOT_FOUND: another organisation looks
   * like nothing), else FORBIDDEN. null when it is held.
   */
  refusalFor(permission: string, what: string, teamId?: string): AppError | null {
    if (teamId ? this.hasInTeam(teamId, permission) : this.has(permission)) return null;
    if (this.refusal) return organisationRefused(this.refusal);
    if (this.mfaStandsInTheWay(permission)) return new AppError(ErrorCode.MFA_REQUIRED);
    if (!this.active) return notFound(what);
    return new AppError(ErrorCode.FORBIDDEN, `Missing permission ${permission}`);
  }

  /** True when the user is an active member with at least one permission here. */
  get active(): boolean {
    return this.result.permissions.size > 0;
  }

  has(permission: string): boolean {
    return this.result.permissions.has(permission);
  }

  /** Organisation-wide permission, or the team-scoped one of a team the user manages. */
  hasInTeam(teamId: string, permission: string): boolean {
    return this.result.permissions.has(permission) || (this.result.teamPermissions.get(teamId)?.has(permission) ?? false);
  }

  /** The teams where the user holds `permission` only through being their MANAGER. */
  teamsWith(permission: string): string[] {
    return [...this.result.teamPermissions].filter(([, keys]) => keys.has(permission)).map(([teamId]) => teamId);
  }
}
