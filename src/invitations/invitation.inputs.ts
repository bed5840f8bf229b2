import { ArrayMaxSize, IsOptional } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';

export const MIN_EXPIRY_DAYS = 1;
export const MAX_EXPIRY_DAYS = 30;

@InputType()
export class InviteUserInput {
  @Field(() => ID) organisationId!: string;
  @Field(() => String, { description: 'Trimmed and lower-cased; must be in the allowed email domains when the organisation has any' })
  email!: string;
  @Field(() => [ID], { nullable: true, description: 'Roles of this organisation, each one you could assign yourself; none: the built-in Member role' })
  @IsOptional() @ArrayMaxSize(100) roleIds?: string[] | null;
  @Field(() => [ID], { nullable: true, description: 'Teams of this organisation, joined as MEMBER' })
  @IsOptional() @ArrayMaxSize(100) teamIds?: string[] | null;
  @Field(() => Int, { nullable: true, description: `${MIN_EXPIRY_DAYS}–${MAX_EXPIRY_DAYS}; default: the organisation's invitationExpiryDays` })
  expiresInDays?: number | null;
  @Field(() => Date, {
    nullable: true,
    description: 'The roles it offers are granted until then once accepted (time-bound access; in the future; never Owner). Absent: permanently',
  })
  expiresAt?: Date | null;
}
