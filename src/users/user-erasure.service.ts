import type { DataSource, EntityManager } from 'typeorm';
import type { AuditRecord, AuditService } from '../audit/audit.service';
import type { RequestContext } from '../core/context/request-context';
import { runTransaction } from '../core/database/transaction';
import { conflict, notFound } from '../core/errors';
import { isId } from '../core/ids';
import { emitEvents, type DomainEvent } from '../events/event-emitter';
import { mutationPermissions } from '../core/authz/mutation-permissions';
import { ACTIVE_PERMANENT_OWNER } from '../memberships/last-owner-guard';

/** What an erased person is called from then on (`User.displayName`, the audit log's actor). */
export const ERASED_USER_NAME = 'Erased user';

/** The reserved `.invalid` domain (RFC 2606): an address that can never be delivered, nor belong to anyone. */
const ERASED_DOMAIN = 'erased.invalid';

/**
 * `eraseUser` (GDPR erasure, README "Audit log and erasure"): the person's identity leaves the database,
 * the history of who did what stays. In one transaction, with every organisation of the person locked (in
 * id order, the lock of every change to Owners):
 * - their memberships are removed (team places with them), each audited `member.removed` (`via:
 *   'user-erased'`) with its `membership.removed` event; refused with CONFLICT, writing nothing, where that
 *   would leave an active or suspended organisation without an active Owner (a deleted one is going anyway);
 * - the users row is pseudonymised: `email`, `issuer`, `subject`, `last_sign_in_at` NULL,
 *   `email_verified` false, `display_name` "Erased user", `erased_at` set; the id stays, so audit rows
 *   (immutable, ids only) keep pointing at the now anonymous user;
 * - invitations to their address, or accepted by them, get an undeliverable placeholder address (pending
 *   ones are cancelled); unsent emails to them are withdrawn, every outbox copy scrubbed; review items
 *   forget their last sign-in; their address is replaced by "[erased]" in retained domain events, and
 *   `user.*` events about them lose their before/after values;
 * - `user.erased` is audited and published naming only the id.
 * A later sign-in with the same identity creates a new user. Erasing again changes nothing (true).
 */
