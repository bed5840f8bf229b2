import type { AppConfig } from '../config';
import { serviceUnavailable, UnavailableReason, unavailableFromDatabase } from '../errors';
import type { UserProvisioningService } from '../../users/user-provisioning.service';
import type { Principal } from './principal';
import { KeySetUnavailableError } from './remote-key-set';
import { InvalidTokenError, type TokenVerifier } from './token-verifier';
import { claimHoldsRole } from './verified-identity';

export interface AuthenticationResult {
  principal: Principal | null;
  /** Why a presented token was refused (for logs). */
  failure: string | null;
}

/** Turns an Authorization header into the request's principal, provisioning the user on first sign-in. */
export class Authenticator {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly provisioning: UserProvisioningService,
    private readonly config: Pick<AppConfig, 'PLATFORM_ADMIN_CLAIM' | 'PLATFORM_ADMIN_ROLE' | 'AUTH_MFA_AMR_VALUES'>,
  ) {}

  async authenticate(authorization: string | undefined): Promise<AuthenticationResult> {
    if (!authorization) return { principal: null, failure: null };
    const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)$/i.exec(authorization.trim());
    if (!match) return { principal: null, failure: 'malformed Authorization header' };
    try {
      const identity = await this.verifier.verify(match[1]);
      const user = await this.provisioning.provision(identity);
      return {
        principal: {
          user,
          identity,
          isPlatformAdmin: claimHoldsRole(identity.claims, this.config.PLATFORM_ADMIN_CLAIM, this.config.PLATFORM_ADMIN_ROLE),
          hasMfa: identity.amr.some((method) => this.config.AUTH_MFA_AMR_VALUES.includes(method)),
        },
        failure: null,
      };
    } catch (error) {
      if (error instanceof InvalidTokenError) return { principal: null, failure: error.message };
      // A dependency is down: the client should retry, not sign in again (and gets no access meanwhile).
      if (error instanceof KeySetUnavailableError) throw serviceUnavailable(UnavailableReason.IDENTITY_PROVIDER_UNAVAILABLE, { http: true });
      throw unavailableFromDatabase(error, { http: true }) ?? error;
    }
  }
}
