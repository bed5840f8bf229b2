import type { RequestContext } from '../core/context/request-context';

/**
 * Federation: `_entities` resolves a ReviewCampaign through the same loader, for a caller holding
 * access:review in its organisation; anything else (another organisation's, or a reviewer without
 * access:review) is null.
 */
export const reviewCampaignReferenceResolvers = {
  ReviewCampaign: {
    __resolveReference(reference: { id: string }, ctx: RequestContext) {
      return ctx.services.reviewCampaigns.findVisible(ctx, reference.id);
    },
  },
};
