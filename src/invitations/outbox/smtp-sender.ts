import nodemailer, { type Transporter } from 'nodemailer';
import type { OutboxMessage, OutboxSender } from './outbox-sender';

export interface SmtpSenderOptions {
  /** smtp://user:pass@host:port or smtps://… */
  url: string;
  from: string;
}

/** Delivers outbox emails over SMTP with nodemailer (a pooled transport, bounded timeouts). */
export class SmtpSender implements OutboxSender {
  readonly name = 'smtp';
  private readonly transport: Transporter;

  constructor(private readonly options: SmtpSenderOptions) {
    const url = new URL(options.url);
    this.transport = nodemailer.createTransport({
      host: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      secure: url.protocol === 'smtps:',
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
      pool: true,
      // Well under the worker's claim lease, so a hung server cannot make two workers send one email.
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
    });
  }

  async send(message: OutboxMessage): Promise<void> {
    await this.transport.sendMail({ from: this.options.from, to: message.to, subject: message.subject, text: message.body });
  }

  close(): void {
    this.transport.close();
  }
}
