import { Webhook } from 'standardwebhooks';

/** The Standard Webhooks headers of one delivery. */
export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs a payload as Standard Webhooks specifies (HMAC-SHA256 over `id.timestamp.payload`, `v1,<base64>`),
 * with the reference implementation, once per secret: during a rotation's overlap the old and the new
 * secret both sign, space-separated, and a receiver accepts whichever it knows.
 */
export function signatureHeaders(messageId: string, timestamp: Date, payload: string, secrets: readonly string[]): SignatureHeaders {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(messageId, timestamp, payload)).join(' '),
  };
}
