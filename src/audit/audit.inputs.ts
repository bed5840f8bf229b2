import { IsOptional, IsString, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';

@InputType({ description: 'Every given condition must hold' })
export class AuditFilter {
  @Field(() => String, { nullable: true, description: 'An exact action (member.deactivated), or a prefix ending in "." (member.)' })
  @IsOptional() @IsString() @MaxLength(100) action?: string | null;
  @Field(() => ID, { nullable: true, description: 'The user who acted' }) @IsOptional() actorId?: string | null;
  @Field(() => String, { nullable: true, description: 'e.g. Membership, Role, Team, Invitation, Organisation' })
  @IsOptional() @IsString() @MaxLength(100) targetType?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(200) targetId?: string | null;
  @Field(() => String, { nullable: true, description: 'The request that made the changes (the x-request-id it was answered with)' })
  @IsOptional() @IsString() @MaxLength(200) requestId?: string | null;
  @Field(() => Date, { nullable: true, description: 'Inclusive' }) @IsOptional() since?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Exclusive' }) @IsOptional() until?: Date | null;
}
