import { logger } from '../logger';

/**
 * Runs `run` every `intervalMs` (measured from the end of one run to the start of the next), in the
 * background: never two runs at once, never keeps the process alive by itself, and `stop()` waits
 * for the run in progress. An interval of 0 leaves it off (tests call the work themselves).
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly run: () => Promise<unknown>,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || !this.stopped) return;
    this.stopped = false;
    this.schedule(0);
    logger.info({ task: this.name, intervalMs: this.intervalMs }, 'background task started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.run()
        .then(() => undefined)
        .catch((error: unknown) => logger.error({ err: error, task: this.name }, 'background task failed'))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.schedule(this.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
