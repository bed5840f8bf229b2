import { errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { logger } from '../logger';
import { KeySetUnavailableError } from './remote-key-set';
import { identityFromClaims, type VerifiedIdentity } from './verified-identity';

export interface TokenVerifierOptions {
  issuer: string;
  audience: string;
  algorithms: string[];
  clockToleranceSeconds: number;
  keys: JWTVerifyGetKey;
}

/** Raised for every token problem; the reason is for logs only, never for the client. */
export class InvalidTokenError extends Error {}

/** Verifies bearer JWTs: signature against the trusted keys, issuer, audience, algorithm allow-list, `exp`. */
export class TokenVerifier {
  constructor(private readonly options: TokenVerifierOptions) {}

  async verify(token: string): Promise<VerifiedIdentity> {
    try {
      const { payload } = await jwtVerify(token, this.options.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.options.algorithms,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub', 'iss'],
      });
      return identityFromClaims(payload);
    } catch (error) {
      // Not the token's fault: the caller answers SERVICE_UNAVAILABLE (still no access).
      if (error instanceof KeySetUnavailableError) throw error;
      const reason = error instanceof errors.JOSEError ? `${error.code}: ${error.message}` : String(error);
      // An outage of the key set is logged (at error, once per cooldown) where it is fetched: remote-key-set.ts.
      logger.info({ reason }, 'token rejected');
      throw new InvalidTokenError(reason);
    }
  }
}
