import { ArrayMaxSize, ArrayMinSize, IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { Field, ID, InputType, registerEnumType } from 'type-graphql';
import { MembershipStatus } from './membership-status';

export enum RoleAssignmentMode {
  ADD = 'ADD',
  REMOVE = 'REMOVE',
  REPLACE = 'REPLACE',
}

registerEnumType(RoleAssignmentMode, { name: 'RoleAssignmentMode', description: 'ADD to, REMOVE from, or REPLACE the members\' direct roles' });

/** The largest assignRoles: every membership × every role in one transaction (50,000 links). */
export const MAX_ASSIGN_MEMBERSHIPS = 500;
export const MAX_ASSIGN_ROLES = 100;

@InputType()
export class AssignRolesInput {
  @Field(() => ID) organisationId!: string;
  @Field(() => [ID], { description: `1–${MAX_ASSIGN_MEMBERSHIPS} memberships of the organisation` })
  @ArrayMinSize(1) @ArrayMaxSize(MAX_ASSIGN_MEMBERSHIPS) membershipIds!: string[];
  @Field(() => [ID], { description: `At most ${MAX_ASSIGN_ROLES} roles of the organisation; may be empty with REPLACE (removes every direct role)` })
  @ArrayMaxSize(MAX_ASSIGN_ROLES) roleIds!: string[];
  @Field(() => RoleAssignmentMode) @IsEnum(RoleAssignmentMode) mode!: RoleAssignmentMode;
  @Field(() => Date, {
    nullable: true,
    description: 'ADD and REPLACE: the grants end then (time-bound access; in the future; never for Owner). Absent: permanent. Re-granting a held role sets its end to this',
  })
  expiresAt?: Date | null;
}

export enum MemberOrderField {
  DISPLAY_NAME = 'DISPLAY_NAME',
  EMAIL = 'EMAIL',
  JOINED_AT = 'JOINED_AT',
  LAST_SIGN_IN_AT = 'LAST_SIGN_IN_AT',
}

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}

registerEnumType(MemberOrderField, { name: 'MemberOrderField' });
registerEnumType(OrderDirection, { name: 'OrderDirection' });

@InputType()
export class MemberFilter {
  @Field(() => String, { nullable: true, description: 'Email or display name, case-insensitive, prefix or substring' })
  @IsOptional() @IsString() @MaxLength(200) search?: string;
  @Field(() => MembershipStatus, { nullable: true }) @IsOptional() status?: MembershipStatus;
  @Field(() => ID, { nullable: true, description: 'Members holding this role directly' }) @IsOptional() roleId?: string;
  @Field(() => ID, { nullable: true, description: 'Members of this team' }) @IsOptional() teamId?: string;
}

@InputType()
export class MemberOrder {
  @Field(() => MemberOrderField) field!: MemberOrderField;
  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC }) direction!: OrderDirection;
}
