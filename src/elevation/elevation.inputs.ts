import { Field, ID, InputType, Int } from 'type-graphql';

export const MAX_REASON_LENGTH = 1000;

@InputType()
export class RequestElevationInput {
  @Field(() => ID) organisationId!: string;
  @Field(() => ID, { description: 'A role of the organisation (never Owner, which cannot be time-bound)' }) roleId!: string;
  @Field(() => Int, { description: "1 to the organisation's maxElevationHours" }) hours!: number;
  @Field(() => String, { description: `Why you need it (1–${MAX_REASON_LENGTH} characters)` }) reason!: string;
}
