import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

const TIMESTAMP_TYPES = new Set<unknown>(['timestamptz', 'timestamp', 'timestamp with time zone', 'timestamp without time zone', 'date', Date]);

/**
 * An entity from `row_to_json(alias)` of its table (keys are column names; timestamps are ISO text), as
 * TypeORM would have loaded it: every mapped column, timestamps as Dates. Lets one statement bring a row
 * of another table whole (e.g. the access snapshot's organisation) without naming its columns twice.
 */
export function entityFromJson<T extends ObjectLiteral>(dataSource: DataSource, target: EntityTarget<T>, json: Record<string, unknown>): T {
  const metadata = dataSource.getMetadata(target);
  const entity = metadata.create() as T;
  for (const column of metadata.columns) {
    const value = json[column.databaseName];
    (entity as Record<string, unknown>)[column.propertyName] =
      value === undefined ? null : value !== null && TIMESTAMP_TYPES.has(column.type) ? new Date(value as string) : value;
  }
  return entity;
}
