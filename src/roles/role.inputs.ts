import { ArrayMaxSize, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class CreateRoleInput {
  @Field(() => ID) organisationId!: string;
  @Field(() => String) @IsString() @MinLength(1) @MaxLength(100) @Matches(/\S/, { message: 'name must not be blank' }) name!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(1000) description?: string;
  @Field(() => [String], { description: 'Catalogue keys, inside the boundary, and held by you' }) @ArrayMaxSize(500) permissions!: string[];
}

@InputType()
export class UpdateRoleInput {
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MinLength(1) @MaxLength(100) @Matches(/\S/, { message: 'name must not be blank' }) name?: string;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(1000) description?: string;
  @Field(() => [String], { nullable: true, description: 'Replaces the permissions' }) @IsOptional() @ArrayMaxSize(500) permissions?: string[];
}
