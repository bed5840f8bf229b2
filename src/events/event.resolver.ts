import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { OrganisationType } from '../organisations/organisation.type';
import { dataFor } from './cloud-event';
import { EventConnection, EventType, type EventPage, type EventView } from './event.type';

@Resolver(() => OrganisationType)
export class OrganisationEventsResolver {
  @FieldResolver(() => EventConnection, {
    nullable: true,
    description: 'events:read. The organisation\'s events in sequence order, after the sequence number `after` (the cursor is the sequence); retained EVENT_RETENTION_DAYS',
  })
  events(
    @Ctx() ctx: RequestContext,
    @Root() organisation: OrganisationEntity,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('types', () => [String], { nullable: true, description: 'Only these event types (none or empty: every type)' }) types?: string[],
  ): Promise<EventPage> {
    return ctx.services.eventFeed.organisationFeed(ctx, organisation.id, { after, first, types });
  }
}

@Resolver(() => EventType)
export class EventResolver {
  @Query(() => EventConnection, {
    description:
      'Platform administrators: every organisation\'s events and the platform-level ones (users), in commit order; email addresses always hidden. The cursor is opaque ("<transaction>.<position>")',
  })
  platformEvents(
    @Ctx() ctx: RequestContext,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('types', () => [String], { nullable: true }) types?: string[],
    @Arg('organisationId', () => ID, { nullable: true, description: 'Only this organisation\'s events' }) organisationId?: string,
  ): Promise<EventPage> {
    return ctx.services.eventFeed.platformFeed(ctx, { after, first, types, organisationId });
  }

  @FieldResolver(() => GraphQLJSONObject)
  async data(@Ctx() ctx: RequestContext, @Root() event: EventView): Promise<Record<string, unknown>> {
    // The platform view never carries email addresses: platform administrators hold no member data.
    if (event.readVia === 'platform' || !event.organisationId) return dataFor(event, false);
    return dataFor(event, (await ctx.access(event.organisationId)).has('members:read-contact'));
  }
}

@Resolver(() => EventConnection)
export class EventConnectionResolver {
  @FieldResolver(() => Int, { description: 'Events in the list (counted only when asked)' })
  totalCount(@Root() page: EventPage): Promise<number> {
    return page.countTotal();
  }
}
