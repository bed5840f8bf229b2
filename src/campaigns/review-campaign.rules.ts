import { allow, or } from 'graphql-shield';
import type { RuleMap } from '../core/authz/apply-rules';
import { decideActive, decidePermission, holdsOnParent, withAccess } from '../core/authz/common-rules';
import { objectRule } from '../core/authz/rule-engine';
import type { RequestContext } from '../core/context/request-context';
import { reviewsItem } from './review-campaign-access';
import type { ReviewItemView } from './review-campaign.rows';

const reviews = holdsOnParent('access:review');

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

export const reviewCampaignRules: RuleMap = {
  // Query.reviewCampaign and the mutations: src/core/authz/mutation-permissions.ts.
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
