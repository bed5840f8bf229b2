import { Field, ID, Int, ObjectType } from 'type-graphql';
import { connectionTypes } from '../core/graphql/connection';
import { WebhookDeliveryStatus } from './webhook-delivery-status';

@ObjectType('WebhookEndpoint', { description: 'Where events are POSTed, signed (Standard Webhooks). webhooks:manage; platform-wide ones: platform administrators' })
export class WebhookEndpointType {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true, description: "null: platform-wide, receiving every organisation's events and the platform-level ones" })
  organisationId!: string | null;
  @Field(() => String) url!: string;
  @Field(() => [String], { description: 'Event types it receives; empty: every type' }) eventTypes!: string[];
  @Field(() => String) description!: string;
  @Field(() => Boolean, { description: 'false: deliveries wait (paused by someone, or disabled after 24 h of failures)' }) enabled!: boolean;
  @Field(() => Boolean, { description: 'Whether event data keeps email addresses' }) includeEmails!: boolean;
  @Field(() => String, { nullable: true, description: 'Why the service disabled it, if it did' }) disabledReason!: string | null;
  @Field(() => Date) createdAt!: Date;
}

@ObjectType('WebhookDelivery', { description: 'One attempt to deliver an event to an endpoint (or the next one, PENDING)' })
export class WebhookDeliveryType {
  @Field(() => ID) id!: string;
  /** Owner (the endpoint's organisation; null: platform-wide), for the rules. */
  organisationId!: string | null;
  eventId!: string;
  @Field(() => Int, { description: '1 for the first attempt at this event, 2 for the first retry, …' }) attempt!: number;
  @Field(() => WebhookDeliveryStatus) status!: WebhookDeliveryStatus;
  @Field(() => Int, { nullable: true, description: 'The HTTP status the endpoint answered; null when none arrived' }) responseStatus!: number | null;
  @Field(() => Int, { nullable: true, description: 'How long the attempt took' }) durationMs!: number | null;
  @Field(() => String, { nullable: true, description: 'Why it failed (refused, timed out, HTTP 500, …)' }) error!: string | null;
  @Field(() => Date, { nullable: true, description: 'PENDING: when it is due; FAILED: when the retry is due (null: given up)' }) nextAttemptAt!: Date | null;
  @Field(() => Date) createdAt!: Date;
}

@ObjectType('WebhookEndpointSecretPayload', { description: 'The endpoint and its new signing secret, shown this once' })
export class WebhookEndpointSecretPayloadType {
  @Field(() => WebhookEndpointType) endpoint!: WebhookEndpointType;
  @Field(() => String, { description: 'whsec_…: verify signatures with it (Standard Webhooks); it is never shown again' }) secret!: string;
}

export const { ConnectionType: WebhookDeliveryConnection } = connectionTypes(WebhookDeliveryType, 'WebhookDelivery');
