// Anything shaped like an email address, and the secret of an invitation link.
const EMAIL = /[^\s@"'`<>()[\]{},;:=]+@[^\s@"'`<>()[\]{},;:=]+\.[A-Za-z]{2,}/g;
const LINK_TOKEN = /([?&#]token=)[^&\s"']+/g;

/** `text` without email addresses or invitation tokens. */
export function redactSecrets(text: string): string {
  return text.replace(EMAIL, '[email]').replace(LINK_TOKEN, '$1[redacted]');
}

// Diagnostic fields of PostgreSQL errors (pg's DatabaseError, TypeORM's QueryFailedError.driverError) that
// name things, never values: `detail`, `where` and TypeORM's `parameters` hold row values (emails, tokens).
const SAFE_FIELDS = ['code', 'constraint', 'table', 'column', 'dataType', 'schema', 'routine', 'severity'] as const;
const MAX_QUERY_CHARS = 500;
const MAX_CAUSES = 3;

/**
 * An error as it may be logged: type, message and stack with emails and tokens redacted, the names of
 * what a database error is about, the statement text (its placeholders, not their values), and causes.
 * pino's default serializer copies every property, SQL parameters and `detail` included.
 */
export function safeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? redactSecrets(error) : error;
  const safe: Record<string, unknown> = {
    type: error.constructor?.name ?? error.name,
    message: redactSecrets(error.message),
    stack: error.stack === undefined ? undefined : redactSecrets(error.stack),
  };
  const fields = error as unknown as Record<string, unknown>;
  const database = (fields.driverError ?? error) as Record<string, unknown>;
  for (const field of SAFE_FIELDS) {
    const value = database[field] ?? fields[field];
    if (typeof value === 'string') safe[field] = value;
  }
  if (typeof fields.query === 'string') safe.query = fields.query.slice(0, MAX_QUERY_CHARS);
  if (error.cause !== undefined && depth < MAX_CAUSES) safe.cause = safeError(error.cause, depth + 1);
  return safe;
}
