const EMAIL = /[^\s@"<>]+@[^\s@"<>]+\.[^\s@"<>]+/g;

/**
 * Audit details as a reader without members:read-contact may see them: every email address in them
 * (invitations, owners, imports) replaced, whatever the key or the nesting.
 */
export function redactEmails(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(EMAIL, '[email hidden]');
  if (Array.isArray(value)) return value.map(redactEmails);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, redactEmails(inner)]));
  }
  return value;
}
