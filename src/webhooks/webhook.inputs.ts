import { ArrayMaxSize, IsOptional, IsString, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class CreateWebhookEndpointInput {
  @Field(() => ID, { nullable: true, description: "The organisation whose events it receives (webhooks:manage there); null: platform-wide, every organisation's events (platform administrators)" })
  @IsOptional() organisationId?: string | null;
  @Field(() => String, { description: 'https (http only where WEBHOOK_ALLOW_PRIVATE_NETWORKS or outside production); must resolve to public addresses' })
  @IsString() @MaxLength(2000) url!: string;
  @Field(() => [String], { nullable: true, description: 'Event types to receive; none or empty: every type' })
  @IsOptional() @ArrayMaxSize(100) eventTypes?: string[] | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(500) description?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Deliver email addresses in event data (needs members:read-contact; never for platform-wide endpoints). Default false' })
  @IsOptional() includeEmails?: boolean | null;
}

@InputType({ description: 'Only the fields given change' })
export class UpdateWebhookEndpointInput {
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(2000) url?: string | null;
  @Field(() => [String], { nullable: true, description: 'Empty: every type' }) @IsOptional() @ArrayMaxSize(100) eventTypes?: string[] | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(500) description?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'false pauses deliveries (they wait); true resumes them' }) @IsOptional() enabled?: boolean | null;
  @Field(() => Boolean, { nullable: true }) @IsOptional() includeEmails?: boolean | null;
}
