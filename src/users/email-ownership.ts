import type { EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { emitEvents } from '../events/event-emitter';

/**
 * An address claimed only by an unverified sign-in is not owned: before a placeholder, an invitation or
 * an import binds an address to a person, accounts that merely claimed it lose it (audited), so access
 * granted to that address can only reach whoever proves it. Callers hold the per-email locks.
 */
export async function releaseUnverifiedEmails(manager: EntityManager, audit: AuditService, ctx: RequestContext | null, emails: readonly string[]): Promise<void> {
  if (emails.length === 0) return;
  const released: { id: string; email: string }[] = await manager.query(
    `WITH released AS (
       SELECT id, email FROM users
       WHERE lower(email) = ANY($1::text[]) AND issuer IS NOT NULL AND NOT email_verified
       FOR UPDATE)
     , cleared AS (UPDATE users SET email = NULL, updated_at = now() FROM released WHERE users.id = released.id RETURNING users.id)
     SELECT released.id, released.email FROM released JOIN cleared ON cleared.id = released.id`,
    [emails.map((email) => email.toLowerCase())],
  );
  await audit.recordMany(
    manager,
    ctx,
    released.map((user) => ({
      organisationId: null,
      action: 'user.email-reassigned',
      targetType: 'User',
      targetId: user.id,
      // Ids only: the address itself is personal data, and audit rows cannot be erased.
      details: { reason: 'unverified email bound to a person by an administrator' },
    })),
  );
  emitEvents(
    manager,
    ctx,
    released.map((user) => ({ organisationId: null, type: 'user.updated' as const, objectId: user.id, data: { userId: user.id, before: { email: user.email }, after: { email: null }, reason: 'unverified email bound to a person by an administrator' } })),
  );
}
