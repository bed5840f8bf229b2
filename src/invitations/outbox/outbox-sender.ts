/** One email as the outbox holds it. */
export interface OutboxMessage {
  id: string;
  organisationId: string;
  to: string;
  subject: string;
  body: string;
  /** Deliveries tried before this one. */
  attempts: number;
}

/**
 * Delivers outbox emails. Resolves when the message was handed over; rejects (with a message worth
 * keeping in `last_error`) when it was not, and the worker retries later.
 */
export interface OutboxSender {
  readonly name: string;
  send(message: OutboxMessage): Promise<void>;
  /** Releases connections (called when the worker stops). */
  close?(): Promise<void> | void;
}
