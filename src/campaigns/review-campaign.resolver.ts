import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import { PageArgs, type Connection } from '../core/graphql/connection';
import type { MembershipEntity } from '../memberships/membership.entity';
import { MembershipType } from '../memberships/membership.type';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { OrganisationType } from '../organisations/organisation.type';
import { ReviewDecision } from './review-campaign.enums';
import { CreateReviewCampaignInput } from './review-campaign.inputs';
import type { ReviewCampaignView, ReviewItemView } from './review-campaign.rows';
import { ReviewCampaignConnection, ReviewCampaignType, ReviewItemConnection, ReviewItemType, ReviewProgressType, ReviewScopeType } from './review-campaign.type';

@Resolver(() => OrganisationType)
export class OrganisationReviewCampaignsResolver {
  @FieldResolver(() => ReviewCampaignConnection, {
    description: 'Access-review campaigns, newest first: all of them with access:review, else those where you review something',
  })
  reviewCampaigns(@Ctx() ctx: RequestContext, @Root() organisation: OrganisationEntity, @Args() page: PageArgs): Promise<Connection<ReviewCampaignView>> {
    return ctx.services.reviewCampaigns.list(ctx, organisation.id, page);
  }
}

@Resolver(() => ReviewCampaignType)
export class ReviewCampaignResolver {
  @Query(() => ReviewCampaignType, { nullable: true, description: 'access:review in its organisation; null when it does not exist or you cannot see it' })
  reviewCampaign(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<ReviewCampaignView | null> {
    return ctx.services.reviewCampaigns.findVisible(ctx, id);
  }

  @Mutation(() => ReviewCampaignType, { description: 'access:review. Snapshots the grants in scope as items to review' })
  createReviewCampaign(@Ctx() ctx: RequestContext, @Arg('input', () => CreateReviewCampaignInput) input: CreateReviewCampaignInput): Promise<ReviewCampaignView> {
    return ctx.services.reviewCampaigns.create(ctx, input);
  }

  @Mutation(() => ReviewItemType, {
    description: "The item's reviewer, a manager of its team or the campaign's owner; never your own access. REVOKE removes the grant at once",
  })
  decideReviewItem(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('decision', () => ReviewDecision) decision: ReviewDecision,
    @Arg('comment', () => String, { nullable: true, description: 'At most 1000 characters' }) comment?: string | null,
  ): Promise<ReviewItemView> {
    return ctx.services.reviewDecisions.decide(ctx, id, decision, comment);
  }

  @Mutation(() => ReviewCampaignType, { description: 'access:review. Applies the default to undecided items and closes it (a recurring one recurs); closing a closed one changes nothing' })
  closeReviewCampaign(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<ReviewCampaignView> {
    return ctx.services.reviewCampaigns.close(ctx, id);
  }

  @FieldResolver(() => ReviewScopeType, { nullable: true, description: 'What the campaign covers; needs access:review (null for a reviewer without it)' })
  scope(@Root() campaign: ReviewCampaignView): ReviewScopeType {
    return { organisationId: campaign.organisationId, kind: campaign.scopeKind, roleIds: campaign.scopeRoleIds, teamIds: campaign.scopeTeamIds };
  }

  @FieldResolver(() => MembershipType, { nullable: true, description: "The campaign's owner (reviewerMembershipId): reviews what no team manager reviews" })
  async reviewer(@Ctx() ctx: RequestContext, @Root() campaign: ReviewCampaignView): Promise<MembershipEntity | null> {
    return campaign.ownerMembershipId ? ctx.loaders.membershipById.load(campaign.ownerMembershipId) : null;
  }

  @FieldResolver(() => ReviewProgressType)
  async progress(@Ctx() ctx: RequestContext, @Root() campaign: ReviewCampaignView): Promise<ReviewProgressType> {
    const counts = await ctx.services.reviewCampaigns.progress(ctx, campaign);
    return { organisationId: campaign.organisationId, viewerReviews: campaign.viewerReviews, ...counts };
  }

  @FieldResolver(() => ReviewItemConnection, { description: 'In order of member name; without access:review, only the items you review' })
  items(
    @Ctx() ctx: RequestContext,
    @Root() campaign: ReviewCampaignView,
    @Args() page: PageArgs,
    @Arg('decided', () => Boolean, { nullable: true, description: 'true: decided items only; false: undecided only' }) decided?: boolean | null,
  ): Promise<Connection<ReviewItemView>> {
    return ctx.services.reviewCampaigns.items(ctx, campaign, { ...page, decided });
  }
}
