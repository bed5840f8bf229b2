import { Field, ID, InputType, Int } from 'type-graphql';
import { ReviewDecision, ReviewScopeKind } from './review-campaign.enums';

@InputType('ReviewScopeInput', { description: 'ROLES needs roleIds, TEAMS needs teamIds; ALL and PRIVILEGED take neither' })
export class ReviewScopeInput {
  @Field(() => ReviewScopeKind) kind!: ReviewScopeKind;
  @Field(() => [ID], { nullable: true, description: 'Roles of the organisation (ROLES)' }) roleIds?: string[] | null;
  @Field(() => [ID], { nullable: true, description: 'Teams of the organisation (TEAMS)' }) teamIds?: string[] | null;
}

@InputType('CreateReviewCampaignInput')
export class CreateReviewCampaignInput {
  @Field(() => ID) organisationId!: string;
  @Field(() => String, { description: '1–200 characters' }) name!: string;
  @Field(() => ReviewScopeInput) scope!: ReviewScopeInput;
  @Field(() => Date, { description: 'In the future, at most two years ahead' }) dueAt!: Date;
  @Field(() => ReviewDecision, { nullable: true, defaultValue: ReviewDecision.KEEP, description: 'Applied to undecided items at the due date' })
  defaultDecision?: ReviewDecision | null;
  @Field(() => ID, { nullable: true, description: "The campaign's owner: an ACTIVE member holding access:review; default: you" })
  reviewerMembershipId?: string | null;
  @Field(() => Int, { nullable: true, description: '1–24: closing creates the next campaign, due this many months later' })
  recurrenceMonths?: number | null;
}
