import { Field, ID, Int, ObjectType } from 'type-graphql';
import { connectionTypes } from '../core/graphql/connection';
import { ElevationStatus } from './elevation.enums';

@ObjectType('ElevationRequest', { description: 'A member asking for a role for some hours (just-in-time elevation); the requester, or members:assign-roles holders who could grant the role' })
export class ElevationRequestType {
  @Field(() => ID) id!: string;
  organisationId!: string;
  requesterMembershipId!: string;
  requesterUserId!: string;
  roleId!: string;
  decidedByMembershipId!: string | null;
  @Field(() => ElevationStatus, { description: 'A PENDING request past its bound answers EXPIRED (the sweeper stores it later)' }) status!: ElevationStatus;
  @Field(() => Int, { description: 'How long the grant lasts once approved' }) hours!: number;
  @Field(() => String) reason!: string;
  @Field(() => String, { nullable: true, description: "The approver's comment" }) comment!: string | null;
  @Field(() => Date, { nullable: true }) decidedAt!: Date | null;
  @Field(() => Date, {
    nullable: true,
    description: 'APPROVED: when the granted role ends; PENDING (or EXPIRED unanswered): when the request lapses; otherwise null',
  })
  expiresAt!: Date | null;
  @Field(() => Date) createdAt!: Date;
}

export const { ConnectionType: ElevationRequestConnection } = connectionTypes(ElevationRequestType, 'ElevationRequest');
