import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { isId } from '../core/ids';
import { eventFromRow, type StoredEvent } from './cloud-event';
import { EVENT_COLUMNS } from './event.queries';

/** Per-request loaders of events (one statement per batch). */
export function createEventLoaders(dataSource: DataSource) {
  return {
    eventById: new DataLoader<string, StoredEvent | null>(async (ids) => {
      const rows: Record<string, any>[] = await dataSource.query(`SELECT ${EVENT_COLUMNS} FROM events e WHERE e.id = ANY($1::uuid[])`, [ids.filter(isId)]);
      const byId = new Map(rows.map((row) => [row.id, eventFromRow(row)]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
