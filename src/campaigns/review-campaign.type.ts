import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { connectionTypes } from '../core/graphql/connection';
import { ReviewCampaignStatus, ReviewDecision, ReviewItemKind, ReviewItemOutcome, ReviewScopeKind } from './review-campaign.enums';

@ObjectType('ReviewCampaign', { description: 'An access-review (recertification) campaign: access:review, or a reviewer of some of its items' })
@Directive('@key(fields: "id")')
export class ReviewCampaignType {
  @Field(() => ID) id!: string;
  organisationId!: string;
  @Field(() => String) name!: string;
  @Field(() => ReviewCampaignStatus) status!: ReviewCampaignStatus;
  @Field(() => Date, { description: 'When the default decision applies to undecided items and the campaign closes' }) dueAt!: Date;
  @Field(() => ReviewDecision, { description: 'Applied to undecided items at the due date (or when closed by hand)' }) defaultDecision!: ReviewDecision;
  @Field(() => Int, { nullable: true, description: 'When set, closing creates the next campaign, due this many months after this one' })
  recurrenceMonths!: number | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) closedAt!: Date | null;
}

@ObjectType('ReviewScope', { description: 'What a campaign covers (access:review)' })
export class ReviewScopeType {
  organisationId!: string;
  @Field(() => ReviewScopeKind) kind!: ReviewScopeKind;
  roleIds!: string[];
  teamIds!: string[];
}

@ObjectType('ReviewProgress', { description: 'How far a campaign is' })
export class ReviewProgressType {
  organisationId!: string;
  viewerReviews?: boolean;
  @Field(() => Int, { description: 'Items snapshotted at creation' }) total!: number;
  @Field(() => Int, { description: 'Items with a decision (by a reviewer, or the default at the close)' }) decided!: number;
  @Field(() => Int) kept!: number;
  @Field(() => Int, { description: 'Items decided REVOKE: the grant is gone' }) revoked!: number;
}

@ObjectType('ReviewItem', { description: 'One grant to review, as snapshotted when the campaign was created' })
export class ReviewItemType {
  @Field(() => ID) id!: string;
  organisationId!: string;
  @Field(() => ReviewItemKind) kind!: ReviewItemKind;
  @Field(() => String, { description: "The role's (ROLE) or team's (TEAM_PLACE) name at the snapshot" }) grantName!: string;
  @Field(() => [String], { description: "The member's effective permissions at the snapshot (empty unless ACTIVE then)" }) effectivePermissions!: string[];
  @Field(() => Date, { nullable: true, description: "The member's last sign-in at the snapshot" }) lastSignInAt!: Date | null;
  @Field(() => ReviewDecision, { nullable: true }) decision!: ReviewDecision | null;
  @Field(() => String, { nullable: true }) comment!: string | null;
  @Field(() => Date, { nullable: true }) decidedAt!: Date | null;
  @Field(() => ReviewItemOutcome) outcome!: ReviewItemOutcome;
  @Field(() => String, { nullable: true, description: 'Why the default REVOKE was refused (REVOKE_REFUSED)' }) outcomeReason!: string | null;
}

export const { ConnectionType: ReviewCampaignConnection } = connectionTypes(ReviewCampaignType, 'ReviewCampaign');
export const { ConnectionType: ReviewItemConnection } = connectionTypes(ReviewItemType, 'ReviewItem');
