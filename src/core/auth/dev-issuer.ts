import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTVerifyGetKey } from 'jose';
import { writeClaim } from './verified-identity';

/** The issuer name of tokens minted by the development issuer. */
export const DEV_ISSUER = 'urn:access-subgraph:dev-issuer';
export const DEV_AUDIENCE = 'access-subgraph';
const ALGORITHM = 'ES256';

/** The person the development IDE (GraphiQL) signs in as; `seed --demo` makes them an Owner of the demo. */
export const DEV_DEVELOPER = { email: 'developer@example.com', name: 'Developer' } as const;

/** The subject of development tokens: stable per email, so the same address is the same user across tokens. */
export function developmentSubject(email: string): string {
  return `dev|${email.toLowerCase()}`;
}

interface StoredKey {
  privateJwk: JWK;
  publicJwk: JWK;
}

/**
 * A local signing key kept under the data folder, for development only: the service trusts it
 * when no AUTH_ISSUER is configured (never in production), and `npm run token` signs with it.
 */
export class DevIssuer {
  private constructor(private readonly key: StoredKey) {}

  static async open(dataDir: string): Promise<DevIssuer> {
    const file = path.join(dataDir, 'dev-issuer', 'signing-key.json');
    if (fs.existsSync(file)) return new DevIssuer(JSON.parse(fs.readFileSync(file, 'utf8')) as StoredKey);
    const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const key: StoredKey = {
      privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALGORITHM },
      publicJwk: { ...publicJwk, kid, alg: ALGORITHM, use: 'sig' },
    };
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, JSON.stringify(key), { mode: 0o600 });
    return new DevIssuer(key);
  }

  keySet(): JWTVerifyGetKey {
    return createLocalJWKSet({ keys: [this.key.publicJwk] });
  }

  async mint(options: { subject: string; email: string; name?: string; platformAdmin?: boolean; claimName?: string; role?: string; audience?: string; expiresIn?: string; amr?: string[] }): Promise<string> {
    const privateKey = await importJWK(this.key.privateJwk, ALGORITHM);
    const claims: Record<string, unknown> = { email: options.email, email_verified: true, name: options.name ?? options.email };
    if (options.amr) claims.amr = options.amr;
    if (options.platformAdmin) writeClaim(claims, options.claimName ?? 'roles', [options.role ?? 'platform-admin']);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, kid: this.key.publicJwk.kid, typ: 'JWT' })
      .setIssuer(DEV_ISSUER)
      .setAudience(options.audience ?? DEV_AUDIENCE)
      .setSubject(options.subject)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '12h')
      .sign(privateKey);
  }
}
