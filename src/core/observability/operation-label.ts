/** Distinct operation names given a label of their own; later names are counted as `other`. */
export const MAX_OPERATION_LABELS = 100;

// A GraphQL name of at most 64 characters.
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
const known = new Set<string>();

/**
 * The metric label of an operation. Names come from clients, so the set is bounded: a name is kept
 * only if it is a short GraphQL name among the first {@link MAX_OPERATION_LABELS} seen by this process;
 * anything else, and a request whose operation was never resolved (unparsable, invalid), is `other`;
 * an operation without a name is `anonymous`.
 */
export function operationLabel(name: string | null | undefined): string {
  if (name === null) return 'anonymous';
  if (name === undefined) return 'other';
  if (known.has(name)) return name;
  if (known.size >= MAX_OPERATION_LABELS || !OPERATION_NAME.test(name)) return 'other';
  known.add(name);
  return name;
}
