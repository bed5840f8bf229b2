import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { badInput, notFound } from '../core/errors';
import { isId } from '../core/ids';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import type { MembershipStatus } from '../memberships/membership-status';
import { rolePermissions } from '../roles/built-in-roles';
import { explainPermission } from './access-explainer';
import type { AccessExplanationType } from './access-review.type';
import { GRANTS_COLUMNS, grantsFromRow } from './member-grants';
import { mfaPolicyFromRow } from './mfa-policy';

// One statement: the organisation's boundary and MFA policy, and the user's membership there (if any)
// with its direct roles and its teams' granted roles.
const SELECT_MEMBER_GRANTS = `
  SELECT o.permission_boundary, o.require_mfa, o.mfa_required_role_ids, o.mfa_grace_until, m.status, ${GRANTS_COLUMNS}
  FROM organisations o LEFT JOIN memberships m ON m.organisation_id = o.id AND m.user_id = $2
  WHERE o.id = $1`;

/** `explainAccess`: why a member holds a permission (DESIGN.md §4), in agreement with the evaluator. */
export class AccessExplanationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly catalogue: PermissionCatalogue,
  ) {}

  /**
   * Needs access:review in the organisation (NOT_FOUND where the caller has no access at all). A user
   * who is not a member there (or does not exist) is explained as NOT_A_MEMBER: the answer does not
   * tell whether the user exists elsewhere.
   */
  async explain(ctx: RequestContext, organisationId: string, userId: string, permission: string): Promise<AccessExplanationType> {
    if (!isId(organisationId)) throw notFound('Organisation');
    await ctx.requirePermission(organisationId, 'access:review', 'Organisation');
    if (!this.catalogue.has(permission)) throw badInput(`Unknown permission "${permission}"`, { argument: 'permission' });
    const rows: Record<string, any>[] = await this.dataSource.query(SELECT_MEMBER_GRANTS, [organisationId, isId(userId) ? userId : null]);
    if (rows.length === 0) throw notFound('Organisation'); // deleted meanwhile
    const [row] = rows;
    const grants = grantsFromRow(row);
    const explanation = explainPermission(
      { membershipStatus: row.status as MembershipStatus | null, directRoles: grants.directRoles, teams: grants.teams, boundary: row.permission_boundary, mfaPolicy: mfaPolicyFromRow(row) },
      permission,
      this.catalogue,
      (role) => rolePermissions(role, this.catalogue),
    );
    const teams = new Map(grants.teams.map((place) => [place.teamId, place.team]));
    const places = new Map(grants.teams.map((place) => [place.teamId, place]));
    return {
      organisationId,
      permission,
      granted: explanation.granted,
      reason: explanation.reason,
      mfaRequired: explanation.mfaRequired,
      paths: explanation.paths.map((path) => ({
        organisationId,
        role: path.role,
        team: path.teamId === null ? null : (teams.get(path.teamId) ?? null),
        impliedBy: path.impliedBy,
        withheldByMfa: path.withheldByMfa,
        expiresAt: path.teamId === null ? ((path.role as { grantExpiresAt?: Date | null }).grantExpiresAt ?? null) : (places.get(path.teamId)?.expiresAt ?? null),
      })),
    };
  }
}
