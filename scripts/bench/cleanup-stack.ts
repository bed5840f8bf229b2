/**
 * Everything the bench starts registers how to stop it here; `run()` stops it all, last started first,
 * exactly once, whether the run ends normally, fails, or is interrupted (Ctrl-C, SIGTERM, SIGHUP).
 */
export class CleanupStack {
  private readonly steps: { name: string; run(): Promise<void> | void }[] = [];
  private running: Promise<void> | null = null;

  push(name: string, run: () => Promise<void> | void): void {
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop() as { name: string; run(): Promise<void> | void };
        try {
          await step.run();
        } catch (error) {
          console.error(`cleanup (${step.name}) failed: ${(error as Error).message}`);
        }
      }
    })();
    return this.running;
  }

  /** Cleans up, then exits, on the first termination signal; a second one exits at once. */
  installSignalHandlers(): () => void {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) process.exit(signal === 'SIGINT' ? 130 : 143);
      signalled = true;
      console.error(`\n${signal}: stopping the servers and removing the temporary PostgreSQL`);
      void this.run().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const signal of signals) process.on(signal, onSignal);
    return () => {
      for (const signal of signals) process.off(signal, onSignal);
    };
  }
}
