import { GraphQLJSONObject, GraphQLSafeInt } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { connectionTypes, type Connection } from '../core/graphql/connection';
import type { StoredEvent } from './cloud-event';

@ObjectType('Event', {
  description:
    'A domain event: one fact about one object, written in the transaction of the change (events:read). Webhooks receive it as a CloudEvents 1.0 envelope with the same id',
})
export class EventType {
  @Field(() => ID, { description: 'Also the CloudEvents id and the webhook-id header' }) id!: string;
  @Field(() => GraphQLSafeInt, { description: "Position in its organisation's stream: from 1, increasing by 1 per committed event (a gap means events were missed)" })
  sequence!: number;
  @Field(() => String, { description: 'e.g. membership.deactivated, role.updated (see the README for every type)' }) type!: string;
  @Field(() => String, { description: 'The object it is about, e.g. memberships/<id>' }) subject!: string;
  @Field(() => Date) time!: Date;
  @Field(() => GraphQLJSONObject, { description: 'Ids, before/after, actor, request id; email addresses hidden without members:read-contact' })
  data!: Record<string, unknown>;
  @Field(() => ID, { nullable: true, description: 'null for platform-level events (users), seen only in platformEvents' })
  organisationId!: string | null;
}

/** An event as a reader reached it: through its organisation, or through the platform feed (platform administrators). */
export type EventView = StoredEvent & { readVia: 'organisation' | 'platform' };

export const { ConnectionType: EventConnection } = connectionTypes(EventType, 'Event');

/** A page of events whose total is counted only when asked for (pollers rarely ask). */
export type EventPage = Omit<Connection<EventView>, 'totalCount'> & { countTotal(): Promise<number> };
