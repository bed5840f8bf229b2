/**
 * PostgreSQL WAL positions (`pg_lsn`, written `16/B374D848`) as numbers, so positions read from different
 * servers compare without a round trip. 64 bits: a bigint.
 */
export type Lsn = bigint;

const LSN = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

/** The position `text` names (as `pg_lsn::text` renders it); null for null (a server that replays nothing). */
export function parseLsn(text: string | null | undefined): Lsn | null {
  if (text === null || text === undefined) return null;
  const match = LSN.exec(text);
  if (!match) throw new Error(`not a WAL position: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** `pg_lsn` text of a position. */
export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The later of two positions (null: none). */
export function laterLsn(a: Lsn | null | undefined, b: Lsn | null | undefined): Lsn | null {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined) return a;
  return a > b ? a : b;
}
