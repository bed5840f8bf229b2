import type { DataSource } from 'typeorm';

/** Escapes LIKE wildcards so user text matches literally. */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/** Counts rows matching `clauses` (which use $n placeholders of `parameters`, numbered from 1). */
export async function countWhere(dataSource: DataSource, from: string, clauses: string[], parameters: unknown[]): Promise<number> {
  const used = Math.max(0, ...clauses.flatMap((clause) => [...clause.matchAll(/\$(\d+)/g)].map((match) => Number(match[1]))));
  const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM ${from} WHERE ${clauses.join(' AND ') || 'true'}`, parameters.slice(0, used));
  return count;
}
