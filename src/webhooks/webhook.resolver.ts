import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../core/context/request-context';
import type { Connection } from '../core/graphql/connection';
import { EventType, type EventView } from '../events/event.type';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { OrganisationType } from '../organisations/organisation.type';
import type { EndpointWithSecret } from './webhook-endpoint.service';
import { CreateWebhookEndpointInput, UpdateWebhookEndpointInput } from './webhook.inputs';
import type { WebhookDeliveryView, WebhookEndpointView } from './webhook.rows';
import { WebhookDeliveryConnection, WebhookDeliveryType, WebhookEndpointSecretPayloadType, WebhookEndpointType } from './webhook.type';

@Resolver(() => OrganisationType)
export class OrganisationWebhooksResolver {
  @FieldResolver(() => [WebhookEndpointType], { nullable: true, description: 'webhooks:manage' })
  webhookEndpoints(@Ctx() ctx: RequestContext, @Root() organisation: OrganisationEntity): Promise<WebhookEndpointView[]> {
    return ctx.services.webhookEndpoints.list(ctx, organisation.id);
  }
}

@Resolver(() => WebhookEndpointType)
export class WebhookEndpointResolver {
  @Query(() => [WebhookEndpointType], { description: 'Platform administrators: the platform-wide endpoints' })
  platformWebhookEndpoints(@Ctx() ctx: RequestContext): Promise<WebhookEndpointView[]> {
    return ctx.services.webhookEndpoints.list(ctx, null);
  }

  @Mutation(() => WebhookEndpointSecretPayloadType, {
    description: 'webhooks:manage in input.organisationId; without one, a platform-wide endpoint (platform administrators). The secret is returned here once',
  })
  createWebhookEndpoint(@Ctx() ctx: RequestContext, @Arg('input', () => CreateWebhookEndpointInput) input: CreateWebhookEndpointInput): Promise<EndpointWithSecret> {
    return ctx.services.webhookEndpoints.create(ctx, input);
  }

  @Mutation(() => WebhookEndpointType, { description: 'webhooks:manage where the endpoint belongs' })
  updateWebhookEndpoint(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateWebhookEndpointInput) input: UpdateWebhookEndpointInput,
  ): Promise<WebhookEndpointView> {
    return ctx.services.webhookEndpoints.update(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: 'webhooks:manage where the endpoint belongs; its deliveries go with it' })
  deleteWebhookEndpoint(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    return ctx.services.webhookEndpoints.delete(ctx, id);
  }

  @Mutation(() => WebhookEndpointSecretPayloadType, { description: 'A new secret, returned once; the previous one keeps signing beside it for 24 h' })
  rotateWebhookSecret(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<EndpointWithSecret> {
    return ctx.services.webhookEndpoints.rotateSecret(ctx, id);
  }

  @Mutation(() => WebhookDeliveryType, { description: 'Queues a retained event for the endpoint again (same webhook-id)' })
  redeliverEvent(@Ctx() ctx: RequestContext, @Arg('endpointId', () => ID) endpointId: string, @Arg('eventId', () => ID) eventId: string): Promise<WebhookDeliveryView> {
    return ctx.services.webhookDeliveries.redeliver(ctx, endpointId, eventId);
  }

  @FieldResolver(() => WebhookDeliveryConnection, { nullable: true, description: 'Delivery attempts, newest first' })
  deliveries(
    @Ctx() ctx: RequestContext,
    @Root() endpoint: WebhookEndpointView,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<Connection<WebhookDeliveryView>> {
    return ctx.services.webhookDeliveries.deliveries(ctx, endpoint, first, after);
  }
}

@Resolver(() => WebhookDeliveryType)
export class WebhookDeliveryResolver {
  @FieldResolver(() => EventType, { nullable: true, description: 'null once the event is past its retention' })
  async event(@Ctx() ctx: RequestContext, @Root() delivery: WebhookDeliveryView): Promise<EventView | null> {
    const event = await ctx.loaders.eventById.load(delivery.eventId);
    return event ? { ...event, readVia: delivery.organisationId === null ? 'platform' : 'organisation' } : null;
  }
}
