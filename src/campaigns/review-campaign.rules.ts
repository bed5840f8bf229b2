import { allow, or } from 'graphql-shield';
import type { AccessSnapshot } from '../access/access-snapshot';
import type { RuleMap } from '../core/authz/apply-rules';
import { decidePermission, holdsOnArgument, holdsOnParent, isAuthenticated, withAccess } from '../core/authz/common-rules';
import { fieldRule, objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { AppError, ErrorCode, organisationRefused } from '../core/errors';
import { requireDecidableItem, requireReviewableCampaign, reviewsItem } from './review-campaign-access';
import type { ReviewItemView } from './review-campaign.rows';

const reviews = holdsOnParent('access:review');

const decideActive = (snapshot: AccessSnapshot) =>
  snapshot.active ? true : snapshot.refusal ? organisationRefused(snapshot.refusal) : snapshot.mfaRequired ? new AppError(ErrorCode.MFA_REQUIRED) : false;

/**
 * A campaign (or its progress) listed to the caller because they review something in it: only lists
 * filtered to the caller's own review work set the flag; they must still be an active member there.
 */
const listedForReviewer = objectRule('reviewCampaignListedForReviewer', (object: { organisationId: string; viewerReviews?: boolean }, ctx: RequestContext) =>
  object.viewerReviews === true ? withAccess(ctx, object.organisationId, decideActive) : false,
);

/** The caller reviews the item: its reviewer, the campaign's owner, or a manager of its team. */
const reviewsThisItem = objectRule('reviewsItem', (item: ReviewItemView, ctx: RequestContext) =>
  withAccess(ctx, item.organisationId, (snapshot) => reviewsItem(snapshot, item) || decidePermission(snapshot, 'access:review')),
);

/** Any active member may ask; the list holds what they may see (everything with access:review, else their review work). */
const listsCampaigns = objectRule('listsReviewCampaigns', (organisation: { id: string }, ctx: RequestContext) => withAccess(ctx, organisation.id, decideActive));

const settle = (work: Promise<unknown>) => work.then(() => true, (error: Error) => error);

/** The campaign named by `id` is one the caller holds access:review for (loaded; NOT_FOUND otherwise). */
const reviewsCampaignById = fieldRule('reviewsCampaign:id', (_parent, args: { id: string }, ctx: RequestContext) => settle(requireReviewableCampaign(ctx, args.id)));

/** The item named by `id` is one the caller may decide (loaded; NOT_FOUND when unseen, FORBIDDEN otherwise). */
const decidesItemById = fieldRule('decidesReviewItem:id', (_parent, args: { id: string }, ctx: RequestContext) => settle(requireDecidableItem(ctx, args.id)));

export const reviewCampaignRules: RuleMap = {
  Query: {
    // Answers null for a campaign the caller may not review (access:review in its organisation).
    reviewCampaign: isAuthenticated,
  },
  Mutation: {
    createReviewCampaign: holdsOnArgument('access:review'),
    // The services check the same again, inside their transactions.
    decideReviewItem: decidesItemById,
    closeReviewCampaign: reviewsCampaignById,
  },
  Organisation: {
    reviewCampaigns: listsCampaigns,
  },
  ReviewCampaign: {
    '*': or(reviews, listedForReviewer),
    // What the campaign covers is for holders of access:review (the roles and teams are theirs to read).
    scope: reviews,
  },
  ReviewScope: { '*': reviews },
  ReviewProgress: { '*': or(reviews, listedForReviewer) },
  ReviewItem: { '*': reviewsThisItem },
  ReviewCampaignConnection: { '*': allow },
  ReviewCampaignEdge: { '*': allow },
  ReviewItemConnection: { '*': allow },
  ReviewItemEdge: { '*': allow },
};