export class UserErasureService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async erase(ctx: RequestContext, userId: string): Promise<boolean> {
    const principal = ctx.requirePrincipal();
    const self = userId === principal.user.id;
    await mutationPermissions.eraseUser.authorize(ctx, { id: userId });
    if (!isId(userId)) throw notFound('User');
    await runTransaction(this.dataSource, (manager) => this.eraseIn(manager, ctx, userId, self));
    ctx.invalidateAccess();
    ctx.loaders.userById.clear(userId);
    return true;
  }

  private async eraseIn(manager: EntityManager, ctx: RequestContext, userId: string, self: boolean): Promise<void> {
    const organisations: { id: string; status: string }[] = await manager.query(
      'SELECT o.id, o.status FROM organisations o WHERE o.id IN (SELECT organisation_id FROM memberships WHERE user_id = $1) ORDER BY o.id FOR UPDATE OF o',
      [userId],
    );
    const [user]: { id: string; email: string | null; erased_at: Date | null }[] = await manager.query('SELECT id, email, erased_at FROM users WHERE id = $1 FOR UPDATE', [userId]);
    if (!user) throw notFound('User');
    if (user.erased_at) return;
    const live = organisations.filter((organisation) => organisation.status === 'ACTIVE' || organisation.status === 'SUSPENDED').map((organisation) => organisation.id);
    const orphaned: { id: string; slug: string }[] = live.length === 0 ? [] : await manager.query(
      `SELECT o.id, o.slug FROM organisations o
       WHERE o.id = ANY($2::uuid[])
         AND EXISTS (SELECT 1 FROM memberships m WHERE m.organisation_id = o.id AND m.user_id = $1 AND ${ACTIVE_PERMANENT_OWNER})
         AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.organisation_id = o.id AND m.user_id <> $1 AND ${ACTIVE_PERMANENT_OWNER})
       ORDER BY o.slug`,
      [userId, live],
    );
    if (orphaned.length > 0) {
      throw conflict(
        `This person is the last active Owner of ${orphaned.map((organisation) => organisation.slug).join(', ')}: transfer ownership or appoint another Owner first`,
        { organisationIds: orphaned.map((organisation) => organisation.id) },
      );
    }
    const removed: { id: string; organisation_id: string; status: string }[] = await manager.query(
      // A CTE: a bare DELETE … RETURNING answers [rows, count] through the driver.
      'WITH gone AS (DELETE FROM memberships WHERE user_id = $1 RETURNING id, organisation_id, status) SELECT * FROM gone ORDER BY organisation_id',
      [userId],
    );
    await manager.query(
      `UPDATE users SET email = NULL, issuer = NULL, subject = NULL, last_sign_in_at = NULL, mfa_enrolled_at = NULL, email_verified = false,
         display_name = $2, erased_at = now(), updated_at = now() WHERE id = $1`,
      [userId, ERASED_USER_NAME],
    );
    const invitations: { id: string; organisation_id: string; cancelled: boolean }[] = await manager.query(
      `WITH target AS (
         SELECT id, status = 'PENDING' AS cancelled FROM invitations WHERE ($2::text IS NOT NULL AND email = $2) OR accepted_by_id = $1 FOR UPDATE
       ), scrubbed AS (
       UPDATE invitations i SET email = 'erased-' || i.id || '@${ERASED_DOMAIN}',
         status = CASE WHEN target.cancelled THEN 'CANCELLED' ELSE i.status END,
         cancelled_at = CASE WHEN target.cancelled THEN now() ELSE i.cancelled_at END,
         updated_at = now()
       FROM target WHERE i.id = target.id
       RETURNING i.id, i.organisation_id, target.cancelled)
       SELECT * FROM scrubbed ORDER BY id`,
      [userId, user.email],
    );
    await manager.query(
      `UPDATE email_outbox SET to_address = 'erased@${ERASED_DOMAIN}', subject = '[erased]', body = '[erased]',
         status = CASE WHEN status = 'PENDING' THEN 'SUPERSEDED' ELSE status END
       WHERE ($1::text IS NOT NULL AND to_address = $1) OR invitation_id = ANY($2::uuid[])`,
      [user.email, invitations.map((invitation) => invitation.id)],
    );
    await manager.query('UPDATE review_items SET last_sign_in_at = NULL WHERE user_id = $1 AND last_sign_in_at IS NOT NULL', [userId]);
    // Retained events (EVENT_RETENTION_DAYS) may name the address; user.* events about the person carry before/after values.
    await manager.query(
      `UPDATE events SET data = data - 'before' - 'after' WHERE subject = $1 AND (data ? 'before' OR data ? 'after')`,
      [`users/${userId}`],
    );
    if (user.email) {
      await manager.query(`UPDATE events SET data = replace(data::text, $1, '[erased]')::jsonb WHERE strpos(data::text, $1) > 0`, [user.email]);
    }
    const audits: AuditRecord[] = removed.map((membership) => ({
      organisationId: membership.organisation_id,
      action: 'member.removed',
      targetType: 'Membership',
      targetId: membership.id,
      details: { userId, via: 'user-erased' },
    }));
    for (const invitation of invitations.filter((candidate) => candidate.cancelled)) {
      audits.push({ organisationId: invitation.organisation_id, action: 'invitation.cancelled', targetType: 'Invitation', targetId: invitation.id, details: { via: 'user-erased' } });
    }
    audits.push({
      organisationId: null,
      action: 'user.erased',
      targetType: 'User',
      targetId: userId,
      details: { userId, self, removedMembershipIds: removed.map((membership) => membership.id), invitationIds: invitations.map((invitation) => invitation.id) },
    });
    await this.audit.recordMany(manager, ctx, audits);
    const events: DomainEvent[] = removed.map((membership) => ({
      organisationId: membership.organisation_id,
      type: 'membership.removed',
      objectId: membership.id,
      data: { membershipId: membership.id, userId, status: membership.status, via: 'user-erased' },
    }));
    events.push({ organisationId: null, type: 'user.erased', objectId: userId, data: { userId } });
    emitEvents(manager, ctx, events);
  }
}
