import type { DataSource } from 'typeorm';
import { pageRequest, type Connection, type PageArgs, type PageRequest } from '../graphql/connection';
import type { CursorCodec, KeyKind } from './cursor-codec';

/** One column of a sort key: an SQL expression (never NULL) and how its values travel in cursors. */
export interface KeyColumn {
  sql: string;
  kind: KeyKind;
}

/** A list to page through: everything but the keyset part, which {@link KeysetPaginator} writes. */
export interface KeysetQuery {
  /**
   * Names the list: organisation, ordering and filter. A cursor is authenticated for its scope, so a
   * cursor of another list (or forged) is refused.
   */
  scope: string;
  /** The SELECT list (the helper adds the sort-key columns). */
  select: string;
  from: string;
  /** The filter, as clauses over `parameters` ($1…). */
  where: readonly string[];
  parameters: readonly unknown[];
  /** The sort key, compared as one row: all columns in one direction, the last one unique (an id). */
  key: readonly KeyColumn[];
  /** Newest (largest) first. */
  descending?: boolean;
  /** Also count the filtered rows with `count(*) OVER ()` on a page without a cursor. */
  windowCount?: boolean;
  /**
   * Also count the filtered rows, on any page, with a separate `count(*)` of the same filter run as an
   * uncorrelated subquery of the page's statement (evaluated once). Unlike the window count, the page itself
   * still stops after `LIMIT n + 1` rows of the sort key's index. Takes precedence over `windowCount`.
   */
  countInStatement?: boolean;
  /** The FROM of that count when the filter needs fewer joins than the page (default: `from`). */
  countFrom?: string;
}

/** One page as fetched: rows in list order, the page's facts, and how to make it a connection. */
export interface KeysetPage<Row> {
  rows: Row[];
  /** The page started at a cursor (then no window count was taken). */
  hasCursor: boolean;
  /** The count the page's statement took (`windowCount` or `countInStatement`) when it found rows; null otherwise. */
  windowTotal: number | null;
  connection<Node>(nodes: Node[], totalCount: number): Connection<Node>;
}

type PagedRow = Record<string, any> & { _total: number | null; _probe?: boolean };

const CURSOR_TIMESTAMP_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/** A sort-key value as cursor text: timestamps to the microsecond in UTC (a JavaScript Date keeps milliseconds). */
function asText(column: KeyColumn): string {
  if (column.kind === 'timestamptz') {
    return `CASE WHEN isfinite(${column.sql}) THEN to_char((${column.sql}) AT TIME ZONE 'UTC', ${CURSOR_TIMESTAMP_FORMAT}) ELSE (${column.sql})::text END`;
  }
  return `(${column.sql})::text`;
}

/**
 * Keyset pagination for every connection, the one place its SQL is written: the row comparison with
 * the cursor, the ordering, `LIMIT n + 1`, paging backward (reversed order, then reversed rows) and
 * the page facts. Each page is one statement, served by the index of the sort key in either direction.
 * With a cursor, a second branch of the same statement looks one row past the cursor the other way,
 * so `hasPreviousPage` (forward) and `hasNextPage` (backward) are exact.
 */
