import type { DataSource } from 'typeorm';
import type { RequestContext } from '../core/context/request-context';
import { badInput } from '../core/errors';
import type { PermissionCatalogue } from '../core/permissions/permission-catalogue';
import type { InvitationEntity } from '../invitations/invitation.entity';
import { INVITATION_COLUMNS, invitationFromRow } from '../invitations/invitation.rows';
import type { MembershipEntity } from '../memberships/membership.entity';
import { MEMBERSHIP_COLUMNS, membershipFromRow } from '../memberships/membership.rows';
import { MembershipStatus } from '../memberships/membership-status';
import { BUILT_IN_ROLES, builtInRolePermissions } from '../roles/built-in-roles';
import { USER_COLUMNS_PREFIXED, userFromPrefixedRow } from '../users/user.rows';
import { ACCESS_REVIEW_LIST_LIMIT, AccessReviewType, type AccessReviewCountsType, type ExpiringGrantType } from './access-review.type';
import { liveGrant } from './grant-expiry';

/** Holding any of these (or anything implying them) through a role makes a member privileged. */
export const PRIVILEGED_PERMISSIONS: readonly string[] = ['roles:manage', 'members:assign-roles', 'org:update'];

export const INACTIVE_DAYS = { default: 90, min: 1, max: 3650 } as const;

type MemberList = 'PRIVILEGED' | 'INACTIVE' | 'PENDING';

export interface MemberLists {
  lists: Record<MemberList, MembershipEntity[]>;
  counts: Record<MemberList, number>;
}

interface InvitationList {
  invitations: InvitationEntity[];
  count: number;
}

const MEMBER_ROW = `count(*) OVER ()::int AS list_count, ${MEMBERSHIP_COLUMNS}, ${USER_COLUMNS_PREFIXED} FROM memberships m JOIN users u ON u.id = m.user_id`;

// The three member lists in one statement, each ordered and capped on its own; count(*) OVER () is
// taken before the LIMIT, so it is the list's full size. Privileged: any status (a deactivated or
// pending member regains or gains the role's access on (re)activation).
const SELECT_MEMBER_LISTS = `
  WITH privileged_roles AS (
    SELECT r.id FROM roles r WHERE r.organisation_id = $1 AND (r.built_in_key = ANY($2::text[]) OR r.permissions && $3::text[]))
  (SELECT 'PRIVILEGED' AS list, ${MEMBER_ROW}
   WHERE m.organisation_id = $1 AND (
     EXISTS (SELECT 1 FROM membership_roles l WHERE l.membership_id = m.id AND ${liveGrant('l')} AND l.role_id IN (SELECT id FROM privileged_roles))
     OR EXISTS (SELECT 1 FROM team_members tm JOIN team_roles l ON l.team_id = tm.team_id
                WHERE tm.membership_id = m.id AND ${liveGrant('tm')} AND l.role_id IN (SELECT id FROM privileged_roles)))
   ORDER BY lower(u.display_name), m.id LIMIT $5)
  UNION ALL
  (SELECT 'INACTIVE', ${MEMBER_ROW}
   WHERE m.organisation_id = $1 AND m.status = '${MembershipStatus.ACTIVE}'
     AND (u.last_sign_in_at IS NULL OR u.last_sign_in_at < now() - make_interval(days => $4::int))
   ORDER BY u.last_sign_in_at ASC NULLS FIRST, m.id LIMIT $5)
  UNION ALL
  (SELECT 'PENDING', ${MEMBER_ROW}
   WHERE m.organisation_id = $1 AND m.status = '${MembershipStatus.PENDING_APPROVAL}'
   ORDER BY m.joined_at, m.id LIMIT $5)`;

// Stale invitations: a stored PENDING past its expiry (nothing sweeps them), or one stored EXPIRED
// should a sweeper ever write that status. The inviter comes along (primed for `invitedBy`).
const SELECT_EXPIRED_INVITATIONS = `
  SELECT count(*) OVER ()::int AS list_count, ${INVITATION_COLUMNS}, ${USER_COLUMNS_PREFIXED}
  FROM invitations i LEFT JOIN users u ON u.id = i.invited_by_id
  WHERE i.organisation_id = $1 AND ((i.status = 'PENDING' AND i.expires_at <= now()) OR i.status = 'EXPIRED')
  ORDER BY i.expires_at, i.id LIMIT $2`;

