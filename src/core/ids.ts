const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a syntactically valid id; anything else cannot name an object of ours. */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
