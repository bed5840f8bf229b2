import { randomUUID } from 'node:crypto';

// What a proxy or a client may send as X-Request-Id: short, printable, nothing to escape in a log.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the caller's `x-request-id` when it is ≤ 128 characters of `[A-Za-z0-9._:-]`, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}