// Time-bound grants still in force that end within $2 days: direct roles and team places, soonest first.
const SELECT_EXPIRING_GRANTS = `
  SELECT count(*) OVER ()::int AS list_count, g.* FROM (
    SELECT l.membership_id, l.role_id, NULL::uuid AS team_id, l.expires_at FROM membership_roles l
    WHERE l.organisation_id = $1 AND l.expires_at IS NOT NULL AND ${liveGrant('l')} AND l.expires_at <= now() + make_interval(days => $2::int)
    UNION ALL
    SELECT tm.membership_id, NULL::uuid, tm.team_id, tm.expires_at FROM team_members tm
    WHERE tm.organisation_id = $1 AND tm.expires_at IS NOT NULL AND ${liveGrant('tm')} AND tm.expires_at <= now() + make_interval(days => $2::int)) g
  ORDER BY g.expires_at, g.membership_id, g.role_id NULLS LAST, g.team_id LIMIT $3`;

export const EXPIRING_WITHIN_DAYS = { default: 7, min: 1, max: 3650 } as const;

/**
 * The access review of an organisation (DESIGN.md §4, seeds 001 and 002): privileged members, inactive
 * members, pending approvals and stale invitations. Two statements whatever the organisation's size
 * (members, invitations), each list capped at {@link ACCESS_REVIEW_LIST_LIMIT}.
 */
export class AccessReviewService {
  /** Permission keys that make a role privileged (the built-in ones and extensions implying them). */
  readonly privilegedKeys: string[];
  /** Built-in roles that are privileged. */
  readonly privilegedBuiltIns: string[];
  // Per review object (so per request): each statement runs at most once, however many fields ask.
  private readonly memberLists = new WeakMap<AccessReviewType, Promise<MemberLists>>();
  private readonly invitationLists = new WeakMap<AccessReviewType, Promise<InvitationList>>();

  constructor(
    private readonly dataSource: DataSource,
    catalogue: PermissionCatalogue,
  ) {
    // Extension permissions may imply the privileged ones: a role listing such a key is privileged too.
    this.privilegedKeys = catalogue.keys.filter((key) => catalogue.impliedBy(key).some((implied) => PRIVILEGED_PERMISSIONS.includes(implied)));
    this.privilegedBuiltIns = BUILT_IN_ROLES.map((role) => role.key).filter((key) =>
      builtInRolePermissions(key, catalogue).some((permission) => this.privilegedKeys.includes(permission)),
    );
  }

  /** The review of an organisation, once the caller holds access:review there and `inactiveDays` is sane. */
  async open(ctx: RequestContext, organisationId: string, inactiveDays: number | null | undefined): Promise<AccessReviewType> {
    const days = inactiveDays ?? INACTIVE_DAYS.default;
    if (!Number.isInteger(days) || days < INACTIVE_DAYS.min || days > INACTIVE_DAYS.max) {
      throw badInput(`"inactiveDays" must be between ${INACTIVE_DAYS.min} and ${INACTIVE_DAYS.max}`, { argument: 'inactiveDays' });
    }
    await ctx.requirePermission(organisationId, 'access:review', 'Organisation');
    return Object.assign(new AccessReviewType(), { organisationId, inactiveDays: days });
  }

  members(ctx: RequestContext, review: AccessReviewType): Promise<MemberLists> {
    let pending = this.memberLists.get(review);
    if (!pending) {
      pending = this.loadMembers(ctx, review);
      this.memberLists.set(review, pending);
    }
    return pending;
  }

