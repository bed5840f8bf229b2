import type { EntityManager } from 'typeorm';

export interface NewEmail {
  organisationId: string;
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
    'INSERT INTO email_outbox (organisation_id, to_address, subject, body) VALUES ($1, $2, $3, $4) RETURNING id',
    [email.organisationId, email.to, email.subject, email.body],
  );
  return id;
}
