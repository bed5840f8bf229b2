import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../core/config';
import { LogSender } from './log-sender';
import type { OutboxSender } from './outbox-sender';
import { OutboxWorker } from './outbox-worker';
import { SmtpSender } from './smtp-sender';

/** The configured sender: SMTP when SMTP_URL is set, else the log. */
export function createOutboxSender(config: Pick<AppConfig, 'SMTP_URL' | 'MAIL_FROM'>): OutboxSender {
  return config.SMTP_URL ? new SmtpSender({ url: config.SMTP_URL, from: config.MAIL_FROM }) : new LogSender();
}

/** The process's outbox worker, polling every OUTBOX_POLL_INTERVAL_MS (0: never started). */
export function createOutboxWorker(config: AppConfig, dataSource: DataSource): OutboxWorker {
  return new OutboxWorker(dataSource, createOutboxSender(config), {
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
  });
}
