import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TokenOptions {
  subject?: string;
  email?: string | null;
  emailVerified?: boolean;
  name?: string;
  platformAdmin?: boolean;
  amr?: string[];
  issuer?: string;
  audience?: string;
  expiresIn?: string | number;
  /** Seconds since epoch; for an already expired token. */
  expiresAt?: number;
  claims?: Record<string, unknown>;
  /** Sign with a key the IdP does not publish. */
  unknownKey?: boolean;
  /** Leave out `exp`. */
  noExpiry?: boolean;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * An OpenID provider for tests, on 127.0.0.1: publishes a discovery document and a JWKS, and mints
 * RS256 tokens with its key (or with a foreign key, for the failure cases).
 */
export class TestIdentityProvider {
  readonly audience = 'access-subgraph-test';
  jwksRequests = 0;
  /** How the JWKS endpoint fails (an outage): `error` answers 503, `hang` never answers; null serves the keys. */
  jwksFailure: 'error' | 'hang' | null = null;
  private server!: http.Server;
  private privateKey!: CryptoKey;
  private foreignKey!: CryptoKey;
  publicJwk!: JWK;
  private keyId = 'test-key-1';
  issuer = '';
  private subjectCounter = 0;

  static async start(): Promise<TestIdentityProvider> {
    const provider = new TestIdentityProvider();
    await provider.listen();
    return provider;
  }

  private async listen(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    this.privateKey = privateKey;
    this.publicJwk = { ...(await exportJWK(publicKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
    this.foreignKey = (await generateKeyPair('RS256')).privateKey;
    this.server = http.createServer((request, response) => {
      if (request.url === '/.well-known/openid-configuration') {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ issuer: this.issuer, jwks_uri: `${this.issuer}/jwks` }));
      } else if (request.url === '/jwks') {
        this.jwksRequests += 1;
        if (this.jwksFailure === 'hang') return;
        if (this.jwksFailure === 'error') {
          response.statusCode = 503;
          response.end('unavailable');
          return;
        }
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ keys: [this.publicJwk] }));
      } else {
        response.statusCode = 404;
        response.end();
      }
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  nextSubject(): string {
    this.subjectCounter += 1;
    return `user-${process.pid}-${this.subjectCounter}-${Math.random().toString(36).slice(2, 8)}`;
  }

  async token(options: TokenOptions = {}): Promise<string> {
    const subject = options.subject ?? this.nextSubject();
    const claims: Record<string, unknown> = {
      email: options.email === undefined ? `${subject}@example.com` : options.email,
      email_verified: options.emailVerified ?? true,
      name: options.name ?? subject,
      amr: options.amr ?? ['pwd'],
      ...options.claims,
    };
    if (options.platformAdmin) claims.roles = ['platform-admin'];
    if (claims.email === null) delete claims.email;
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: options.unknownKey ? 'unknown-key' : this.keyId })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? this.audience)
      .setSubject(subject)
      .setIssuedAt();
    if (options.expiresAt !== undefined) jwt.setExpirationTime(options.expiresAt);
    else if (!options.noExpiry) jwt.setExpirationTime(options.expiresIn ?? '1h');
    return jwt.sign(options.unknownKey ? this.foreignKey : this.privateKey);
  }

  /** Rotates the signing key: publishes a new one under a new kid (the old one is withdrawn). */
  async rotateKey(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    this.privateKey = privateKey;
    this.keyId = `test-key-${Date.now()}`;
    this.publicJwk = { ...(await exportJWK(publicKey)), kid: this.keyId, alg: 'RS256', use: 'sig' };
  }

  /** An unsigned token (`alg: none`) with otherwise valid claims. */
  unsignedToken(subject = this.nextSubject()): string {
    const now = Math.floor(Date.now() / 1000);
    return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ iss: this.issuer, aud: this.audience, sub: subject, iat: now, exp: now + 3600 })}.`;
  }

  /** An HS256 token whose "secret" is the public key: the classic algorithm-confusion attack. */
  async hmacWithPublicKeyToken(subject = this.nextSubject()): Promise<string> {
    const secret = new TextEncoder().encode(JSON.stringify(this.publicJwk));
    return new SignJWT({ email: `${subject}@example.com` })
      .setProtectedHeader({ alg: 'HS256', kid: 'test-key-1' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(secret);
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections(); // a hanging JWKS request would keep the server open
    await closed;
  }
}