export class KeysetPaginator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cursors: CursorCodec,
  ) {}

  async page<Row extends Record<string, any>>(args: PageArgs, query: KeysetQuery): Promise<KeysetPage<Row>> {
    const request = pageRequest(args);
    await this.cursors.ready();
    const kinds = query.key.map((column) => column.kind);
    const cursorValues = request.cursor === null ? null : this.cursors.decode(request.cursor, query.scope, kinds, request.cursorArgument);
    const rows: PagedRow[] = await this.dataSource.query(...this.sql(query, request, cursorValues));
    return this.toPage(query, request, cursorValues !== null, rows) as KeysetPage<Row>;
  }

  /**
   * Every row of the list in its order, `size` rows per statement (downloads): the same keyset comparison
   * as pages, continued from the last row's key (to the microsecond) instead of a cursor. Memory stays at
   * one batch whatever the length of the list; a row written meanwhile behind the walk is not seen.
   */
  async *batches<Row extends Record<string, any>>(query: Omit<KeysetQuery, 'scope' | 'windowCount'>, size: number): AsyncGenerator<Row[]> {
    const keyColumns = keyColumnsOf(query.key);
    const order = orderOf(query.key, !query.descending);
    for (let after: string[] | null = null; ; ) {
      const parameters = [...query.parameters];
      const where = [...query.where];
      if (after !== null) where.push(`${keyRowOf(query.key)} ${query.descending ? '<' : '>'} ${valuesRow(query.key, after, parameters)}`);
      parameters.push(size);
      const rows: Row[] = await this.dataSource.query(
        `SELECT ${query.select}, ${keyColumns} FROM ${query.from} WHERE ${where.join(' AND ') || 'true'} ORDER BY ${order} LIMIT $${parameters.length}`,
        parameters,
      );
      if (rows.length > 0) yield rows;
      if (rows.length < size) return;
      const last = rows[rows.length - 1];
      after = query.key.map((_column, index) => last[`_k${index}`] as string);
    }
  }

  private sql(query: KeysetQuery, request: PageRequest, cursorValues: string[] | null): [string, unknown[]] {
    const parameters = [...query.parameters];
    // Walking towards larger keys: forward on an ascending list, or backward on a descending one.
    const towardsLarger = request.backward === Boolean(query.descending);
    const order = (larger: boolean) => orderOf(query.key, larger);
    const keyColumns = keyColumnsOf(query.key);
    const where = (extra: string[]) => [...query.where, ...extra].join(' AND ') || 'true';
    parameters.push(request.size + 1);
    const limit = `$${parameters.length}`;
    const counted = query.countInStatement ? `(SELECT count(*) FROM ${query.countFrom ?? query.from} WHERE ${where([])})` : null;
    if (cursorValues === null) {
      const total = counted ?? (query.windowCount ? 'count(*) OVER ()' : 'NULL');
      return [
        `SELECT ${query.select}, ${keyColumns}, ${total}::int AS _total FROM ${query.from}
         WHERE ${where([])} ORDER BY ${order(towardsLarger)} LIMIT ${limit}`,
        parameters,
      ];
    }
    const keyRow = keyRowOf(query.key);
    const cursorRow = valuesRow(query.key, cursorValues, parameters);
    const select = (total: string) => `SELECT ${query.select}, ${keyColumns}, ${total}::int AS _total`;
    return [
      `(${select(counted ?? 'NULL')}, false AS _probe FROM ${query.from}
        WHERE ${where([`${keyRow} ${towardsLarger ? '>' : '<'} ${cursorRow}`])} ORDER BY ${order(towardsLarger)} LIMIT ${limit})
       UNION ALL
       (${select('NULL')}, true FROM ${query.from}
        WHERE ${where([`${keyRow} ${towardsLarger ? '<=' : '>='} ${cursorRow}`])} ORDER BY ${order(!towardsLarger)} LIMIT 1)`,
      parameters,
    ];
  }

  private toPage(query: KeysetQuery, request: PageRequest, hasCursor: boolean, fetched: PagedRow[]): KeysetPage<PagedRow> {
    // Within one branch of UNION ALL, rows keep their order; the probe row is only a fact.
    const rows = fetched.filter((row) => row._probe !== true);
    const beyondCursor = rows.length < fetched.length;
    const hasMore = rows.length > request.size;
    const page = rows.slice(0, request.size);
    if (request.backward) page.reverse();
    const cursors = page.map((row) => this.cursors.encode(query.scope, query.key.map((_column, index) => row[`_k${index}`] as string)));
    const pageInfo = {
      hasNextPage: request.backward ? beyondCursor : hasMore,
      hasPreviousPage: request.backward ? hasMore : beyondCursor,
      startCursor: cursors[0] ?? null,
      endCursor: cursors[cursors.length - 1] ?? null,
    };
    return {
      rows: page,
      hasCursor,
      windowTotal: rows.length > 0 && (query.countInStatement || (!hasCursor && query.windowCount)) ? rows[0]._total : null,
      connection: (nodes, totalCount) => ({ totalCount, pageInfo, edges: nodes.map((node, index) => ({ cursor: cursors[index], node })) }),
    };
  }
}

/** The key columns as text, selected as `_k0`, `_k1`…: what a cursor (or the next batch) continues from. */
function keyColumnsOf(key: readonly KeyColumn[]): string {
  return key.map((column, index) => `${asText(column)} AS _k${index}`).join(', ');
}

/** ORDER BY the key, towards larger keys (ASC) or smaller ones. */
function orderOf(key: readonly KeyColumn[], larger: boolean): string {
  return key.map((column) => `${column.sql} ${larger ? 'ASC' : 'DESC'}`).join(', ');
}

/** The key as one row value, for comparison with {@link valuesRow}. */
function keyRowOf(key: readonly KeyColumn[]): string {
  return `(${key.map((column) => column.sql).join(', ')})`;
}

/** `values` (a key's text form) as a row of typed placeholders appended to `parameters`. */
function valuesRow(key: readonly KeyColumn[], values: readonly string[], parameters: unknown[]): string {
  const placeholders = values.map((value, index) => {
    parameters.push(value);
    return `$${parameters.length}::${key[index].kind}`;
  });
  return `(${placeholders.join(', ')})`;
}
