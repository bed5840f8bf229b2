import { logger } from '../../core/logger';
import type { OutboxMessage, OutboxSender } from './outbox-sender';

/**
 * The default sender when no SMTP server is configured (development): writes the email to the log,
 * so the accept URL can be copied from there. Never use it where logs are shared with people who
 * must not accept invitations meant for others.
 */
export class LogSender implements OutboxSender {
  readonly name = 'log';

  async send(message: OutboxMessage): Promise<void> {
    logger.info(
      { outboxId: message.id, organisationId: message.organisationId, to: message.to, subject: message.subject, body: message.body },
      'email (not sent: SMTP_URL is not configured)',
    );
  }
}
