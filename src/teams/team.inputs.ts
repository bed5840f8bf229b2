import { IsEnum, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { TeamMemberRole } from './team-member-role';

@InputType()
export class CreateTeamInput {
  @Field(() => ID) organisationId!: string;
  @Field(() => String, { description: '1–100 characters, unique in the organisation (case-insensitive)' })
  @IsString() @MinLength(1) @MaxLength(100) @Matches(/\S/, { message: 'name must not be blank' }) name!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(1000) description?: string;
}

@InputType()
export class UpdateTeamInput {
  @Field(() => String, { nullable: true, description: '1–100 characters, unique in the organisation (case-insensitive)' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(100) @Matches(/\S/, { message: 'name must not be blank' }) name?: string;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(1000) description?: string;
}

@InputType()
export class TeamMemberInput {
  @Field(() => ID) teamId!: string;
  @Field(() => ID, { description: "A membership of the team's organisation" }) membershipId!: string;
  @Field(() => TeamMemberRole, { defaultValue: TeamMemberRole.MEMBER }) @IsEnum(TeamMemberRole) role!: TeamMemberRole;
  @Field(() => Date, {
    nullable: true,
    description: 'addTeamMember: the place (and what the team grants through it) ends then (time-bound access; in the future; not in a team granting Owner). Absent: permanent',
  })
  expiresAt?: Date | null;
}
