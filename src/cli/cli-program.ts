import { Command } from 'commander';
import { describeFailure, ExitCode } from './cli-errors';
import { registerMemberCommands } from './members-import.command';
import { registerMigrateCommand } from './migrate.command';
import { registerOrganisationCommands } from './organisations.command';
import { registerOwnerCommands } from './owners.command';
import { registerSeedCommand } from './seed.command';
import { registerTokenCommand } from './token.command';
import { registerUserCommands } from './users.command';

/** The admin CLI's commands (commander). Errors are thrown, not exits, so `runCli` decides the exit code. */
export function buildProgram(): Command {
  const program = new Command('access-admin')
    .description(
      'Administer the access subgraph directly in its database, through the same services as the API, as the system actor ' +
        '"Access CLI (system)" (every change is audited). Configured by the same environment as the service (DATABASE_URL, DATA_DIR, .env).',
    )
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (text) => process.stdout.write(text), writeErr: (text) => process.stderr.write(text) });
  registerOrganisationCommands(program);
  registerOwnerCommands(program);
  registerUserCommands(program);
  registerMemberCommands(program);
  registerSeedCommand(program);
  registerTokenCommand(program);
  registerMigrateCommand(program);
  return program;
}

/** Runs the command line (`argv` without node and the script); 0 ok, 1 the command failed, 2 bad usage. */
export async function runCli(argv: string[]): Promise<ExitCode> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return ExitCode.OK;
  } catch (error) {
    const { code, message } = await describeFailure(error);
    if (message) process.stderr.write(`${message}\n`);
    return code;
  }
}
