// NUL (PostgreSQL text cannot hold it) or a UTF-16 surrogate without its pair (not Unicode; jsonb refuses it).
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** False for text PostgreSQL cannot store: a NUL character or an unpaired surrogate. */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}
