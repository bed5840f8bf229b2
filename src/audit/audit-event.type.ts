import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { connectionTypes } from '../core/graphql/connection';

@ObjectType('AuditEvent', { description: 'An immutable record of a change or a sign-in in an organisation (audit:read)' })
export class AuditEventType {
  @Field(() => ID) id!: string;
  /** Owner, for the rules (not exposed). */
  organisationId!: string;
  actorUserId!: string | null;
  @Field(() => String, { description: 'What happened, e.g. member.deactivated or role.updated' }) action!: string;
  @Field(() => Date) occurredAt!: Date;
  @Field(() => String, { description: 'The kind of object acted on, e.g. Membership, Role, Team' }) targetType!: string;
  @Field(() => String, { nullable: true }) targetId!: string | null;
  @Field(() => GraphQLJSONObject, { description: 'What changed, as recorded (shape depends on the action)' }) details!: Record<string, unknown>;
  @Field(() => String, { nullable: true, description: 'The request that made the change (the x-request-id it was answered with); null for background work' })
  requestId!: string | null;
}

/** An audit event as listed: whether its actor is still (in any status) a member of the organisation. */
export type AuditEventView = AuditEventType & { actorIsMember: boolean };

export const { ConnectionType: AuditEventConnection } = connectionTypes(AuditEventType, 'AuditEvent');
