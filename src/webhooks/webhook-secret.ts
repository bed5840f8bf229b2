import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;
const PLAIN = 'plain:';
const SEALED = 'aes256gcm:';

/** A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes, base64. */
export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/**
 * How signing secrets are kept at rest. HMAC needs the secret itself to sign, so it cannot be hashed
 * like a password: with WEBHOOK_SECRET_KEY it is sealed with AES-256-GCM (a database dump or backup
 * then holds no usable secret; the key lives only in the service's environment); without a key it is
 * stored as it is, marked so, and sealed at its next rotation once a key is configured.
 */
export class SecretSealer {
  private readonly key: Buffer | null;

  constructor(keyBase64: string | undefined) {
    this.key = keyBase64 ? Buffer.from(keyBase64, 'base64') : null;
  }

  seal(secret: string): string {
    if (!this.key) return `${PLAIN}${secret}`;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `${SEALED}${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${sealed.toString('base64')}`;
  }

  /** The secret; throws when it was sealed with a key this process does not have. */
  unseal(stored: string): string {
    if (stored.startsWith(PLAIN)) return stored.slice(PLAIN.length);
    if (!stored.startsWith(SEALED)) throw new Error('unknown secret format');
    if (!this.key) throw new Error('the signing secret is sealed, but WEBHOOK_SECRET_KEY is not set');
    const [iv, tag, sealed] = stored.slice(SEALED.length).split(':').map((part) => Buffer.from(part, 'base64'));
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8');
  }
}
