import { Presets, SingleBar } from 'cli-progress';

/**
 * The progress bar of a member import, on stderr (stdout holds the report): rows checked, then rows
 * imported. Shown on a terminal, or anywhere with `--progress` (then as plain lines).
 */
export class ImportProgress {
  private readonly bar: SingleBar | null;
  private running = false;

  constructor(enabled: boolean) {
    this.bar = enabled
      ? new SingleBar(
          { format: '{phase} |{bar}| {value}/{total} rows ({percentage}%)', stream: process.stderr, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 1000, hideCursor: true },
          Presets.shades_classic,
        )
      : null;
  }

  start(phase: string, total: number): void {
    this.stop();
    this.bar?.start(total, 0, { phase });
    this.running = true;
  }

  advance(rows: number): void {
    this.bar?.increment(rows);
  }

  stop(): void {
    if (this.running) this.bar?.stop();
    this.running = false;
  }
}
