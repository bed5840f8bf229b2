import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AccessSnapshot } from '../access/access-snapshot';
import type { Principal } from '../core/auth/principal';
import type { AppServices } from '../core/context/app-services';
import { RequestContext } from '../core/context/request-context';
import { UserEntity } from '../users/user.entity';

/**
 * The system actor of the admin CLI: one user row (no email, an issuer no identity provider can have), so
 * every audit event the CLI causes names it, "Access CLI (system)", as its actor. Nobody can sign in as it.
 */
export const SYSTEM_ACTOR = { issuer: 'urn:access-subgraph:system', subject: 'admin-cli', displayName: 'Access CLI (system)' } as const;

/** The system actor's user, created on first use. */
export async function systemUser(dataSource: DataSource): Promise<UserEntity> {
  await dataSource.query(
    `INSERT INTO users (issuer, subject, display_name, email_verified) VALUES ($1, $2, $3, false)
     ON CONFLICT (issuer, subject) WHERE issuer IS NOT NULL DO NOTHING`,
    [SYSTEM_ACTOR.issuer, SYSTEM_ACTOR.subject, SYSTEM_ACTOR.displayName],
  );
  return dataSource.getRepository(UserEntity).findOneByOrFail({ issuer: SYSTEM_ACTOR.issuer, subject: SYSTEM_ACTOR.subject });
}

/**
 * A request context for the CLI: a platform administrator holding, in every organisation, what an Owner
 * holds there (every permission inside the organisation's boundary). The services run as for any request,
 * so their rules hold (the last Owner, the boundary, email policies, validation) and every change is audited.
 */
export class SystemRequestContext extends RequestContext {
  constructor(services: AppServices, user: UserEntity, command: string) {
    const principal: Principal = {
      user,
      identity: { issuer: SYSTEM_ACTOR.issuer, subject: SYSTEM_ACTOR.subject, email: null, emailVerified: false, name: SYSTEM_ACTOR.displayName, amr: [], claims: {} },
      isPlatformAdmin: true,
      hasMfa: true,
    };
    // The audit log's request id says which command did it.
    super(services, `cli:${command}:${randomUUID()}`, principal);
  }

  override async access(organisationId: string): Promise<AccessSnapshot> {
    const organisation = await this.loaders.organisationById.load(organisationId);
    if (!organisation) return new AccessSnapshot(organisationId, null, { permissions: new Set(), teamPermissions: new Map(), owner: false, mfaRequired: false, mfaWithholds: new Set() });
    const boundary = organisation.permissionBoundary ? new Set(organisation.permissionBoundary) : null;
    const permissions = new Set(this.services.catalogue.keys.filter((key) => !boundary || boundary.has(key)));
    return new AccessSnapshot(organisationId, null, { permissions, teamPermissions: new Map(), owner: true, mfaRequired: false, mfaWithholds: new Set() });
  }
}
