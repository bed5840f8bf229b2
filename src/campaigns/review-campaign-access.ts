import type { AccessSnapshot } from '../access/access-snapshot';
import type { RequestContext } from '../core/context/request-context';
import { AppError, ErrorCode, forbidden, notFound, organisationRefused } from '../core/errors';
import { isId } from '../core/ids';
import { countedRefusal } from '../core/observability/authz-metrics';
import type { ReviewCampaignView, ReviewItemView } from './review-campaign.rows';

/** Whose items are whose: the parts of an item the rules of reviewing read. */
type ItemReviewers = Pick<ReviewItemView, 'reviewerMembershipId' | 'campaignOwnerMembershipId' | 'teamId'>;

/** The caller is a MANAGER of the team (not merely holding teams:manage-members organisation-wide). */
export function managesTeam(snapshot: AccessSnapshot, teamId: string): boolean {
  return snapshot.teamsWith('teams:manage-members').includes(teamId);
}

/**
 * The caller reviews this item: its reviewer, the campaign's owner, or (a team place) a MANAGER of its
 * team. They may read it whether or not they hold access:review.
 */
export function reviewsItem(snapshot: AccessSnapshot, item: ItemReviewers): boolean {
  const me = snapshot.membershipId;
  if (me === null || !snapshot.active) return false;
  return item.reviewerMembershipId === me || item.campaignOwnerMembershipId === me || (item.teamId !== null && managesTeam(snapshot, item.teamId));
}

/**
 * The caller may decide the item (never their own access: checked apart, by user): whoever reviews it,
 * or, for an item nobody was assigned (the campaign owner's own), any holder of access:review.
 */
export function decidesItem(snapshot: AccessSnapshot, item: ItemReviewers): boolean {
  return reviewsItem(snapshot, item) || (item.reviewerMembershipId === null && snapshot.has('access:review'));
}

function refuse(permission: string, error: AppError): never {
  throw countedRefusal(permission, error);
}

/** A campaign the caller holds access:review for; any other looks missing (NOT_FOUND). */
export async function requireReviewableCampaign(ctx: RequestContext, id: string): Promise<ReviewCampaignView> {
  ctx.requirePrincipal();
  const campaign = isId(id) ? await ctx.loaders.reviewCampaignById.load(id) : null;
  if (!campaign) throw notFound('ReviewCampaign');
  await ctx.requirePermission(campaign.organisationId, 'access:review', 'ReviewCampaign');
  return campaign;
}

/**
 * An item the caller may decide. One they cannot see looks missing (NOT_FOUND); one they see but may
 * not decide (their own access, or someone else's assignment) is FORBIDDEN.
 */
export async function requireDecidableItem(ctx: RequestContext, id: string): Promise<{ item: ReviewItemView; snapshot: AccessSnapshot }> {
  ctx.requirePrincipal();
  const item = isId(id) ? await ctx.loaders.reviewItemById.load(id) : null;
  if (!item) throw notFound('ReviewItem');
  const snapshot = await ctx.access(item.organisationId);
  if (!snapshot.has('access:review') && !reviewsItem(snapshot, item)) {
    if (snapshot.refusal) refuse('access:review', organisationRefused(snapshot.refusal));
    if (snapshot.mfaStandsInTheWay('access:review')) refuse('access:review', new AppError(ErrorCode.MFA_REQUIRED));
    refuse('access:review', notFound('ReviewItem'));
  }
  if (item.userId === ctx.userId) refuse('review:self', forbidden('You cannot review your own access'));
  if (!decidesItem(snapshot, item)) {
    refuse('review:reviewer', forbidden("Only the item's reviewer, a manager of its team or the campaign's owner may decide it"));
  }
  return { item, snapshot };
}
