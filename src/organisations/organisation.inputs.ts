import { ArrayMaxSize, IsBoolean, IsDate, IsEmail, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';

export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const DOMAIN_PATTERN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

@InputType()
export class CreateOrganisationInput {
  @Field(() => String) @IsString() @MinLength(1) @MaxLength(200) @Matches(/\S/, { message: 'name must not be blank' }) name!: string;
  @Field(() => String) @Matches(SLUG_PATTERN, { message: 'slug must be lowercase letters, digits and single hyphens' }) @MaxLength(63) slug!: string;
  @Field(() => String, { description: 'The first Owner: an existing user, or a placeholder linked at their first sign-in' })
  @IsEmail({}, { message: 'ownerEmail must be an email address' }) @MaxLength(320) ownerEmail!: string;
}

/** The most roles an MFA policy names. */
export const MFA_POLICY_MAX_ROLES = 100;

@InputType({ description: 'Omitted fields stay as they are' })
export class MfaPolicyInput {
  @Field(() => [ID], { nullable: true, description: `Roles of this organisation (at most ${MFA_POLICY_MAX_ROLES}); [] covers no role` })
  @IsOptional() @ArrayMaxSize(MFA_POLICY_MAX_ROLES) requiredForRoleIds?: string[];
  @Field(() => Boolean, { nullable: true, description: 'The same setting as requireMfa' }) @IsOptional() @IsBoolean() requiredForAll?: boolean;
  @Field(() => Date, { nullable: true, description: 'End of the grace period; null: none (enforced now); a past instant: enforced now' })
  @IsOptional() @IsDate() graceUntil?: Date | null;
}

@InputType()
export class UpdateOrganisationInput {
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MinLength(1) @MaxLength(200) @Matches(/\S/, { message: 'name must not be blank' }) name?: string;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(1) @Max(30) invitationExpiryDays?: number;
  @Field(() => Int, { nullable: true, description: 'The longest elevation a member may request, in hours (1–720)' })
  @IsOptional() @IsInt() @Min(1) @Max(720) maxElevationHours?: number;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() requireMfa?: boolean;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() requireApproval?: boolean;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(100) allowedEmailDomains?: string[];
  @Field(() => [String], { nullable: true, description: 'Only domains this organisation verified (requestDomain, then verifyDomain or approveDomain)' })
  @IsOptional() @ArrayMaxSize(100) autoJoinDomains?: string[];
  @Field(() => [String], { nullable: true, description: 'Owners only. Omitted: unchanged; a list: the new boundary; null: no boundary' })
  @IsOptional() @ArrayMaxSize(1000) permissionBoundary?: string[] | null;
  @Field(() => MfaPolicyInput, { nullable: true, description: 'Refused (MFA_REQUIRED) if, without a second factor in your token, it would withhold org:update from you' })
  @IsOptional() @ValidateNested() mfaPolicy?: MfaPolicyInput;
}
