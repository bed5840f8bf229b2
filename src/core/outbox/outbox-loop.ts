import { PeriodicTask } from './periodic-task';

/** What one delivery came to. */
export type OutboxOutcome = 'sent' | 'retried' | 'failed';

export type OutboxRunResult = Record<OutboxOutcome, number>;

/**
 * One outbox as a worker drives it: claim due rows (leased, so many processes may run workers), then
 * deliver each and record the outcome (sent, retried later with backoff, or given up).
 */
export interface OutboxQueue<Item> {
  /** For the logs. */
  readonly name: string;
  /** Claims up to `limit` due items for `leaseMs` (see leaseClaimSql). */
  claim(limit: number, leaseMs: number): Promise<Item[]>;
  /** Delivers one claimed item and records what happened to it. */
  deliver(item: Item): Promise<OutboxOutcome>;
  /** Releases connections when the worker stops. */
  close?(): Promise<void> | void;
}

export interface OutboxLoopOptions {
  /** Pause between polls when nothing is due; 0: `start()` does nothing (tests drive `runOnce`). */
  pollIntervalMs: number;
  /** Items claimed per statement. */
  batchSize: number;
  /** How long a claimed item is hidden from other workers while it is delivered. */
  leaseMs: number;
  /** Deliver a batch's items at once (items of one batch must be independent) rather than one by one. */
  concurrent?: boolean;
  /**
   * Claim again after any batch that was not empty, not only after a full one: for queues that hand out
   * one item per queue head at a time (a short batch then does not mean nothing else is due).
   */
  untilEmpty?: boolean;
}

/**
 * The worker loop shared by every outbox (emails, webhooks): polls every `pollIntervalMs` (a
 * PeriodicTask), claims batch after batch while anything is due, delivers, and drains the delivery in
 * progress when stopped.
 */
export class OutboxLoop<Item> {
  private readonly task: PeriodicTask;
  protected stopping = false;

  constructor(
    readonly queue: OutboxQueue<Item>,
    protected readonly loop: OutboxLoopOptions,
  ) {
    this.task = new PeriodicTask(`${queue.name} outbox`, loop.pollIntervalMs, () => this.runOnce());
  }

  /** Starts polling (unless the poll interval is 0). */
  start(): void {
    this.stopping = false;
    this.task.start();
  }

  /** Stops polling and waits for the delivery in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.task.stop();
    await this.queue.close?.();
  }

  /** Claims and delivers what is due now, batch after batch, until nothing is. */
  async runOnce(): Promise<OutboxRunResult> {
    const total: OutboxRunResult = { sent: 0, retried: 0, failed: 0 };
    for (;;) {
      const claimed = await this.queue.claim(this.loop.batchSize, this.loop.leaseMs);
      if (this.loop.concurrent) {
        for (const outcome of await Promise.all(claimed.map((item) => this.queue.deliver(item)))) total[outcome] += 1;
      } else {
        for (const item of claimed) total[await this.queue.deliver(item)] += 1;
      }
      const more = this.loop.untilEmpty ? claimed.length > 0 : claimed.length === this.loop.batchSize;
      if (!more || this.stopping) return total;
    }
  }
}
