import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { runTransaction } from '../core/database/transaction';
import { badInput, conflict, notFound } from '../core/errors';
import { pageRequest, toConnection, type Connection } from '../core/graphql/connection';
import type { CursorCodec } from '../core/pagination/cursor-codec';
import { isId } from '../core/ids';
import { requireManageableEndpoint } from './webhook-access';
import { DELIVERY_COLUMNS, deliveryFromRow, type WebhookDeliveryView, type WebhookEndpointView } from './webhook.rows';

/** Delivery attempts: listed per endpoint, and any retained event sent again on request. */
export class WebhookDeliveryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly cursors: CursorCodec,
  ) {}

  /** An endpoint's attempts, newest first (the field's rule checked the endpoint; pages batch per request). */
  async deliveries(ctx: RequestContext, endpoint: WebhookEndpointView, first: number | null | undefined, after: string | null | undefined): Promise<Connection<WebhookDeliveryView>> {
    const limit = pageRequest({ first, after }).size;
    const scope = `deliveries:${endpoint.id}`;
    await this.cursors.ready();
    let beforeSeq: number | null = null;
    if (after) {
      // Signed like every cursor (src/core/pagination/cursor-codec.ts): only ours, of this list, parse.
      const seq = Number(this.cursors.decode(after, scope, ['int'], 'after')[0]);
      if (!Number.isSafeInteger(seq) || seq < 1) throw badInput('Malformed cursor', { argument: 'after' });
      beforeSeq = seq;
    }
    const page = await ctx.loaders.webhookDeliveryPage.load({ endpointId: endpoint.id, beforeSeq, limit: limit + 1 });
    return toConnection(page.rows, limit, page.totalCount, (delivery: WebhookDeliveryView) => this.cursors.encode(scope, [String(delivery.seq)]), beforeSeq !== null);
  }

  /**
   * Queues the event for the endpoint again, behind what is queued already (same `webhook-id`, so a
   * receiver that deduplicates sees it once). The event must be one the endpoint could receive: of its
   * organisation (any, for a platform-wide endpoint) and still retained; otherwise NOT_FOUND.
   */
  async redeliver(ctx: RequestContext, endpointId: string, eventId: string): Promise<WebhookDeliveryView> {
    const endpoint = await requireManageableEndpoint(ctx, endpointId);
    const event = isId(eventId) ? await ctx.loaders.eventById.load(eventId) : null;
    if (!event || (endpoint.organisationId !== null && event.organisationId !== endpoint.organisationId)) throw notFound('Event');
    return runTransaction(this.dataSource, async (manager) => {
      const [current] = await manager.query('SELECT enabled FROM webhook_endpoints WHERE id = $1 FOR SHARE', [endpoint.id]);
      if (!current) throw notFound('WebhookEndpoint');
      if (!current.enabled) throw conflict('The endpoint is disabled: enable it first');
      // From the events table, so an event the retention sweep removed meanwhile is NOT_FOUND, not a failed insert.
      const [row] = await manager.query(
        `INSERT INTO webhook_deliveries AS d (endpoint_id, event_id, organisation_id)
         SELECT $1, e.id, $3 FROM events e WHERE e.id = $2 RETURNING ${DELIVERY_COLUMNS}`,
        [endpoint.id, event.id, endpoint.organisationId],
      );
      if (!row) throw notFound('Event');
      const delivery = deliveryFromRow(row);
      await this.audit.record(manager, ctx, {
        organisationId: endpoint.organisationId,
        action: 'webhook.redelivery-requested',
        targetType: 'WebhookEndpoint',
        targetId: endpoint.id,
        details: { eventId: event.id, eventType: event.type, deliveryId: delivery.id },
      });
      return delivery;
    });
  }
}
