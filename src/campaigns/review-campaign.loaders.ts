import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { isId } from '../core/ids';
import { CAMPAIGN_COLUMNS, campaignFromRow, ITEM_COLUMNS, itemFromRow, type ReviewCampaignView, type ReviewItemView } from './review-campaign.rows';
import { SELECT_PROGRESS } from './review-campaign.queries';

export interface ReviewProgressCounts {
  total: number;
  decided: number;
  kept: number;
  revoked: number;
}

/** Per-request loaders of campaigns, items and progress: one statement per batch. */
export function createReviewCampaignLoaders(dataSource: DataSource) {
  return {
    reviewCampaignById: new DataLoader<string, ReviewCampaignView | null>(async (ids) => {
      const rows: Record<string, any>[] = await dataSource.query(`SELECT ${CAMPAIGN_COLUMNS} FROM review_campaigns c WHERE c.id = ANY($1::uuid[])`, [ids.filter(isId)]);
      const byId = new Map(rows.map((row) => [row.id, campaignFromRow(row)]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    reviewItemById: new DataLoader<string, ReviewItemView | null>(async (ids) => {
      const rows: Record<string, any>[] = await dataSource.query(
        `SELECT ${ITEM_COLUMNS} FROM review_items i JOIN review_campaigns c ON c.id = i.campaign_id WHERE i.id = ANY($1::uuid[])`,
        [ids.filter(isId)],
      );
      const byId = new Map(rows.map((row) => [row.id, itemFromRow(row)]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    reviewProgressByCampaignId: new DataLoader<string, ReviewProgressCounts>(async (ids) => {
      const rows: (ReviewProgressCounts & { campaign_id: string })[] = await dataSource.query(SELECT_PROGRESS, [ids]);
      const byId = new Map(rows.map((row) => [row.campaign_id, row]));
      return ids.map((id) => byId.get(id) ?? { total: 0, decided: 0, kept: 0, revoked: 0 });
    }),
  };
}
