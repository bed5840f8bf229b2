import { CommanderError } from 'commander';

/** Exit codes of the admin CLI. */
export enum ExitCode {
  OK = 0,
  /** The command ran and failed: bad data, a refused change, an unreachable database. */
  FAILURE = 1,
  /** The command line itself is wrong: unknown command or option, missing argument. */
  USAGE = 2,
}

/** A failure the CLI explains itself (exit 1); the message is shown as it is. */
export class CliFailure extends Error {}

/** A command line the CLI refuses before doing anything (exit 2). */
export class UsageError extends Error {}

/** The exit code and the message (none for commander, which printed its own) for what a command threw. */
export async function describeFailure(error: unknown): Promise<{ code: ExitCode; message: string | null }> {
  if (error instanceof CommanderError) return { code: error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE, message: null };
  if (error instanceof UsageError) return { code: ExitCode.USAGE, message: `error: ${error.message}` };
  if (error instanceof CliFailure) return { code: ExitCode.FAILURE, message: `error: ${error.message}` };
  // Loaded only on this path: the CLI's start stays light.
  const [{ AppError }, { ConfigError }, { CatalogueError }] = await Promise.all([import('../core/errors'), import('../core/config'), import('../core/permissions/permission-catalogue')]);
  if (error instanceof AppError) return { code: ExitCode.FAILURE, message: `error: ${error.message} (${error.code})` };
  if (error instanceof ConfigError || error instanceof CatalogueError) return { code: ExitCode.FAILURE, message: `error: ${error.message}` };
  return { code: ExitCode.FAILURE, message: `error: unexpected failure: ${error instanceof Error ? error.message : String(error)}` };
}