  /** Stale invitations also need invitations:read (the rules check it; so does this, to fail closed). */
  invitations(ctx: RequestContext, review: AccessReviewType): Promise<InvitationList> {
    let pending = this.invitationLists.get(review);
    if (!pending) {
      pending = this.loadInvitations(ctx, review);
      this.invitationLists.set(review, pending);
    }
    return pending;
  }

  async counts(ctx: RequestContext, review: AccessReviewType): Promise<AccessReviewCountsType> {
    const { counts } = await this.members(ctx, review);
    const readsInvitations = (await ctx.access(review.organisationId)).has('invitations:read');
    return {
      organisationId: review.organisationId,
      privilegedMembers: counts.PRIVILEGED,
      inactiveMembers: counts.INACTIVE,
      pendingApprovals: counts.PENDING,
      // Without invitations:read the field's rule refuses it; nothing is counted then.
      expiredInvitations: readsInvitations ? (await this.invitations(ctx, review)).count : 0,
    };
  }

  private async loadMembers(ctx: RequestContext, review: AccessReviewType): Promise<MemberLists> {
    await ctx.requirePermission(review.organisationId, 'access:review', 'Organisation');
    const rows: Record<string, any>[] = await this.dataSource.query(SELECT_MEMBER_LISTS, [
      review.organisationId,
      this.privilegedBuiltIns,
      this.privilegedKeys,
      review.inactiveDays,
      ACCESS_REVIEW_LIST_LIMIT,
    ]);
    const result: MemberLists = { lists: { PRIVILEGED: [], INACTIVE: [], PENDING: [] }, counts: { PRIVILEGED: 0, INACTIVE: 0, PENDING: 0 } };
    for (const row of rows) {
      const list = row.list as MemberList;
      const user = userFromPrefixedRow(row);
      ctx.loaders.userById.prime(user.id, user);
      result.lists[list].push(membershipFromRow(row));
      result.counts[list] = row.list_count;
    }
    return result;
  }

  /**
   * Time-bound grants ending within `withinDays` (one statement; memberships, roles and teams come
   * through their batching loaders), at most {@link ACCESS_REVIEW_LIST_LIMIT}, soonest first.
   */
  async expiringGrants(ctx: RequestContext, review: AccessReviewType, withinDays: number | null | undefined): Promise<ExpiringGrantType[]> {
    const days = withinDays ?? EXPIRING_WITHIN_DAYS.default;
    if (!Number.isInteger(days) || days < EXPIRING_WITHIN_DAYS.min || days > EXPIRING_WITHIN_DAYS.max) {
      throw badInput(`"withinDays" must be between ${EXPIRING_WITHIN_DAYS.min} and ${EXPIRING_WITHIN_DAYS.max}`, { argument: 'withinDays' });
    }
    await ctx.requirePermission(review.organisationId, 'access:review', 'Organisation');
    const rows: { membership_id: string; role_id: string | null; team_id: string | null; expires_at: Date }[] = await this.dataSource.query(SELECT_EXPIRING_GRANTS, [
      review.organisationId,
      days,
      ACCESS_REVIEW_LIST_LIMIT,
    ]);
    return rows.map((row) => ({ organisationId: review.organisationId, membershipId: row.membership_id, roleId: row.role_id, teamId: row.team_id, expiresAt: row.expires_at }));
  }

  private async loadInvitations(ctx: RequestContext, review: AccessReviewType): Promise<InvitationList> {
    await ctx.requirePermission(review.organisationId, 'access:review', 'Organisation');
    await ctx.requirePermission(review.organisationId, 'invitations:read', 'Organisation');
    const rows: Record<string, any>[] = await this.dataSource.query(SELECT_EXPIRED_INVITATIONS, [review.organisationId, ACCESS_REVIEW_LIST_LIMIT]);
    const invitations = rows.map((row) => {
      if (row.u_id) {
        const inviter = userFromPrefixedRow(row);
        ctx.loaders.userById.prime(inviter.id, inviter);
      }
      const invitation = invitationFromRow(row);
      ctx.loaders.invitationById.prime(invitation.id, invitation);
      return invitation;
    });
    return { invitations, count: rows[0]?.list_count ?? 0 };
  }
}
