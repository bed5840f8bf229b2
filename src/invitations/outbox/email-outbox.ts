import type { EntityManager } from 'typeorm';


export interface NewEmail {
  organisationId: string;
  /** The invitation whose token the email carries, so a resend or a cancel can withdraw it unsent. */
  invitationId?: string;
  to: string;
  subject: string;
  body: string;
}

/**
 * Queues an email in the caller's transaction: it exists exactly when the change that caused it
 * commits, and the outbox worker delivers it afterwards.
 */
export async function enqueueEmail(manager: EntityManager, email: NewEmail): Promise<string> {
  const [{ id }] = await manager.query(
    'INSERT INTO email_outbox (organisation_id, invitation_id, to_address, subject, body) VALUES ($1, $2, $3, $4, $5) RETURNING id',
    [email.organisationId, email.invitationId ?? null, email.to, email.subject, email.body],
  );
  return id;
}

/**
 * Withdraws an invitation's emails not yet sent (after a resend or a cancel their link is dead): they
 * become SUPERSEDED, with the token scrubbed from the stored body. Returns how many.
 */
export async function supersedeInvitationEmails(manager: EntityManager, invitationId: string): Promise<number> {
  const rows: { id: string }[] = await manager.query(
    `WITH superseded AS (
       UPDATE email_outbox SET status = 'SUPERSEDED', body = regexp_replace(body, '([?&#]token=)[A-Za-z0-9_-]+', '\\1[redacted]', 'g')
       WHERE invitation_id = $1 AND status = 'PENDING' RETURNING id)
     SELECT id FROM superseded`,
    [invitationId],
  );
  return rows.length;
}

/** The email outbox's backlog on `/metrics` (see registerOutboxBacklog): PENDING emails and the oldest's age. */
export const EMAIL_OUTBOX_BACKLOG_SQL = `
  SELECT count(*)::int AS backlog, extract(epoch FROM now() - min(created_at))::float8 AS oldest_age_seconds
  FROM email_outbox WHERE status = 'PENDING'`;
