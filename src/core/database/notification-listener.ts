import { Client } from 'pg';
import { logger } from '../logger';

type Handler = (payload: string) => void;

export interface NotificationListenerOptions {
  /** First pause before reconnecting; doubled after each failure, at most `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * PostgreSQL LISTEN on one connection of its own (DATABASE_LISTEN_URL): how an instance learns that
 * something it keeps in memory changed in the database (e.g. the cursor key was rotated). LISTEN is session
 * state, so this connection must reach PostgreSQL directly, not through a transaction-pooling PgBouncer.
 *
 * Notifications sent while the connection is down are lost: after every (re)connection the `reconnected`
 * handlers run, and must reload whatever they keep (the first connection counts too).
 */
export class NotificationListener {
  private client: Client | null = null;
  private readonly channels = new Map<string, Handler[]>();
  private readonly reconnected: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly url: string,
    private readonly options: NotificationListenerOptions = {},
  ) {}

  /** Calls `handler` with each notification's payload on `channel` (register before `start`). */
  on(channel: string, handler: Handler): void {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
    this.channels.set(channel, [...(this.channels.get(channel) ?? []), handler]);
  }

  /** Calls `handler` after every (re)connection, when notifications may have been missed. */
  onReconnected(handler: () => void): void {
    this.reconnected.push(handler);
  }

  /** Connects in the background (a database down at start is retried); resolves after the first attempt. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  get listening(): boolean {
    return this.client !== null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.channels.size === 0) return;
    const client = new Client({ connectionString: this.url, application_name: 'access-subgraph-listen', keepAlive: true, connectionTimeoutMillis: 5000 });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      for (const handler of this.channels.get(message.channel) ?? []) {
        try {
          handler(message.payload ?? '');
        } catch (error) {
          logger.error({ err: error, channel: message.channel }, 'notification handler failed');
        }
      }
    });
    try {
      await client.connect();
      for (const channel of this.channels.keys()) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.lost(client, error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    if (this.failures > 0) logger.info({ channels: [...this.channels.keys()] }, 'listening for notifications again');
    this.failures = 0;
    for (const handler of this.reconnected) handler();
  }

  private lost(client: Client, error: unknown): void {
    if (this.stopped || (this.client !== null && this.client !== client)) return;
    if (this.timer) return;
    this.client = null;
    this.failures += 1;
    const delay = Math.min(this.options.maxRetryMs ?? 30_000, (this.options.retryMs ?? 1000) * 2 ** (this.failures - 1));
    if (this.failures === 1) logger.warn({ err: error, retryInMs: delay }, 'notification listener disconnected; caches reload when it is back');
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
    this.timer.unref();
  }
}
