import type { UserEntity } from '../../users/user.entity';
import type { VerifiedIdentity } from './verified-identity';

/** The signed-in caller of one request. */
export interface Principal {
  user: UserEntity;
  identity: VerifiedIdentity;
  /** Recognised by PLATFORM_ADMIN_CLAIM / PLATFORM_ADMIN_ROLE: may create and list organisations. */
  isPlatformAdmin: boolean;
  /** The token's `amr` shows a second factor (AUTH_MFA_AMR_VALUES). */
  hasMfa: boolean;
}
