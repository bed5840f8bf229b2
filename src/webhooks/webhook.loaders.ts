import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { isId } from '../core/ids';
import { DELIVERY_COLUMNS, deliveryFromRow, ENDPOINT_COLUMNS, endpointFromRow, type WebhookDeliveryView, type WebhookEndpointView } from './webhook.rows';

/** A page of an endpoint's delivery attempts, newest first, before `beforeSeq`. */
export interface DeliveryPageKey {
  endpointId: string;
  beforeSeq: number | null;
  /** Rows to fetch (the page size plus one, to know whether another page follows). */
  limit: number;
}

export interface DeliveryPage {
  rows: WebhookDeliveryView[];
  totalCount: number;
}

// Every page asked for in one statement: each endpoint's count and its newest attempts after its cursor.
const DELIVERY_PAGES = `
  SELECT k.ord, t.total, ${DELIVERY_COLUMNS}
  FROM unnest($1::uuid[], $2::bigint[], $3::int[]) WITH ORDINALITY AS k(endpoint_id, before_seq, lim, ord)
  CROSS JOIN LATERAL (SELECT count(*)::int AS total FROM webhook_deliveries c WHERE c.endpoint_id = k.endpoint_id) t
  LEFT JOIN LATERAL (
    SELECT * FROM webhook_deliveries d0
    WHERE d0.endpoint_id = k.endpoint_id AND (k.before_seq IS NULL OR d0.seq < k.before_seq)
    ORDER BY d0.seq DESC LIMIT k.lim
  ) d ON true
  ORDER BY k.ord, d.seq DESC`;

/** Per-request loaders of webhook endpoints and their deliveries (statements do not grow with lists). */
export function createWebhookLoaders(dataSource: DataSource) {
  return {
    webhookEndpointById: new DataLoader<string, WebhookEndpointView | null>(async (ids) => {
      const rows: Record<string, any>[] = await dataSource.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints w WHERE w.id = ANY($1::uuid[])`, [ids.filter(isId)]);
      const byId = new Map(rows.map((row) => [row.id, endpointFromRow(row)]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    webhookDeliveryPage: new DataLoader<DeliveryPageKey, DeliveryPage, string>(
      async (keys) => {
        const rows: Record<string, any>[] = await dataSource.query(DELIVERY_PAGES, [
          keys.map((key) => key.endpointId),
          keys.map((key) => key.beforeSeq),
          keys.map((key) => key.limit),
        ]);
        const pages: DeliveryPage[] = keys.map(() => ({ rows: [], totalCount: 0 }));
        for (const row of rows) {
          const page = pages[Number(row.ord) - 1];
          page.totalCount = row.total;
          if (row.id) page.rows.push(deliveryFromRow(row));
        }
        return pages;
      },
      { cacheKeyFn: (key) => `${key.endpointId}:${key.beforeSeq}:${key.limit}` },
    ),
  };
}
