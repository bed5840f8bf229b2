import type { EntityManager } from 'typeorm';

/** A column filled from one array (one value per row), or with one value for every row. */
export type BulkColumn = { name: string; type: string; values: readonly unknown[] } | { name: string; type: string; value: unknown };

/**
 * Inserts many rows in one statement with one array parameter per column (`unnest`), so the number of
 * bind parameters stays a handful whatever the number of rows (PostgreSQL takes at most 65,535 per
 * statement; a VALUES list needs one per cell). `onConflict` is the clause after ON CONFLICT, `returning`
 * the columns to return, if any. Table and column names are the caller's constants, never input.
 */
export async function insertMany<Row = Record<string, unknown>>(
  manager: EntityManager,
  table: string,
  columns: readonly BulkColumn[],
  options: { onConflict?: string; returning?: string } = {},
): Promise<Row[]> {
  const arrays = columns.filter((column): column is Extract<BulkColumn, { values: readonly unknown[] }> => 'values' in column);
  const rows = arrays[0]?.values.length ?? 0;
  if (arrays.some((column) => column.values.length !== rows)) throw new Error(`insertMany(${table}): columns of different lengths`);
  if (rows === 0) return [];
  const parameters: unknown[] = [];
  const unnested: string[] = [];
  const selected = columns.map((column) => {
    if ('values' in column) {
      parameters.push(column.values);
      unnested.push(`$${parameters.length}::${column.type}[]`);
      return `x.c${unnested.length}`;
    }
    parameters.push(column.value);
    return `$${parameters.length}::${column.type}`;
  });
  const aliases = unnested.map((_array, index) => `c${index + 1}`).join(', ');
  const conflict = options.onConflict ? ` ON CONFLICT ${options.onConflict}` : '';
  const returning = options.returning ? ` RETURNING ${options.returning}` : '';
  return manager.query(
    `INSERT INTO ${table} (${columns.map((column) => column.name).join(', ')})
     SELECT ${selected.join(', ')} FROM unnest(${unnested.join(', ')}) AS x(${aliases})${conflict}${returning}`,
    parameters,
  );
}
